"""Benchmark the generated [service]: 100,000 connections in SQLite and in PostgreSQL.

    python benchmarks/service_bench.py                 # a few minutes; prints a table
    python benchmarks/service_bench.py --connections 10000 --seconds 5   # quicker

Needs the [service] extra's packages, Debian's ``postgresql`` (initdb/pg_ctl, run here in
a temporary folder on a free loopback port, as ``nobody`` when run as root) and
``chromium``. Generates a project (US and EU) into a temporary directory, loads the
connections (write keys sealed with Fernet, as the store writes them), then measures:

- ``for_tenant`` p50/p99, cold (first lookup of a tenant: one SELECT and one Fernet
  decrypt) and cached (the same tenants again within the 1 s cache), in this process;
- ``GET /v1/connections/{tenant}`` and ``PUT`` requests/s on one uvicorn worker
  (``python -m <package> serve``), random tenants, 16 keep-alive connections from a small
  asyncio client in this process (it shares the 2 cores with the server: the figures
  are a floor);
- the settings page's time to first render in Chromium (first-contentful-paint after
  following a settings link; median of 5);
- the service's RSS after the load (VmRSS of the uvicorn process).

The figures are printed beside the issue's targets, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
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
TOKEN = "bench-token-0123456789abcdef"
TARGETS = {
    "for_tenant cold p99 (SQLite)": "<= 5 ms",
    "for_tenant cached p99 (SQLite)": "<= 1 ms",
    "GET req/s": ">= 500",
    "RSS": "< 200 MB",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ------------------------------------------------------------------------- PostgreSQL


class Postgres:
    """initdb + pg_ctl in a temporary folder on a free loopback port."""

    def __init__(self) -> None:
        found = shutil.which("initdb") or max(
            Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[4])
        )
        self.bin = Path(os.path.realpath(found)).parent
        self.folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "nobody")
            self.as_user = ["runuser", "-u", "nobody", "--"]
        self.port = free_port()
        data = str(self.folder / "data")
        self._run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", data, "-l", str(self.folder / "log"), "-o", options, "-w", "start"
        )
        self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-c",
            "CREATE DATABASE bench",
        )
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/bench"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


# -------------------------------------------------------------------------- loading


def load(url: str, secret: str, count: int) -> float:
    """Insert ``count`` connections the way the store seals them; return the seconds it took."""
    from sqlalchemy import insert

    service = __import__(f"{PACKAGE}.service", fromlist=["_"])
    from importlib import import_module

    schema = import_module(f"{PACKAGE}.service._schema")
    migrate = import_module(f"{PACKAGE}.service._migrate")
    store_mod = import_module(f"{PACKAGE}.service.store")
    keys = service.SettingsSecret(secret)
    engine = store_mod.make_engine(url)
    migrate.upgrade(engine)
    started = time.perf_counter()
    now = store_mod._now()
    events = list(import_module(f"{PACKAGE}.service._rules").ALL_EVENTS)
    rows = []
    with engine.begin() as conn:
        for n in range(count):
            key = f"BenchKey{n:024d}"
            rows.append(
                {
                    "tenant": f"t{n:06d}",
                    "key_sealed": keys.seal(key),
                    "key_hint": key[-4:],
                    "key_fingerprint": keys.fingerprint(key),
                    "region": "eu" if n % 3 == 0 else "us",
                    "events": events,
                    "enabled": True,
                    "status": "new",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(rows) == 5000:
                conn.execute(insert(schema.connections), rows)
                rows = []
        if rows:
            conn.execute(insert(schema.connections), rows)
    engine.dispose()
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def lookups(url: str, secret: str, count: int, samples: int) -> dict[str, float]:
    """for_tenant p50/p99 in ms, cold then cached, over ``samples`` random tenants."""
    client_mod = __import__(f"{PACKAGE}.client", fromlist=["Client"])
    service = __import__(f"{PACKAGE}.service", fromlist=["_"])
    store = service.ConnectionStore(url, secret)
    client = client_mod.Client(endpoint="http://127.0.0.1:9")
    tenants = service.Tenants(client, store, cache_seconds=60)
    chosen = [f"t{n:06d}" for n in random.sample(range(count), samples)]
    for warm in chosen[:20]:  # the engine's pool and the first statements
        tenants.for_tenant(warm)
        tenants.forget(warm)
    cold, cached = [], []
    for tenant in chosen:
        started = time.perf_counter()
        tenants.for_tenant(tenant)
        cold.append(time.perf_counter() - started)
    for tenant in chosen:
        started = time.perf_counter()
        tenants.for_tenant(tenant)
        cached.append(time.perf_counter() - started)
    client.close(timeout=1)
    store.close()
    ms = 1000.0
    return {
        "cold_p50": percentile(cold, 0.5) * ms,
        "cold_p99": percentile(cold, 0.99) * ms,
        "cached_p50": percentile(cached, 0.5) * ms,
        "cached_p99": percentile(cached, 0.99) * ms,
    }


# ---------------------------------------------------------------- HTTP load (asyncio)


async def _worker(
    port: int, method: str, count: int, seconds: float, done: list[int], statuses: set[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    deadline = time.perf_counter() + seconds
    body = json.dumps({"write_key": "BenchPutKey000000000000000000000", "region": "us"}).encode()
    while time.perf_counter() < deadline:
        tenant = f"t{random.randrange(count):06d}"
        head = (
            f"{method} /v1/connections/{tenant} HTTP/1.1\r\n"
            f"Host: b\r\nAuthorization: Bearer {TOKEN}\r\n"
        )
        if method == "PUT":
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            writer.write(head.encode() + body)
        else:
            writer.write((head + "\r\n").encode())
        status_line = await reader.readline()
        statuses.add(int(status_line.split()[1]))
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        done[0] += 1
    writer.close()


def requests_per_second(
    port: int, method: str, count: int, seconds: float, connections: int = 16
) -> tuple[float, set[int]]:
    done, statuses = [0], set()

    async def run() -> None:
        await asyncio.gather(
            *(_worker(port, method, count, seconds, done, statuses) for _ in range(connections))
        )

    started = time.perf_counter()
    asyncio.run(run())
    return done[0] / (time.perf_counter() - started), statuses


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def first_render_ms(link_of: Any, count: int) -> float:
    from playwright.sync_api import sync_playwright

    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox"]
        )
        for _ in range(5):
            context = browser.new_context()
            page = context.new_page()
            page.goto(link_of(f"t{random.randrange(count):06d}"))
            paint = page.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? "
                "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
            )
            timings.append(float(paint))
            context.close()
        browser.close()
    return statistics.median(timings)


def serve(project: Path, url: str, secret: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "SEGMENT_DATABASE_URL": url,
        "SEGMENT_SETTINGS_SECRET": secret,
        "SEGMENT_SERVICE_TOKEN": TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", PACKAGE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=project,
    )
    for _ in range(400):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=1).read()
            return process, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the service did not start")


def measure(project: Path, kind: str, url: str, count: int, seconds: float) -> dict[str, Any]:
    service = __import__(f"{PACKAGE}.service", fromlist=["_"])
    secret = service.new_secret()
    row: dict[str, Any] = {"database": kind}
    row["load_s"] = load(url, secret, count)
    row |= lookups(url, secret, count, samples=min(5000, count))
    process, port = serve(project, url, secret)
    try:
        row["rss_idle"] = rss_mb(process.pid)
        row["get_rps"], get_statuses = requests_per_second(port, "GET", count, seconds)
        row["put_rps"], put_statuses = requests_per_second(port, "PUT", count, seconds)
        row["statuses"] = sorted(get_statuses | put_statuses)
        store_secret = service.SettingsSecret(secret)
        row["render_ms"] = first_render_ms(
            lambda t: service.settings_link(t, f"http://127.0.0.1:{port}", secret=store_secret),
            count,
        )
        row["rss"] = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(10)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each HTTP load")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from generator import generate

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "bench"
        generate(project, ANSWERS)
        sys.path.insert(0, str(project / "src"))
        rows = []
        for kind in args.databases.split(","):
            if kind == "sqlite":
                rows.append(
                    measure(
                        project,
                        kind,
                        f"sqlite:///{Path(tmp) / 'c.db'}",
                        args.connections,
                        args.seconds,
                    )
                )
            else:
                pg = Postgres()
                try:
                    rows.append(measure(project, kind, pg.url, args.connections, args.seconds))
                finally:
                    pg.stop()
    print(
        f"\n{args.connections:,} connections; {args.seconds:g} s per HTTP load; "
        f"{os.cpu_count()} cores\n"
    )
    head = (
        "| database | load (s) | for_tenant cold p50 / p99 (ms) | cached p50 / p99 (ms) "
        "| GET req/s | PUT req/s "
        "| page first render (ms) | RSS idle / after (MB) | statuses |"
    )
    print(head)
    print("| --- " * 9 + "|")
    for r in rows:
        print(
            f"| {r['database']} | {r['load_s']:.1f} | {r['cold_p50']:.2f} / {r['cold_p99']:.2f} "
            f"| {r['cached_p50']:.4f} / {r['cached_p99']:.4f} "
            f"| {r['get_rps']:.0f} | {r['put_rps']:.0f} "
            f"| {r['render_ms']:.0f} | {r['rss_idle']:.0f} / {r['rss']:.0f} | {r['statuses']} |"
        )
    print(
        "\nTargets (issue 19, this 2-core machine): "
        + "; ".join(f"{k} {v}" for k, v in TARGETS.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
