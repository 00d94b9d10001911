"""What the benchmarks share: the kernel-stamped loopback sink, its one-second count, redis-server.

    python benchmarks/_sink.py MODE PORT_FILE   # the sink, until killed (Sink starts it)

The sink serves every connection from one thread (selectors) and stamps a request's
arrival with the kernel's receive time of its first byte (Linux ``SO_TIMESTAMPNS``): with
a thread per connection stamping when it got the GIL, arrivals were blurred by tens of
milliseconds on a busy machine (and by hundreds when the sink itself was descheduled),
enough to see 52 (or 70) requests in a second that the client had spread over more than
one. ``MODE`` is "ok" (all 200), "faulty" (20 % 503, 5 % 429 with ``Retry-After: 1``) or
"delay:<seconds>" (all 200, each answered that long after it arrived, without holding the
others up). ``GET /stats`` reports what arrived; ``DELETE /stats`` forgets it.

The generated project's tests keep their own copy of the stamping (its conftest): a
project cannot import the generator's benchmarks.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# Kernel receive timestamps (Linux): a request's arrival is the time the kernel received
# its first byte, not the time the sink got around to reading it.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def most_in_one_second(times: Iterable[float]) -> int:
    """The most requests that arrived within any window of one second."""
    ordered = sorted(times)
    most, first = 0, 0
    for i, t in enumerate(ordered):
        while ordered[first] <= t - 1.0:
            first += 1
        most = max(most, i - first + 1)
    return most


class _Conn:
    """One sink connection: a buffer, and the arrival stamp of the request being read."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.arrived = 0.0

    def read(self, handle: Callable[[_Conn, bytes, bytes], None]) -> bool:
        """Read what is there; hand complete requests to ``handle``; False when closed."""
        try:
            # At a request's start read one byte: its timestamp is that of the first packet.
            size = 1 if not self.buffer else 1 << 20
            data, ancillary, _, _ = self.sock.recvmsg(size, socket.CMSG_SPACE(16))
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            return False
        if not self.buffer:
            self.arrived = time.time()
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanos = struct.unpack("qq", value[:16])
                    self.arrived = seconds + nanos / 1e9
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                break
            raw = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            handle(self, head, raw)
            if self.buffer:  # a pipelined next request: it arrived no later than now
                self.arrived = time.time()
        return True

    def reply(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        head = [
            f"HTTP/1.1 {status} X",
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
        ]
        head += [f"{k}: {v}" for k, v in headers.items()]
        try:
            self.sock.setblocking(True)
            self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
            self.sock.setblocking(False)
        except OSError:
            pass


class _Record:
    """What arrived; bodies are parsed only when asked (parsing at arrival delays stamps)."""

    def __init__(self) -> None:
        self.requests = 0
        self.answered: dict[str, int] = {}
        self.times: list[float] = []
        self.bodies: list[bytes] = []
        self.bytes = 0
        self.events = 0
        self.seq_ids: dict[str, set[str]] = {}
        self.message_ids: set[str] = set()

    def stats(self) -> dict[str, Any]:
        for raw in self.bodies:
            batch = json.loads(raw)["batch"]
            self.events += len(batch)
            for event in batch:
                self.message_ids.add(event["messageId"])
                seq = event.get("properties", {}).get("seq")
                if seq is not None:
                    self.seq_ids.setdefault(str(seq), set()).add(event["messageId"])
        self.bodies.clear()
        times = sorted(self.times)
        return {
            "requests": self.requests,
            "answered": self.answered,
            "delivered_events": self.events,
            "unique_ids": len(self.message_ids),
            "distinct_seqs": len(self.seq_ids),
            "dup_distinct_ids": sum(len(ids) - 1 for ids in self.seq_ids.values()),
            "max_requests_in_1s": most_in_one_second(times),
            "max_seq": max((int(s.split("-")[-1]) for s in self.seq_ids), default=-1),
            "first": times[0] if times else None,
            "last": times[-1] if times else None,
            "first_to_last_s": (times[-1] - times[0]) if len(times) > 1 else 0.0,
            "bytes": self.bytes,
        }


def serve_sink(mode: str, port_file: str) -> None:
    """Run the sink until killed (see the module's docstring for ``mode``)."""
    delay = float(mode.split(":", 1)[1]) if mode.startswith("delay:") else 0.0
    rng = random.Random(1234)
    record = _Record()

    def handle(conn: _Conn, head: bytes, raw: bytes) -> None:
        nonlocal record
        request_line = head.decode("latin-1").split("\r\n")[0]
        if request_line.startswith("GET"):
            conn.reply(200, json.dumps(record.stats()).encode(), {})
            return
        if request_line.startswith("DELETE"):
            record = _Record()
            conn.reply(200, b"{}", {})
            return
        roll = rng.random() if mode == "faulty" else 1.0
        status, headers = (
            (503, {}) if roll < 0.20 else (429, {"Retry-After": "1"}) if roll < 0.25 else (200, {})
        )
        record.requests += 1
        record.bytes += len(raw)
        record.times.append(conn.arrived)
        record.answered[str(status)] = record.answered.get(str(status), 0) + 1
        if status == 200:
            record.bodies.append(raw)
        heapq.heappush(due, (conn.arrived + delay, next(order), conn, status, headers))

    selector = selectors.DefaultSelector()
    due: list[tuple[float, int, _Conn, int, dict[str, str]]] = []
    order = itertools.count()
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ)
    Path(port_file).write_text(str(listener.getsockname()[1]))
    while True:
        timeout = None if not due else max(due[0][0] - time.time(), 0.0)
        for key, _ in selector.select(timeout):
            if key.fileobj is listener:
                sock, _ = listener.accept()
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                selector.register(sock, selectors.EVENT_READ, _Conn(sock))
            elif not key.data.read(handle):
                selector.unregister(key.fileobj)
                key.fileobj.close()
        while due and due[0][0] <= time.time():
            _, _, conn, status, headers = heapq.heappop(due)
            conn.reply(status, b'{"success": true}', headers)


class Sink:
    """The sink in its own process (so parsing never competes with the client for the GIL)."""

    def __init__(self, mode: str) -> None:
        self._dir = tempfile.TemporaryDirectory()
        port_file = Path(self._dir.name, "port")
        self.proc = subprocess.Popen([sys.executable, __file__, mode, str(port_file)])
        deadline = time.monotonic() + 30.0
        while not port_file.exists() or not port_file.read_text():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                sys.exit("the sink did not start within 30 s")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port_file.read_text()}"

    def _call(self, method: str) -> dict[str, Any]:
        request = urllib.request.Request(self.url + "/stats", method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def stats(self) -> dict[str, Any]:
        """What arrived since the start (or the last :meth:`reset`)."""
        return self._call("GET")

    def reset(self) -> None:
        """Forget what arrived."""
        self._call("DELETE")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._dir.cleanup()


class RedisServer:
    """Debian's redis-server on a free loopback port, without persistence."""

    def __init__(self, folder: Path, start_timeout: float = 10.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("redis-server is not installed: apt-get install redis-server")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(folder)]
        options += ["--save", "", "--appendonly", "no"]  # no persistence
        self.proc = subprocess.Popen([binary, *options], stdout=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + start_timeout
        while not self._ping():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                sys.exit(
                    f"redis-server did not answer PING on port {self.port} in {start_timeout:g} s"
                )
            time.sleep(0.05)

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as conn:
            conn.sendall(b"FLUSHALL\r\n")
            conn.recv(16)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


if __name__ == "__main__":
    serve_sink(sys.argv[1], sys.argv[2])
