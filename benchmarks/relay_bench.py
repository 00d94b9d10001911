"""Benchmark the generated relay: analytics-node through one relay worker, vs the in-process client.

    python benchmarks/relay_bench.py                  # ~2 minutes; prints a table
    python benchmarks/relay_bench.py --calls 20000    # quicker

Generates a project, stores one tenant's connection in SQLite and issues it a relay
credential, starts the kernel-stamped sink answering each request after 50-200 ms (as
Segment does from most places), and one relay worker (``python -m <package> serve
--relay-only``, uvicorn, one process pinned to CPU 0 with ``taskset``) sending to it.
Then:

- **calls/s**: Segment's ``@segment/analytics-node`` (npm, installed once into a cache
  folder) sends ``--calls`` track calls as fast as it can with its default batching (15
  calls a request); calls/s from the first call to the last callback (the load runs on
  the other core, so the figure is the lower of what node and the relay can do);
- **added latency**: requests of 15 calls (as analytics-node sends them) at half that
  rate over 8 keep-alive connections from this process: p50/p99 time to the 200; beside
  it, the in-process client's p50/p99 time of one ``track()`` call;
- **requests at the sink per 1,000 calls**: after the relay's client has delivered
  everything, and for the in-process client given the same calls.

Figures are printed beside the issue's targets, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sink import Sink

REPO = Path(__file__).resolve().parent.parent
ANSWERS = {
    "integration_name": "Bench Mail",
    "description": "Benchmark project.",
    "website": "https://bench.example",
    "categories": ["Email Marketing"],
    "support_email": "support@bench.example",
    "regions": ["us"],
}
PACKAGE = "bench_mail_source"
KEY = "BenchKey" + "0" * 22 + "42"
EVENT = "Email Opened"
TARGETS = {
    "calls/s through one relay worker": ">= 10,000",
    "p99 added latency at half load": "<= 20 ms",
    "sink requests per 1,000 calls": "<= in-process client's + 10 %",
}
NPM_CACHE = Path(
    os.environ.get("RELAY_TEST_NPM_CACHE")
    or Path(tempfile.gettempdir()) / "relay-tests-analytics-node"
)

NODE_LOAD = r"""
const { Analytics } = require('@segment/analytics-node')
const [host, writeKey, total] = [process.argv[2], process.argv[3], Number(process.argv[4])]
const analytics = new Analytics({ writeKey, host })
let done = 0, failed = 0
const started = process.hrtime.bigint()
for (let i = 0; i < total; i++) {
  const call = { userId: 'u' + (i % 1000), event: process.argv[5], properties: { seq: i } }
  analytics.track(call, (err) => {
    if (err) failed++
    if (++done === total) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      console.log(JSON.stringify({ seconds, failed }))
    }
  })
}
analytics.closeAndFlush({ timeout: 600000 })
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def install_node() -> Path:
    if not (NPM_CACHE / "node_modules" / "@segment" / "analytics-node").exists():
        NPM_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NPM_CACHE),
                "@segment/analytics-node@3",
            ],
            check=True,
            capture_output=True,
        )
    (NPM_CACHE / "bench_load.js").write_text(NODE_LOAD)
    return NPM_CACHE


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_drained(sink: Sink, events: int, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stats = sink.stats()
        if stats["delivered_events"] >= events or time.monotonic() > deadline:
            return stats
        time.sleep(0.5)


async def _timed_requests(port: int, credential: str, rate: float, seconds: float) -> list[float]:
    """Requests of 15 calls at ``rate`` calls/s over 8 connections; return the times to 200."""
    import base64

    auth = base64.b64encode(f"{credential}:".encode()).decode()
    latencies: list[float] = []
    interval = 15 * 8 / rate  # each connection sends one request per interval
    stop_at = time.monotonic() + seconds

    async def one_connection(n: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        seq = 0
        next_at = time.monotonic() + n * interval / 8
        while time.monotonic() < stop_at:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            batch = [
                {
                    "type": "track",
                    "userId": f"u{seq}",
                    "event": EVENT,
                    "properties": {"seq": f"lat-{n}-{seq}-{i}"},
                }
                for i in range(15)
            ]
            seq += 1
            body = json.dumps({"batch": batch}).encode()
            head = (
                f"POST /v1/batch HTTP/1.1\r\nHost: relay\r\nAuthorization: Basic {auth}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            started = time.perf_counter()
            writer.write(head + body)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            if b" 200 " not in status:
                raise SystemExit(f"the relay answered {status!r}")
        writer.close()

    await asyncio.gather(*(one_connection(n) for n in range(8)))
    return latencies


def in_process(sink_url: str, calls: int, rate: float) -> tuple[list[float], int]:
    """The in-process client given the same load (15 calls at a time at ``rate`` calls/s).

    Returns per-call times of ``track()`` (ms) and the number of calls.
    """
    client_module = __import__(f"{PACKAGE}.client", fromlist=["Client"])
    client = client_module.Client(endpoint=sink_url)
    customer = client.customer(KEY)
    times = []
    started = time.monotonic()
    for i in range(calls):
        if i % 15 == 0:
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
        begun = time.perf_counter()
        customer.track(user_id=f"u{i % 1000}", event=EVENT, properties={"seq": f"ip-{i}"})
        times.append((time.perf_counter() - begun) * 1000)
    client.close()
    return times, calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument(
        "--flush-interval", default="0.5", help="the relay's (serve --flush-interval)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from generator import generate

    node = install_node()
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the load (node, raw requests) on CPU 1; the relay gets CPU 0
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "bench"
        generate(project, ANSWERS)
        sys.path.insert(0, str(project / "src"))
        service = __import__(f"{PACKAGE}.service", fromlist=["_"])
        from importlib import import_module

        migrate, keys_module = (
            import_module(f"{PACKAGE}.service._migrate"),
            import_module(f"{PACKAGE}.service._relay_keys"),
        )
        url, secret = f"sqlite:///{Path(tmp) / 'c.db'}", service.new_secret()
        store_module = import_module(f"{PACKAGE}.service.store")
        engine = store_module.make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        store = service.ConnectionStore(url, secret)
        store.put("acct_bench", write_key=KEY, region="us")
        credential = keys_module.RelayKeys(store.engine).issue("acct_bench").credential
        store.close()

        sink = Sink("delay:0.125")  # Segment's answer time from most places: 50-200 ms
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(project / "src"),
            "SEGMENT_DATABASE_URL": url,
            "SEGMENT_SETTINGS_SECRET": secret,
        }
        pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
        relay = subprocess.Popen(
            [
                *pin,
                sys.executable,
                "-m",
                PACKAGE,
                "serve",
                "--relay-only",
                "--port",
                str(port),
                "--endpoint",
                sink.url,
                "--flush-interval",
                args.flush_interval,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        row: dict[str, Any] = {}
        try:
            for _ in range(400):
                try:
                    urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/openapi.json", timeout=1
                    ).read()
                    break
                except OSError:
                    time.sleep(0.05)
            cpu_before = cpu_seconds(relay.pid)
            load_pin = ["taskset", "-c", "1"] if pin and (os.cpu_count() or 1) > 1 else []
            out = subprocess.run(
                [
                    *load_pin,
                    "node",
                    str(node / "bench_load.js"),
                    f"http://127.0.0.1:{port}",
                    credential,
                    str(args.calls),
                    EVENT,
                ],
                cwd=node,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            row["relay_cpu_s"] = cpu_seconds(relay.pid) - cpu_before
            result = json.loads(out.strip().splitlines()[-1])
            row["calls_per_s"] = args.calls / result["seconds"]
            row["relay_cpu_share"] = row["relay_cpu_s"] / result["seconds"]
            row["node_failed"] = result["failed"]
            stats = wait_drained(sink, args.calls)
            row["relay_requests_per_1000"] = stats["requests"] / (args.calls / 1000)
            row["relay_event_bytes"] = stats["bytes"] / max(1, stats["delivered_events"])
            row["relay_max_1s"] = stats["max_requests_in_1s"]
            sink.reset()
            capacity = asyncio.run(_timed_requests(port, credential, 1e9, args.latency_seconds))
            row["raw_calls_per_s"] = len(capacity) * 15 / args.latency_seconds
            wait_drained(sink, len(capacity) * 15)
            sink.reset()
            rate = row["calls_per_s"] / 2
            latencies = asyncio.run(_timed_requests(port, credential, rate, args.latency_seconds))
            row["latency_rate"] = rate
            row["relay_p50"], row["relay_p99"] = (
                percentile(latencies, 0.5),
                percentile(latencies, 0.99),
            )
            wait_drained(sink, len(latencies) * 15)
            sink.reset()
            times, calls = in_process(sink.url, args.calls, row["calls_per_s"])
            stats = wait_drained(sink, calls)
            row["client_p50"], row["client_p99"] = percentile(times, 0.5), percentile(times, 0.99)
            row["client_requests_per_1000"] = stats["requests"] / (calls / 1000)
            row["client_event_bytes"] = stats["bytes"] / max(1, stats["delivered_events"])
        finally:
            relay.terminate()
            relay.wait(30)
            sink.stop()
    print(
        f"\n{args.calls:,} track calls; relay flush_interval {args.flush_interval} s; sink answers "
        f"after 125 ms; {os.cpu_count()} cores; relay pinned to CPU 0\n"
    )
    print("| measure | relay (analytics-node -> relay) | in-process Python client | target |")
    print("| --- | --- | --- | --- |")
    print(
        f"| calls/s through one relay worker | {row['calls_per_s']:,.0f} "
        f"({row['node_failed']} failed; "
        f"relay CPU {row['relay_cpu_share']:.0%}) | - | >= 10,000 |"
    )
    print(
        f"| calls/s through one relay worker, load from raw HTTP requests of 15 calls "
        f"| {row['raw_calls_per_s']:,.0f} | - | >= 10,000 |"
    )
    print(
        f"| latency of a 200 at {row['latency_rate']:,.0f} calls/s, p50 / p99 (ms) "
        f"| {row['relay_p50']:.1f} / {row['relay_p99']:.1f} "
        f"| {row['client_p50']:.3f} / {row['client_p99']:.3f} per track() "
        "| p99 <= 20 |"
    )
    print(
        f"| sink requests per 1,000 calls | {row['relay_requests_per_1000']:.2f} "
        f"(max {row['relay_max_1s']} in 1 s) "
        f"| {row['client_requests_per_1000']:.2f} | <= client's + 10 % |"
    )
    print(
        f"| bytes per event at the sink | {row['relay_event_bytes']:.0f} "
        f"| {row['client_event_bytes']:.0f} | - |"
    )
    print(
        "\nTargets (issue 20, this 2-core machine): "
        + "; ".join(f"{k} {v}" for k, v in TARGETS.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
