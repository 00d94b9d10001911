"""Benchmark the generated client against segment-analytics-python on a loopback sink.

    python benchmarks/client_bench.py            # about 2 minutes; prints a table

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
4. Ours at the default 50 requests/s: events/s as a share of the ceiling's event rate
   (50 x the events that fit in one full batch under 500 KB).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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
SCENARIO_4_SECONDS = 8.0

# --------------------------------------------------------------------------- the sink


def serve_sink(mode: str, port_file: str) -> None:
    """Run the sink until killed; ``mode`` is "ok" (all 200) or "faulty" (503/429)."""
    lock = threading.Lock()
    rng = random.Random(1234)
    state: dict[str, Any] = {"requests": 0, "answered": {}, "times": [], "seq_ids": {}, "delivered_events": 0, "bodies": []}

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with lock:
                for raw in state["bodies"]:
                    batch = json.loads(raw)["batch"]
                    state["delivered_events"] += len(batch)
                    for event in batch:
                        state["seq_ids"].setdefault(str(event["properties"]["seq"]), set()).add(event["messageId"])
                state["bodies"].clear()
                seq_ids = state["seq_ids"]
                times = sorted(state["times"])
                window, j = 0, 0
                for i, t in enumerate(times):  # most requests in any 1 s window
                    while times[j] <= t - 1.0:
                        j += 1
                    window = max(window, i - j + 1)
                stats = {
                    "requests": state["requests"],
                    "answered": state["answered"],
                    "delivered_events": state["delivered_events"],
                    "distinct_seqs": len(seq_ids),
                    "dup_distinct_ids": sum(len(ids) - 1 for ids in seq_ids.values()),
                    "max_requests_in_1s": window,
                    "max_seq": max((int(s.split("-")[-1]) for s in seq_ids), default=-1),
                }
            self._answer(200, json.dumps(stats).encode())

        def do_POST(self) -> None:
            arrived = time.monotonic()  # before reading and parsing: those queue on the GIL
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            roll = rng.random() if mode == "faulty" else 1.0
            status, headers = (503, {}) if roll < 0.20 else (429, {"Retry-After": "1"}) if roll < 0.25 else (200, {})
            with lock:
                state["requests"] += 1
                state["times"].append(arrived)
                state["answered"][str(status)] = state["answered"].get(str(status), 0) + 1
                if status == 200:  # parsed when asked for stats: parsing here would hold the
                    state["bodies"].append(raw)  # GIL and skew the next arrival times
            self._answer(status, b'{"success": true}', headers)

        def _answer(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 1024
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


class Sink:
    """A sink subprocess; ``stats()`` asks it what it received."""

    def __init__(self, mode: str) -> None:
        self._dir = tempfile.TemporaryDirectory()
        port_file = Path(self._dir.name, "port")
        self.proc = subprocess.Popen([sys.executable, __file__, "--sink", mode, str(port_file)])
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port_file.read_text()}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/stats") as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._dir.cleanup()


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


def sample_threads(peak: list[int], stop: threading.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], threading.active_count() - 1)  # minus this sampler
        time.sleep(0.005)


def run_library(lib: str, scenario: int, url: str, src: str) -> dict[str, Any]:
    """Send one scenario's events with one library; return what the sender measured."""
    sys.path.insert(0, src)
    customers, per_customer = {1: (1, 50_000), 2: (1_000, 50), 3: (10, 2_000), 4: (1, 0)}[scenario]
    if scenario == 4:
        per_customer = ceiling_events_per_second(src) * int(SCENARIO_4_SECONDS)
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
        for c in range(customers):
            customer = client.customer(f"wk_bench_{c:04d}")
            for i in range(per_customer):
                customer.track(user_id=f"user-{c}-{i % 97}", event=EVENT, properties=properties(f"{c}-{i}"))
        client.close()
    else:
        import logging

        from segment.analytics import Client

        logging.getLogger("segment").setLevel(logging.CRITICAL)  # queue-full warnings per event
        clients = [Client(f"wk_bench_{c:04d}", host=url) for c in range(customers)]
        for c, client in enumerate(clients):
            for i in range(per_customer):
                ok, _ = client.track(user_id=f"user-{c}-{i % 97}", event=EVENT, properties=properties(f"{c}-{i}"))
                lost_at_call += not ok
        for client in clients:
            client.flush()
        # No shutdown(): its join() waits out each consumer's 0.5 s poll, one client
        # after another (500 s for 1,000 clients); everything was delivered by flush().
    elapsed = time.perf_counter() - start
    stop.set()
    return {
        "events": customers * per_customer,
        "seconds": elapsed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_threads": peak[0],
        "refused_at_call": lost_at_call,
    }


def ceiling_events_per_second(src: str) -> int:
    """50 requests/s x how many bench events fit in one batch under 500 KB."""
    sys.path.insert(0, src)
    from bench_mail_source import spec  # type: ignore[import-not-found]
    from bench_mail_source._batcher import EMPTY_BODY_BYTES  # type: ignore[import-not-found]

    event = event_bytes(src)
    per_batch = min(spec.MAX_BATCH_EVENTS, (spec.MAX_BATCH_BYTES - EMPTY_BODY_BYTES + 1) // (event + 1))
    return spec.PARTNER_REQUESTS_PER_SECOND * per_batch


def event_bytes(src: str) -> int:
    """The serialized size of one bench event as the generated client builds it."""
    sys.path.insert(0, src)
    from bench_mail_source import Client, DeliveryTimeout  # type: ignore[import-not-found]

    client = Client(endpoint="http://127.0.0.1:9", flush_interval=60, on_dead_letter=lambda *a: None)
    msg = client.customer("k").track(user_id="user-0-12", event=EVENT, properties=properties("0-12345"))
    try:
        client.close(timeout=0)  # nothing listens on port 9: the event is only measured
    except DeliveryTimeout:
        pass
    built = json.dumps(msg, separators=(",", ":"))
    return len(built)


def measure(lib: str, scenario: int, src: str, mode: str = "ok") -> dict[str, Any]:
    print(f"scenario {scenario}: {lib}...", file=sys.stderr, flush=True)
    sink = Sink(mode)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--run", lib, str(scenario), sink.url, src],
            check=True, capture_output=True, text=True, timeout=170,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result.update(sink.stats())
    finally:
        sink.stop()
    result["lost"] = result["events"] - result["distinct_seqs"]
    result["events_per_s"] = result["distinct_seqs"] / result["seconds"]  # delivered, not attempted
    result["requests_per_1000"] = result["requests"] * 1000 / result["events"]
    return result


# ------------------------------------------------------------------------ the report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    sys.path.insert(0, str(REPO))
    from generator._generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp, "project"), ANSWERS)
        src = str(Path(tmp, "project", "src"))
        rows: list[tuple[str, str, str, str, str]] = []

        def row(label: str, ours: str, theirs: str, target: str = "", ok: bool | None = None) -> None:
            rows.append((label, ours, theirs, target, "" if ok is None else verdict(ok)))

        t0 = time.perf_counter()
        o1, t1 = measure("ours", 1, src), measure("theirs", 1, src)
        ratio = o1["events_per_s"] / t1["events_per_s"]
        row("1. events/s (50k events, 1 customer)", f"{o1['events_per_s']:,.0f}", f"{t1['events_per_s']:,.0f}")
        row("   throughput ratio ours/theirs", f"{ratio:.1f}x", "", ">= 3x", ratio >= 3)
        row("   requests per 1,000 events", f"{o1['requests_per_1000']:.2f}", f"{t1['requests_per_1000']:.2f}",
            "<= 1.1", o1["requests_per_1000"] <= 1.1)
        row("   peak RSS (MB)", f"{o1['peak_rss_mb']:.0f}", f"{t1['peak_rss_mb']:.0f}")
        row("   events lost", str(o1["lost"]), f"{t1['lost']} ({t1['refused_at_call']} refused: queue full)",
            "0", o1["lost"] == 0)

        o2, t2 = measure("ours", 2, src), measure("theirs", 2, src)
        row("2. peak threads (1,000 customers x 50)", str(o2["peak_threads"]), str(t2["peak_threads"]),
            "<= 8", o2["peak_threads"] <= 8)
        row("   wall time (s)", f"{o2['seconds']:.1f} (50 req/s)", f"{t2['seconds']:.1f} (no limit)")
        row("   requests", str(o2["requests"]), str(t2["requests"]))
        row("   events lost", str(o2["lost"]), str(t2["lost"]), "0", o2["lost"] == 0)
        row("   max requests in any 1 s", str(o2["max_requests_in_1s"]), str(t2["max_requests_in_1s"]),
            "<= 50", o2["max_requests_in_1s"] <= 50)

        o3, t3 = measure("ours", 3, src, "faulty"), measure("theirs", 3, src, "faulty")
        row("3. faulty sink (20% 503, 5% 429): answers", fmt_answers(o3), fmt_answers(t3))
        row("   events lost", str(o3["lost"]), str(t3["lost"]), "0", o3["lost"] == 0)
        row("   duplicates under distinct messageIds", str(o3["dup_distinct_ids"]), str(t3["dup_distinct_ids"]),
            "0", o3["dup_distinct_ids"] == 0)
        row("   wall time (s)", f"{o3['seconds']:.1f}", f"{t3['seconds']:.1f}")

        o4 = measure("ours", 4, src)
        ceiling = ceiling_events_per_second(src)
        share = o4["events_per_s"] / ceiling
        row(f"4. events/s at 50 req/s ({o4['events']:,} events)", f"{o4['events_per_s']:,.0f}", "n/a")
        row(f"   share of ceiling ({ceiling:,} events/s)", f"{share:.0%}", "", ">= 90%", share >= 0.9)
        row("   max requests in any 1 s", str(o4["max_requests_in_1s"]), "", "<= 50", o4["max_requests_in_1s"] <= 50)
        row("   events lost", str(o4["lost"]), "", "0", o4["lost"] == 0)

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
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
        if r is header:
            print(line)
    print(line)
    print(f"total {seconds:.0f} s; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sink", nargs=2, metavar=("MODE", "PORT_FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--run", nargs=4, metavar=("LIB", "SCENARIO", "URL", "SRC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        serve_sink(*args.sink)
    elif args.run:
        lib, scenario, url, src = args.run
        print(json.dumps(run_library(lib, int(scenario), url, src)), flush=True)
        os._exit(0)  # analytics-python's consumers are not shut down (see run_library)
    else:
        sys.exit(main())
