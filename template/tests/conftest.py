"""A loopback stand-in for Segment's HTTP API that records requests and scripts answers.

``fake_api`` answers 200 unless told otherwise: ``fake_api.script(...)`` queues answers
for the next requests, in arrival order, and ``fake_api.default`` answers the rest. An
answer is a status (``503``), a :class:`Reply` (status, headers, delay before answering,
body), :data:`RESET` (close the connection with a TCP reset, no answer), :data:`HANG` (no
answer until the test ends or ``fake_api.release()``) or :data:`TRICKLE` (an answer whose
headers start at once and then get one byte every 50 ms, never ending until released).
"""

from __future__ import annotations

import base64
import bisect
import importlib.util
import json
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# A shell that starts a background job without job control (CI, nohup) ignores SIGINT in
# it, and children inherit "ignored": the tests that press Ctrl-C in a child would hang.
# A handler of our own is reset to the default in children at exec, so they feel Ctrl-C.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

RESET = "reset"
HANG = "hang"
TRICKLE = "trickle"


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, extra headers, seconds to wait before answering, body.

    In ``body``, ``{authorization}`` stands for the request's Authorization header and
    ``{key}`` for the write key decoded from it (an endpoint that echoes them).
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: str | None = None


Answer = int | Reply | str


@dataclass
class Request:
    """One request as the fake saw it; ``answer`` is what it was told to answer."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    size: int
    at: float
    answer: Answer

    @property
    def status(self) -> int | None:
        if isinstance(self.answer, Reply):
            return self.answer.status
        return self.answer if isinstance(self.answer, int) else None

    @property
    def message_ids(self) -> list[str]:
        return [event["messageId"] for event in self.body.get("batch", [])]


@dataclass
class FakeAPI:
    """The fake's URL, what it received, and its script of answers."""

    url: str
    requests: list[Request] = field(default_factory=list)
    default: Answer = 200
    answers: deque[Answer] = field(default_factory=deque)
    released: threading.Event = field(default_factory=threading.Event)

    def script(self, *answers: Answer) -> None:
        """Answer the next requests with ``answers``, in order, then ``default``."""
        self.answers.extend(answers)

    def release(self) -> None:
        """Let hanging and delayed requests end now."""
        self.released.set()

    @property
    def delivered(self) -> list[Request]:
        """Requests answered 2xx without delay: the client saw their answer."""
        return [r for r in self.requests if r.status is not None and 200 <= r.status < 300]

    @property
    def events(self) -> list[dict[str, Any]]:
        """Events of the delivered requests (``body`` itself for a non-batch request)."""
        return [event for r in self.delivered for event in r.body.get("batch", [r.body])]

    @property
    def message_ids(self) -> list[str]:
        return [event["messageId"] for event in self.events]

    def wait_for(self, predicate: Callable[[FakeAPI], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate(self)`` holds; fail the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                pytest.fail(f"fake API: condition not met in {timeout} s ({len(self.requests)} requests)")
            time.sleep(0.01)


# Arrival times come from the kernel: the time the first byte of a request was received,
# not the time a handler thread got the CPU (on a busy machine that can be 100 ms later
# for one request and not for the next, which bunches arrivals up).
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def _arrival(sock: socket.socket) -> float:
    """Wait for the next request on ``sock``; return its arrival on the monotonic clock."""
    try:
        _, ancillary, _, _ = sock.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
    except OSError:
        return time.monotonic()
    for level, kind, value in ancillary:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
            seconds, nanos = struct.unpack("qq", value[:16])
            return seconds + nanos / 1e9 - time.time() + time.monotonic()
    return time.monotonic()


def most_in_one_second(times: Iterable[float]) -> int:
    """The most requests that arrived within any window of one second (the ceiling's measure)."""
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


def _serve(api_factory: Callable[[str], FakeAPI]) -> tuple[FakeAPI, Callable[[], None]]:
    holder: list[FakeAPI] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # keep-alive replies otherwise stall ~40 ms each
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)

        def handle_one_request(self) -> None:
            self.arrived = _arrival(self.connection)
            super().handle_one_request()

        def do_POST(self) -> None:
            at = self.arrived
            api = holder[0]
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                answer = api.answers.popleft() if api.answers else api.default
                api.requests.append(Request(self.path, dict(self.headers), json.loads(raw), len(raw), at, answer))
            if answer == RESET:
                # SO_LINGER 0: close() sends a TCP RST instead of a FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if answer == HANG:
                api.released.wait(60)
                self.close_connection = True
                return
            if answer == TRICKLE:  # headers that never end: the status is never known
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not api.released.wait(0.05):
                    self.wfile.write(b"a")
                    self.wfile.flush()
                self.close_connection = True
                return
            reply = answer if isinstance(answer, Reply) else Reply(int(answer))
            if reply.delay:
                api.released.wait(reply.delay)
            if reply.body is not None:
                auth = self.headers.get("Authorization", "")
                key = base64.b64decode(auth.removeprefix("Basic ")).decode().rstrip(":") if auth else ""
                payload = reply.body.replace("{authorization}", auth).replace("{key}", key).encode()
            else:
                payload = b'{"success": true}' if reply.status < 300 else b'{"code": "fake", "message": "scripted"}'
            self.send_response(reply.status)
            for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # resets and abandoned slow replies break pipes on purpose

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    api = api_factory(f"http://127.0.0.1:{server.server_address[1]}")
    holder.append(api)

    def stop() -> None:
        api.release()
        server.shutdown()
        server.server_close()
        thread.join()

    return api, stop


@pytest.fixture
def make_fake_api() -> Iterator[Callable[[], FakeAPI]]:
    """Start as many fake APIs as a test needs (say, one per region); all stop after it."""
    stops: list[Callable[[], None]] = []

    def make() -> FakeAPI:
        api, stop = _serve(FakeAPI)
        stops.append(stop)
        return api

    yield make
    for stop in stops:
        stop()


@pytest.fixture
def fake_api(make_fake_api: Callable[[], FakeAPI]) -> FakeAPI:
    """A fake HTTP API on 127.0.0.1 that answers 200 unless scripted otherwise."""
    return make_fake_api()


@pytest.fixture
def sink(fake_api: FakeAPI) -> FakeAPI:
    """The fake API answering 200 to everything (the name the simple tests use)."""
    return fake_api


# The Redis queue ([redis] extra) ------------------------------------------------------


_NOT_RUN: list[str] = []  # why a group of tests did not run, said once at the end


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the Redis tests only when their packages are missing, and say so at the end.

    ``pip install -e '.[test]'`` installs them. A missing ``redis-server`` is not a reason
    to skip: the ``redis_server`` fixture fails, so a machine without it shows red.
    """
    missing = [name for name in ("redis", "cryptography") if importlib.util.find_spec(name) is None]
    redis_tests = [item for item in items if "redis" in item.keywords]
    if missing and redis_tests:
        reason = f"{', '.join(missing)} not installed: pip install -e '.[test]'"
        _NOT_RUN.append(f"the {len(redis_tests)} Redis fleet tests did not run: {reason}")
        for item in redis_tests:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _NOT_RUN:
        terminalreporter.write_line(f"NOT RUN: {line}", yellow=True, bold=True)


@dataclass
class RedisServer:
    """A real ``redis-server`` on a free loopback port, with its data in a temporary folder.

    Keeps an append-only file, written out when the server is stopped (SIGTERM), so
    :meth:`restart` loses nothing.
    """

    binary: str
    folder: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        for _ in range(5):  # a free port found now may be taken before the server binds it
            if not self.port:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    self.port = probe.getsockname()[1]
            args = [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--protected-mode",
                "yes",
            ]
            self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                        conn.sendall(b"PING\r\n")
                        if conn.recv(64).startswith(b"+PONG"):
                            return
                except OSError:
                    time.sleep(0.02)
            self.stop()
            self.port = 0
        pytest.fail("redis-server did not start on a free loopback port in 5 tries")

    def stop(self) -> None:
        """Shut the server down cleanly (SIGTERM: it finishes its AOF)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stop, then start again on the same port with the same data."""
        port = self.port
        self.stop()
        self.port = port
        self.start()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh ``redis-server`` (Debian's package) for one test; fails if it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed: `apt-get install redis-server` (the [redis] tests need a real server)"
        )
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(binary, folder)
    server.start()
    yield server
    server.stop()
