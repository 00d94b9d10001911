"""Benchmark the generated client on Redis: a fleet of workers under one 50 req/s budget.

    python benchmarks/redis_bench.py            # about 4 minutes; prints a table

Needs Debian's ``redis-server`` and the ``redis`` and ``cryptography`` packages. Generates
a project into a temporary directory and runs everything as separate processes on
loopback: a ``redis-server`` (no persistence), a sink that answers every request 200
after 50 ms (Segment's answers take 50-250 ms) and records arrival times and messageIds,
4 producer processes that together send 16,000 ~450-byte track events for 1,000 customers,
and the workers. The figures are printed, not asserted. Rows:

- Redis fleet with 1, 2 and 4 worker processes (``python -m <package> worker``);
- Redis fleet with 3 workers, one SIGKILLed once a third of the events arrived
  (visibility timeout 5 s): duplicates are the killed worker's sent-but-unacknowledged
  events, sent again with the same messageIds;
- the same load through the in-process client: the 4 producer processes each with its
  own client (each keeps 50 req/s, so together they do not), and all 16,000 events from
  one process (the one-process ideal).

For the Redis rows the producers fill the queue first, then the workers start, so the
sending figures are the workers' own. Columns: sending time (first to last request at
the sink), events/s and requests/s over it, share of the 50 req/s ceiling
(requests/s / 50), the most requests the sink
saw in any one-second window, requests per 1,000 events, retried requests (the fleet's
``stats``, or the clients' counters), duplicates (messageIds seen more than once: a
retry after an answer was lost, or the kill), lost events, and how fast the producers'
calls returned (events/s, all producers together; Redis rows only).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _sink import RedisServer, Sink  # benchmarks/ is on the path: the script's own folder

REPO = Path(__file__).resolve().parent.parent
ANSWERS = {
    "integration_name": "Bench Mail",
    "description": "Benchmark project.",
    "website": "https://bench.example",
    "categories": ["Email Marketing"],
    "support_email": "support@bench.example",
}
PACKAGE = "bench_mail_source"
PRODUCERS = 4
CUSTOMERS = 1_000
EVENTS_PER_PRODUCER = 4_000
SINK_DELAY = 0.05
CEILING = 50

# ----------------------------------------------------------------------------- load

PRODUCER = """
import sys, time
from bench_mail_source import Client
mode, target = sys.argv[1], sys.argv[2]
producer, count, customers = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
client = Client(redis_url=target) if mode == "redis" else Client(endpoint=target)
props = {"campaign_id": "cmp_4f9c2d1e7a3b", "campaign_name": "Spring launch: early access",
         "email_id": "eml_8d7e6f5a4b3c2d1e",
         "email_subject": "Your early access to the spring collection",
         "list_id": "lst_0193"}
start = time.perf_counter()
for n in range(count):
    c = (n + producer) % customers
    client.customer(f"wk_bench_{c:04d}").track(user_id=f"user-{c}-{n % 97}",
                                               event="Campaign Created",
                                               properties={**props, "seq": f"{producer}-{n}"})
accepted = time.perf_counter() - start
stats = client.close(timeout=600)
print(f"{accepted:.3f} {stats.retried}")
"""


def produce(
    env: dict[str, str], mode: str, target: str, producers: int, per_producer: int
) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                PRODUCER,
                mode,
                target,
                str(p),
                str(per_producer),
                str(CUSTOMERS),
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in range(producers)
    ]


def start_workers(
    env: dict[str, str], redis: RedisServer, sink: Sink, names: list[str], folder: Path
) -> dict:
    workers = {}
    for name in names:
        log = open(folder / f"{name}.log", "wb")  # noqa: SIM115 - kept for the process's life
        workers[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                PACKAGE,
                "worker",
                "--redis-url",
                redis.url,
                "--endpoint",
                sink.url,
                "--name",
                name,
                "--visibility-timeout",
                "5",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    return workers


def wait_for(sink: Sink, total: int, timeout: float = 900.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stats = sink.stats()
        if stats["unique_ids"] >= total or time.monotonic() > deadline:
            return stats
        time.sleep(0.2)


def run(
    label: str,
    env: dict[str, str],
    sink: Sink,
    redis: RedisServer | None,
    workers: int,
    *,
    kill: bool = False,
    producers: int = PRODUCERS,
    folder: Path,
) -> dict[str, Any]:
    """One row: start workers (Redis) or not, run the producers, wait for every event."""
    total = PRODUCERS * EVENTS_PER_PRODUCER
    sink.reset()
    fleet: dict[str, subprocess.Popen] = {}
    start = time.monotonic()
    procs = produce(
        env,
        "redis" if redis is not None else "http",
        redis.url if redis else sink.url,
        producers,
        total // producers,
    )
    if redis is not None:  # the queue is filled first: the workers' own pace is measured
        outputs = [(p.communicate()[0].split() or ["nan", "0"]) for p in procs]
        fleet = start_workers(env, redis, sink, [f"w{i + 1}" for i in range(workers)], folder)
    killed = False
    while kill and not killed:
        if sink.stats()["unique_ids"] >= total // 3:
            fleet["w1"].send_signal(signal.SIGKILL)
            killed = True
        time.sleep(0.05)
    if redis is None:
        outputs = [(p.communicate()[0].split() or ["nan", "0"]) for p in procs]
    accept_seconds = [float(out[0]) for out in outputs]
    retried = sum(int(out[1]) for out in outputs)
    stats = wait_for(sink, total)
    wall = time.monotonic() - start
    for proc in fleet.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in fleet.values():
        proc.wait(60)
    stats = sink.stats()
    if redis is not None:
        retried = fleet_retried(env, redis)
        redis.flush()
    return {
        "label": label,
        "wall": wall,
        "span": stats["last"] - stats["first"],
        "events": total,
        "requests": stats["requests"],
        "max_in_1s": stats["max_requests_in_1s"],
        "duplicates": stats["delivered_events"] - stats["unique_ids"],
        "lost": total - stats["unique_ids"],
        "retried": retried,
        "accept_per_s": total / max(accept_seconds) if redis is not None else None,
    }


def fleet_retried(env: dict[str, str], redis: RedisServer) -> int:
    """The fleet's count of retried requests, from ``python -m <package> stats --json``."""
    out = subprocess.run(
        [sys.executable, "-m", PACKAGE, "stats", "--json", "--redis-url", redis.url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(json.loads(out)["retried"])


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (
        f"{'setup':<44} {'send s':>7} {'events/s':>9} {'req/s':>6} {'of 50':>6} {'max 1s':>6} "
        f"{'req/1k ev':>9} {'retried':>7} {'dups':>5} {'lost':>5} {'accept ev/s':>11}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        rps = r["requests"] / r["span"]
        accept = f"{r['accept_per_s']:.0f}" if r["accept_per_s"] else "-"
        print(
            f"{r['label']:<44} {r['span']:>7.1f} {r['events'] / r['span']:>9.0f} {rps:>6.1f} "
            f"{rps / CEILING:>6.0%} {r['max_in_1s']:>6} {1000 * r['requests'] / r['events']:>9.1f} "
            f"{r['retried']:>7} {r['duplicates']:>5} {r['lost']:>5} {accept:>11}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args()
    sys.path.insert(0, str(REPO))
    from generator import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = folder / "bench-mail-source"
        generate(project, ANSWERS)
        env = {**os.environ, "PYTHONPATH": str(project / "src"), "NO_COLOR": "1"}
        env["SEGMENT_QUEUE_SECRET"] = subprocess.run(
            [sys.executable, "-m", PACKAGE, "queue-secret"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        sink, redis = Sink(f"delay:{SINK_DELAY}"), RedisServer(folder)
        rows = []
        try:
            print("running 6 rows (about 4 minutes)...", file=sys.stderr)
            for workers in (1, 2, 4):
                rows.append(
                    run(
                        f"Redis, {PRODUCERS} producers, {workers} worker(s)",
                        env,
                        sink,
                        redis,
                        workers,
                        folder=folder,
                    )
                )
            rows.append(
                run(
                    f"Redis, {PRODUCERS} producers, 3 workers, 1 killed",
                    env,
                    sink,
                    redis,
                    3,
                    kill=True,
                    folder=folder,
                )
            )
            rows.append(
                run(
                    f"in-process, {PRODUCERS} processes (a client each)",
                    env,
                    sink,
                    None,
                    0,
                    folder=folder,
                )
            )
            rows.append(
                run("in-process, 1 process", env, sink, None, 0, producers=1, folder=folder)
            )
        finally:
            sink.stop()
            redis.stop()
    print()
    print(
        f"{PRODUCERS * EVENTS_PER_PRODUCER:,} events of ~450 bytes for {CUSTOMERS} customers; "
        "sink answers after "
        f"{SINK_DELAY * 1000:.0f} ms; ceiling {CEILING} req/s"
    )
    print_table(rows)


if __name__ == "__main__":
    main()
