"""Benchmark the debugger under hostile load, side by side with an older version.

    python benchmarks/debugger_bench.py                     # this checkout only
    python benchmarks/debugger_bench.py --before main       # and main, side by side
    python benchmarks/debugger_bench.py --before main --flood 200   # a lighter flood

``--before REF`` exports that git ref with ``git archive`` into a temporary directory
and runs the very same scenarios against it. Each debugger runs in its own subprocess
(``python -m generator._debugger --port 0``), so its RSS is its own, read from
``/proc/<pid>/status``. Everything goes to 127.0.0.1.

1. Flood: ``--flood`` batches (default 1,000), each holding one ~490 KB event made of
   many small objects, over one keep-alive connection. Then ``GET /api/events``.
   Reported: the answers, RSS before and after the flood, the size of ``/api/events``,
   the time to read it and the peak RSS (VmHWM) at the end.
2. Store: ``--store`` valid batches (default 100) of 16 events of ~30 KB each (the body
   of scenario 4), one after the other; more events than ``--keep`` (1,000) holds.
   Reported as for the flood: what the kept events cost in memory and in ``/api/events``.
3. Concurrency: ``--concurrent`` connections (default 1,000) opened at once, each
   posting one small track call. Reported: how many got an answer within
   ``--timeout`` seconds, the wall time to answer them all, the slowest answer.
4. Parallel batches: ``--parallel`` connections (default 200) each posting at once one
   valid ~463 KB batch of 16 events of ~30 KB, all made of small objects. Reported: the
   answers, the wall time and the peak RSS (parsing is where the memory goes).
5. A short body: headers saying ``Content-Length: 1000`` and 10 bytes of body, then
   silence. Reported: how long the server waits before it answers or hangs up (capped
   at ``--slow-cap`` seconds).

The figures depend on the machine's load; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KEY_HEADER = {"Authorization": "Basic d2tfYmVuY2g6", "Content-Type": "application/json"}
CONTEXT = {"integration": {"name": "bench-mail", "version": "1.0.0"}}


def flood_body() -> bytes:
    """One batch holding a single ~490 KB event of many small objects (under 500 KB)."""
    rows = [{"i": i, "v": "x"} for i in range(21_000)]
    event = {"type": "track", "userId": "u-1", "event": "Report Exported",
             "properties": {"rows": rows}, "context": CONTEXT}  # fmt: skip
    body = json.dumps({"batch": [event]}).encode()
    while len(body) > 490_000:
        rows.pop()
        body = json.dumps({"batch": [event]}).encode()
    return body


def parallel_body() -> bytes:
    """One valid batch under 500 KB: 16 events of ~30 KB, each of many small objects."""
    rows = [{"i": i, "v": "x"} for i in range(1_300)]
    event = {"type": "track", "userId": "u-1", "event": "Report Exported",
             "properties": {"rows": rows}, "context": CONTEXT}  # fmt: skip
    return json.dumps({"batch": [event] * 16}).encode()


def small_body() -> bytes:
    return json.dumps({"userId": "u-1", "event": "Email Opened", "context": CONTEXT}).encode()


class Debugger:
    """One debugger subprocess running the ``generator`` package found in ``tree``."""

    def __init__(self, tree: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "generator._debugger", "--port", "0", "--host", "127.0.0.1"],
            cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()  # "Source Debugger: http://127.0.0.1:PORT/"
        if "http://" not in first:
            self.proc.kill()
            raise RuntimeError(f"the debugger in {tree} did not start: {first!r}")
        self.port = int(first.rsplit(":", 1)[1].strip().rstrip("/"))

    def status(self, field: str) -> int:
        """A /proc/<pid>/status field in bytes (VmRSS, VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(field)

    def connection(self, timeout: float = 120) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB" if n < 1e9 else f"{n / 1e9:,.2f} GB"


def flood(tree: Path, batches: int, body: bytes, label: str) -> dict[str, str]:
    debugger = Debugger(tree)
    try:
        rss_start = debugger.status("VmRSS")
        answers: dict[int, int] = {}
        conn = debugger.connection()
        for _ in range(batches):
            conn.request("POST", "/v1/batch", body, KEY_HEADER)
            response = conn.getresponse()
            response.read()
            answers[response.status] = answers.get(response.status, 0) + 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = debugger.connection()
        conn.close()
        rss_flood = debugger.status("VmRSS")
        started = time.perf_counter()
        conn = debugger.connection(timeout=600)
        conn.request("GET", "/api/events", headers={"Host": f"127.0.0.1:{debugger.port}"})
        response = conn.getresponse()
        size = 0
        while chunk := response.read(1 << 20):
            size += len(chunk)
        conn.close()
        took = time.perf_counter() - started
        return {
            f"{label}: batch size": f"{len(body):,} B",
            f"{label}: answers": ", ".join(f"{n} x {code}" for code, n in sorted(answers.items())),
            f"{label}: RSS before": mb(rss_start),
            f"{label}: RSS after": mb(rss_flood),
            f"{label}: /api/events size": mb(size),
            f"{label}: /api/events time": f"{took:.2f} s",
            f"{label}: peak RSS (VmHWM)": mb(debugger.status("VmHWM")),
        }
    finally:
        debugger.stop()


async def _one(port: int, body: bytes, timeout: float) -> float | None:
    started = time.perf_counter()
    request = (
        f"POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Basic d2tfYmVuY2g6\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            status = await reader.readline()
            writer.close()
    except (TimeoutError, OSError):
        return None
    return time.perf_counter() - started if b" 200 " in status else None


async def _many(port: int, n: int, timeout: float) -> list[float | None]:
    body = small_body()
    return await asyncio.gather(*(_one(port, body, timeout) for _ in range(n)))


def concurrent(tree: Path, n: int, timeout: float) -> dict[str, str]:
    debugger = Debugger(tree)
    try:
        started = time.perf_counter()
        results = asyncio.run(_many(debugger.port, n, timeout))
        wall = time.perf_counter() - started
        served = [r for r in results if r is not None]
        return {
            f"{n} concurrent: answered 200": f"{len(served)} of {n}",
            f"{n} concurrent: wall time": f"{wall:.2f} s",
            f"{n} concurrent: median answer": f"{sorted(served)[len(served) // 2]:.2f} s"
            if served
            else "-",
            f"{n} concurrent: slowest answer": f"{max(served):.2f} s" if served else "-",
        }
    finally:
        debugger.stop()


async def _post_batch(port: int, body: bytes, timeout: float) -> int:
    request = (
        f"POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Basic d2tfYmVuY2g6\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            status = (await reader.readline()).split()
            writer.close()
            return int(status[1])
    except (TimeoutError, OSError, IndexError):
        return 0


def parallel(tree: Path, n: int, timeout: float) -> dict[str, str]:
    debugger = Debugger(tree)
    try:
        body = parallel_body()

        async def run() -> list[int]:
            return await asyncio.gather(*(_post_batch(debugger.port, body, timeout)
                                          for _ in range(n)))  # fmt: skip

        started = time.perf_counter()
        statuses = asyncio.run(run())
        wall = time.perf_counter() - started
        answers = {s: statuses.count(s) for s in sorted(set(statuses))}
        return {
            f"{n} parallel batches: batch size": f"{len(body):,} B",
            f"{n} parallel batches: answers": ", ".join(
                f"{count} x {status or 'none'}" for status, count in answers.items()
            ),
            f"{n} parallel batches: wall time": f"{wall:.2f} s",
            f"{n} parallel batches: peak RSS": mb(debugger.status("VmHWM")),
        }
    finally:
        debugger.stop()


def short_body(tree: Path, cap: float) -> dict[str, str]:
    debugger = Debugger(tree)
    try:
        sock = socket.create_connection(("127.0.0.1", debugger.port))
        sock.settimeout(cap)
        sock.sendall(
            f"POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1:{debugger.port}\r\n"
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"userId":'.encode()
        )
        started = time.perf_counter()
        try:
            answer = sock.recv(200).split(b"\r\n", 1)[0].decode() or "(closed)"
        except TimeoutError:
            answer = "(still waiting)"
        held = time.perf_counter() - started
        sock.close()
        shown = f"{held:.1f} s" if answer != "(still waiting)" else f"> {cap:.0f} s"
        return {"short body: thread held": shown, "short body: answer": answer}
    finally:
        debugger.stop()


def run_all(tree: Path, args: argparse.Namespace) -> dict[str, str]:
    figures: dict[str, str] = {}
    figures.update(flood(tree, args.flood, flood_body(), "flood"))
    figures.update(flood(tree, args.store, parallel_body(), "store"))
    figures.update(concurrent(tree, args.concurrent, args.timeout))
    figures.update(parallel(tree, args.parallel, args.timeout))
    figures.update(short_body(tree, args.slow_cap))
    return figures


def export(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True,
                             capture_output=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", metavar="REF", help="also run a git ref, e.g. main")
    parser.add_argument("--flood", type=int, default=1000, metavar="N")
    parser.add_argument("--store", type=int, default=100, metavar="N")
    parser.add_argument("--concurrent", type=int, default=1000, metavar="N")
    parser.add_argument("--parallel", type=int, default=200, metavar="N")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S")
    parser.add_argument("--slow-cap", type=float, default=130.0, metavar="S")
    args = parser.parse_args()
    columns: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="debugger-bench-") as tmp:
        if args.before:
            print(f"running {args.before} ...", flush=True)
            columns[args.before] = run_all(export(args.before, Path(tmp)), args)
        print("running this checkout ...", flush=True)
        columns["this checkout"] = run_all(REPO, args)
    print("load average at the end:", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    rows: list[str] = list(next(iter(columns.values())))
    width = max(len(r) for r in rows)
    print("\n" + "".ljust(width) + "".join(f" | {name:>24}" for name in columns))
    for row in rows:
        print(row.ljust(width) + "".join(f" | {c.get(row, '-'):>24}" for c in columns.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
