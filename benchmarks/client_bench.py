"""Benchmark the generated client against segment-analytics-python on a loopback sink.

    python benchmarks/client_bench.py            # about 4 minutes; prints a table
    python benchmarks/client_bench.py --only 5   # one scenario

Generates a project into a temporary directory, imports its client from ``src``, and
runs four scenarios. Each library runs in its own subprocess (so peak RSS and thread
counts are its own), against a sink that runs in another subprocess (so parsing the
requests does not compete with the client for the GIL). The sink counts what it
accepted by each event's ``seq`` property, which tells lost events and duplicates under
distinct messageIds apart from Segment-deduplicated retries (same messageId).

1. One customer, 50,000 track events of ~450 bytes, instant 200s. OUR rate limit is
   switched off here only (requests_per_second=None) to compare raw throughput.
2. 1,000 customers x 50 events: peak threads, wall time, requests. Ours keeps the
   default 50 requests/s, so its wall time is bounded below by 1,000 / 50 = 20 s;
   analytics-python needs one Client (one thread) per write key.
3. A faulty sink: 20 % of requests get 503, 5 % get 429 with Retry-After: 1.
5. One busy customer, 40,000 events of ~4.6 KB (so one Python producer can outpace 50
   full batches a second), default settings, the sink answering after 0, 50 and 200 ms:
   requests/s as a share of 50, batch fullness, most requests in any second of arrivals.
6. A producer offering 10 GB of ~30 KB events for 15 s against a 200 ms sink: peak RSS
   (ours blocks the producer; analytics-python drops what its queue cannot hold).

The sink stamps each request with the kernel's receive time of its first byte, so its
one-second windows are Segment's view of arrivals, not the sink's scheduling. (Scenario
4 of earlier versions, small events at 50 req/s, measured the producer's CPU, not the
client: one thread cannot build the ~55,000 events a second it needed.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _sink import Sink  # benchmarks/ is on the path: the script's own folder

REPO = Path(__file__).resolve().parent.parent
ANSWERS = {
    "integration_name": "Bench Mail",
    "description": "Benchmark project.",
    "website": "https://bench.example",
    "categories": ["Email Marketing"],
    "support_email": "support@bench.example",
    "regions": ["us", "eu"],
}
PACKAGE = "bench_mail_source"
EVENT = "Campaign Created"
SCENARIO_5_EVENTS = 40_000  # ~370 full batches: about 8 s at 50 requests/s
THEIRS_DELAY_EVENTS = 5_000
FLOOD_BYTES = 10 * 1024**3  # what scenario 6's producer offers
FLOOD_SECONDS = 15.0  # ...for at most this long
DELAYS = (0.0, 0.05, 0.2)

# ------------------------------------------------------------------------ the drivers


def properties(seq: str) -> dict[str, Any]:
    """Properties that make a ~450-byte track event (with our context and ids)."""
    return {
        "campaign_id": "cmp_4f9c2d1e7a3b",
        "campaign_name": "Spring launch: early access",
        "email_id": "eml_8d7e6f5a4b3c2d1e",
        "email_subject": "Your early access to the spring collection",
        "list_id": "lst_0193",
        "seq": seq,
    }


def big_properties(seq: str) -> dict[str, Any]:
    """Properties of a ~4.6 KB event: scenario 5 measures the network, not the producer's
    CPU (one Python thread cannot build the ~55,000 small events a second that 50 full
    batches a second would take on this machine)."""
    return {**properties(seq), "notes": "n" * 4_000}


def sample_threads(peak: list[int], stop: threading.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], threading.active_count() - 1)  # minus this sampler
        time.sleep(0.005)


def run_library(lib: str, scenario: int, url: str, src: str) -> dict[str, Any]:
    """Send one scenario's events with one library; return what the sender measured."""
    sys.path.insert(0, src)
    customers, per_customer = {
        1: (1, 50_000),
        2: (1_000, 50),
        3: (10, 2_000),
        5: (1, 0),
        6: (1, 0),
    }[scenario]
    props = big_properties if scenario == 5 else properties
    if scenario == 5:
        per_customer = SCENARIO_5_EVENTS
    if scenario == 5 and lib == "theirs":  # one thread, 100-event batches: a smaller load
        per_customer = THEIRS_DELAY_EVENTS
    if scenario == 6:
        return offer_flood(lib, url, src)
    lost_at_call = 0
    peak = [threading.active_count()]
    stop = threading.Event()
    sampler = threading.Thread(target=sample_threads, args=(peak, stop), daemon=True)
    sampler.start()
    start = time.perf_counter()
    if lib == "ours":
        from bench_mail_source import Client  # type: ignore[import-not-found]

        rate = None if scenario == 1 else 50  # scenario 1: raw throughput, limit off
        client = Client(endpoint=url, requests_per_second=rate)
        handles = [client.customer(f"wk_bench_{c:04d}") for c in range(customers)]
        for i in range(per_customer):  # interleaved: one event per customer in turn
            for c, customer in enumerate(handles):
                customer.track(
                    user_id=f"user-{c}-{i % 97}", event=EVENT, properties=props(f"{c}-{i}")
                )
        produced = time.perf_counter() - start
        client.close()
    else:
        import logging

        from segment.analytics import Client

        logging.getLogger("segment").setLevel(logging.CRITICAL)  # queue-full warnings per event
        clients = [Client(f"wk_bench_{c:04d}", host=url) for c in range(customers)]
        for i in range(per_customer):
            for c, client in enumerate(clients):
                ok, _ = client.track(
                    user_id=f"user-{c}-{i % 97}", event=EVENT, properties=props(f"{c}-{i}")
                )
                lost_at_call += not ok
        produced = time.perf_counter() - start
        for client in clients:
            client.flush()
        # No shutdown(): its join() waits out each consumer's 0.5 s poll, one client
        # after another (500 s for 1,000 clients); everything was delivered by flush().
    elapsed = time.perf_counter() - start
    stop.set()
    return {
        "customers": customers,
        "produced_s": produced,
        "events": customers * per_customer,
        "seconds": elapsed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_threads": peak[0],
        "refused_at_call": lost_at_call,
    }


def offer_flood(lib: str, url: str, src: str) -> dict[str, Any]:
    """A producer offering 10 GB of ~30 KB events as fast as it can, for FLOOD_SECONDS."""
    sys.path.insert(0, src)
    blob = "x" * 30_000
    offered = accepted = 0
    peak = [threading.active_count()]
    stop = threading.Event()
    threading.Thread(target=sample_threads, args=(peak, stop), daemon=True).start()
    start = time.perf_counter()
    if lib == "ours":
        from bench_mail_source import Client, DeliveryTimeout  # type: ignore[import-not-found]

        client = Client(endpoint=url, on_dead_letter=lambda *a: None)
        customer = client.customer("wk_flood")
        while offered < FLOOD_BYTES and time.perf_counter() - start < FLOOD_SECONDS:
            customer.track(
                user_id="u", event=EVENT, properties={"seq": f"0-{accepted}", "blob": blob}
            )
            offered += 30_000
            accepted += 1
        with contextlib.suppress(DeliveryTimeout):
            client.close(timeout=0)
    else:
        import logging

        from segment.analytics import Client

        logging.getLogger("segment").setLevel(logging.CRITICAL)
        client = Client("wk_flood", host=url)
        while offered < FLOOD_BYTES and time.perf_counter() - start < FLOOD_SECONDS:
            ok, _ = client.track(
                user_id="u", event=EVENT, properties={"seq": f"0-{offered}", "blob": blob}
            )
            offered += 30_000
            accepted += ok
    stop.set()
    return {
        "customers": 1,
        "events": accepted,
        "offered_gb": offered / 1024**3,
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_threads": peak[0],
        "refused_at_call": 0,
    }


def event_bytes(src: str) -> int:
    """The serialized size of one bench event as the generated client builds it."""
    sys.path.insert(0, src)
    from bench_mail_source import Client, DeliveryTimeout  # type: ignore[import-not-found]

    client = Client(
        endpoint="http://127.0.0.1:9", flush_interval=60, on_dead_letter=lambda *a: None
    )
    msg = client.customer("k").track(
        user_id="user-0-12", event=EVENT, properties=properties("0-12345")
    )
    with contextlib.suppress(DeliveryTimeout):
        client.close(timeout=0)  # nothing listens on port 9: the event is only measured
    built = json.dumps(msg, separators=(",", ":"))
    return len(built)


def measure(lib: str, scenario: int, src: str, mode: str = "ok") -> dict[str, Any]:
    print(f"scenario {scenario}: {lib}...", file=sys.stderr, flush=True)
    sink = Sink(mode)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--run", lib, str(scenario), sink.url, src],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result.update(sink.stats())
    finally:
        sink.stop()
    result["lost"] = result["events"] - result["distinct_seqs"]
    result["events_per_s"] = result["distinct_seqs"] / result["seconds"]  # delivered, not attempted
    result["requests_per_1000"] = result["requests"] * 1000 / max(result["events"], 1)
    # Requests/s while sending: first to last arrival, plus one window's worth.
    result["requests_per_s"] = (
        result["requests"] / max(result["first_to_last_s"], 1e-9) if result["requests"] > 1 else 0.0
    )
    return result


# ------------------------------------------------------------------------ the report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(only: set[int] | None = None) -> int:
    sys.path.insert(0, str(REPO))
    from generator._generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp, "project"), ANSWERS)
        src = str(Path(tmp, "project", "src"))
        rows: list[tuple[str, str, str, str, str]] = []

        def row(
            label: str, ours: str, theirs: str, target: str = "", ok: bool | None = None
        ) -> None:
            rows.append((label, ours, theirs, target, "" if ok is None else verdict(ok)))

        t0 = time.perf_counter()

        def want(n: int) -> bool:
            return only is None or n in only

        if want(1):
            o1, t1 = measure("ours", 1, src), measure("theirs", 1, src)
            ratio = o1["events_per_s"] / t1["events_per_s"]
            row(
                "1. events/s (50k events, 1 customer)",
                f"{o1['events_per_s']:,.0f}",
                f"{t1['events_per_s']:,.0f}",
            )
            row("   throughput ratio ours/theirs", f"{ratio:.1f}x", "", ">= 3x", ratio >= 3)
            row(
                "   requests per 1,000 events",
                f"{o1['requests_per_1000']:.2f}",
                f"{t1['requests_per_1000']:.2f}",
                "<= 1.1",
                o1["requests_per_1000"] <= 1.1,
            )
            row("   peak RSS (MB)", f"{o1['peak_rss_mb']:.0f}", f"{t1['peak_rss_mb']:.0f}")
            row(
                "   events lost",
                str(o1["lost"]),
                f"{t1['lost']} ({t1['refused_at_call']} refused: queue full)",
                "0",
                o1["lost"] == 0,
            )

        if want(2):
            o2, t2 = measure("ours", 2, src), measure("theirs", 2, src)
            row(
                "2. peak threads (1,000 customers x 50)",
                str(o2["peak_threads"]),
                str(t2["peak_threads"]),
            )
            row(
                "   wall time (s)",
                f"{o2['seconds']:.1f} (50 req/s)",
                f"{t2['seconds']:.1f} (no limit)",
            )
            row("   producer's last call (s)", f"{o2['produced_s']:.1f}", f"{t2['produced_s']:.1f}")
            per_customer = o2["requests"] / o2["customers"]
            row(
                "   requests (per customer)",
                f"{o2['requests']} ({per_customer:.2f})",
                str(t2["requests"]),
                "<= 1.1 per customer",
                per_customer <= 1.1,
            )
            row("   events lost", str(o2["lost"]), str(t2["lost"]), "0", o2["lost"] == 0)
            row(
                "   max requests in any 1 s",
                str(o2["max_requests_in_1s"]),
                str(t2["max_requests_in_1s"]),
                "<= 50",
                o2["max_requests_in_1s"] <= 50,
            )

        if want(3):
            o3, t3 = measure("ours", 3, src, "faulty"), measure("theirs", 3, src, "faulty")
            row("3. faulty sink (20% 503, 5% 429): answers", fmt_answers(o3), fmt_answers(t3))
            row("   events lost", str(o3["lost"]), str(t3["lost"]), "0", o3["lost"] == 0)
            row(
                "   duplicates under distinct messageIds",
                str(o3["dup_distinct_ids"]),
                str(t3["dup_distinct_ids"]),
                "0",
                o3["dup_distinct_ids"] == 0,
            )
            row("   wall time (s)", f"{o3['seconds']:.1f}", f"{t3['seconds']:.1f}")

        if want(5):
            for delay in DELAYS:
                mode = f"delay:{delay}"
                o5, t5 = measure("ours", 5, src, mode), measure("theirs", 5, src, mode)
                ms = f"{delay * 1000:.0f} ms"
                share = o5["requests_per_s"] / 50
                row(
                    f"5. sink answers after {ms}: events/s",
                    f"{o5['events_per_s']:,.0f} ({o5['events']:,} ev)",
                    f"{t5['events_per_s']:,.0f} ({t5['events']:,} ev)",
                )
                row(
                    "   requests/s (share of 50)",
                    f"{o5['requests_per_s']:.1f} ({share:.0%})",
                    f"{t5['requests_per_s']:.1f} ({t5['requests_per_s'] / 50:.0%})",
                    ">= 90%" if delay else "",
                    share >= 0.9 if delay else None,
                )
                row(
                    "   requests per 1,000 events",
                    f"{o5['requests_per_1000']:.2f}",
                    f"{t5['requests_per_1000']:.2f}",
                )
                row(
                    "   producer's last call / all delivered (s)",
                    f"{o5['produced_s']:.1f} / {o5['seconds']:.1f}",
                    f"{t5['produced_s']:.1f} / {t5['seconds']:.1f}",
                )
                full, theirs_full = (r["bytes"] / max(r["requests"], 1) / 500_000 for r in (o5, t5))
                row(
                    "   batch fullness (mean body / 500 KB)",
                    f"{full:.0%}",
                    f"{theirs_full:.0%}",
                    ">= 90%",
                    full >= 0.9,
                )
                row(
                    "   max requests in any 1 s (arrivals)",
                    str(o5["max_requests_in_1s"]),
                    str(t5["max_requests_in_1s"]),
                    "<= 50",
                    o5["max_requests_in_1s"] <= 50,
                )
                row(
                    "   peak RSS (MB) / threads",
                    f"{o5['peak_rss_mb']:.0f} / {o5['peak_threads']}",
                    f"{t5['peak_rss_mb']:.0f} / {t5['peak_threads']}",
                )
                row(
                    "   lost / duplicates",
                    f"{o5['lost']} / {o5['dup_distinct_ids']}",
                    f"{t5['lost']} / {t5['dup_distinct_ids']}",
                    "0 / 0",
                    o5["lost"] == 0 and o5["dup_distinct_ids"] == 0,
                )

        if want(6):
            o6, t6 = measure("ours", 6, src, "delay:0.2"), measure("theirs", 6, src, "delay:0.2")
            row(
                f"6. fast producer offering 10 GB ({FLOOD_SECONDS:.0f} s, 200 ms sink): "
                "peak RSS (MB)",
                f"{o6['peak_rss_mb']:.0f}",
                f"{t6['peak_rss_mb']:.0f}",
                "< 200",
                o6["peak_rss_mb"] < 200,
            )
            row(
                "   offered / accepted (GB)",
                f"{o6['offered_gb']:.2f} / {o6['events'] * 30_000 / 1024**3:.2f} (blocks)",
                f"{t6['offered_gb']:.2f} / {t6['events'] * 30_000 / 1024**3:.2f} (drops the rest)",
            )

        sys.stderr.flush()
        print_table(rows, event_bytes(src), time.perf_counter() - t0)
        return 0 if all(r[4] != "FAIL" for r in rows) else 1


def fmt_answers(result: dict[str, Any]) -> str:
    return " ".join(f"{k}:{v}" for k, v in sorted(result["answered"].items()))


def print_table(rows: list[tuple[str, str, str, str, str]], size: int, seconds: float) -> None:
    header = ("measure", "ours (generated)", "analytics-python", "target", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    line = "  ".join("-" * w for w in widths)
    print(f"events: track '{EVENT}', {size} bytes each as serialized by the generated client")
    print(line)
    for r in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
        if r is header:
            print(line)
    print(line)
    print(f"total {seconds:.0f} s; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, action="append", help="run only these scenarios (1-6)")
    parser.add_argument(
        "--run", nargs=4, metavar=("LIB", "SCENARIO", "URL", "SRC"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.run:
        lib, scenario, url, src = args.run
        print(json.dumps(run_library(lib, int(scenario), url, src)), flush=True)
        os._exit(0)  # analytics-python's consumers are not shut down (see run_library)
    else:
        sys.exit(main(set(args.only) if args.only else None))
