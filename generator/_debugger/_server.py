"""The debugger's HTTP side: Segment's API paths, the page, the JSON API and the stream.

Standard library only: a ``ThreadingHTTPServer`` answers each connection in its own
daemon thread, and the page gets live updates through Server-Sent Events.

Bounds against a flood or a hostile client: a listen backlog of 1,024 (so a burst of
connections waits instead of timing out), a deadline for reading each whole request
(headers and body) once its first byte arrives, ``Host``/``Origin`` checks
(:mod:`._origin`), and answers written piece by piece from the store's JSON text.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ._ingest import PATHS, Outcome, ingest, size_limit
from ._origin import Guard
from ._store import encode

if TYPE_CHECKING:
    from ._app import DebuggerServer

_STATIC = {
    "index.html": "text/html; charset=utf-8",
    "debugger.js": "text/javascript; charset=utf-8",
    "debugger.css": "text/css; charset=utf-8",
}
# The page loads nothing from elsewhere: no CDN, no inline script, no third party.
_CSP = "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"
# How long a live stream gathers events before sending them, so a burst of thousands
# of events is one message rather than thousands.
_STREAM_COALESCE_SECONDS = 0.1
_STREAM_KEEPALIVE_SECONDS = 15.0
# Over-size bodies up to this size are read and dropped so the client gets its 400.
_DRAIN_BYTES = 16 * 1024 * 1024
# One live-stream message carries at most about this much event JSON, so a page that
# connects to a full store gets it in pieces it can parse one at a time.
_STREAM_MESSAGE_BYTES = 1024 * 1024
_WRITE_BYTES = 64 * 1024
# Requests whose bodies are parsed and checked at once; the others wait their turn.
_INGESTING = 4


class _DeadlineReader(socket.SocketIO):
    """A socket reader whose reads wait at most until ``deadline``, once one is set.

    A per-read timeout alone lets a client hold a thread for ever by sending a byte
    now and then; a deadline bounds the whole request.
    """

    def __init__(self, sock: socket.socket, idle: float) -> None:
        super().__init__(sock, "rb")
        self._socket = sock
        self.idle = idle
        self.deadline: float | None = None

    def readinto(self, b: Any) -> int | None:
        """Read into ``b``, waiting no later than the deadline (or ``idle`` without one)."""
        wait = self.idle if self.deadline is None else self.deadline - time.monotonic()
        if wait <= 0:
            raise TimeoutError("the request was not received in time")
        self._socket.settimeout(wait)
        return super().readinto(b)


class HTTPServer(ThreadingHTTPServer):
    """A threading server that knows its debugger and can listen on IPv6 too."""

    daemon_threads = True  # a hung client must not keep the process alive
    # socketserver listens with a backlog of 5: a burst of connections overflows it and
    # the clients wait for SYN retries (1, 3, 7... s) or time out. Linux caps it at
    # net.core.somaxconn.
    request_queue_size = 1024
    debugger: DebuggerServer

    def __init__(self, address: tuple[str, int], debugger: DebuggerServer) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.debugger = debugger
        self.guard = Guard(address[0])
        self.ingesting = threading.BoundedSemaphore(_INGESTING)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Remember each connection, so :meth:`close_connections` can end idle ones."""
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget a connection once its handler is done with it."""
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every open connection: SDKs keep idle keep-alive connections in a pool."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    """Answers one connection; keep-alive, as Segment's libraries reuse connections."""

    server: HTTPServer
    protocol_version = "HTTP/1.1"
    # Without this, keep-alive replies stall about 40 ms each (Nagle + delayed ACK).
    disable_nagle_algorithm = True
    timeout = 120  # seconds an idle keep-alive connection may hold a thread
    server_version = "segment-source-debugger"

    def setup(self) -> None:
        """Read the connection through a reader that enforces the request deadline."""
        super().setup()
        self.rfile.close()
        self._reader = _DeadlineReader(self.connection, float(self.timeout))
        self._buffered = io.BufferedReader(self._reader)
        self.rfile = self._buffered

    def handle_one_request(self) -> None:
        """Wait for a request as long as an idle connection may, then read it in time."""
        self._reader.deadline = None
        try:
            if not self._buffered.peek(1):
                self.close_connection = True
                return
        except OSError:  # the idle timeout, or the client went away
            self.close_connection = True
            return
        self._reader.deadline = time.monotonic() + self.server.debugger.read_timeout
        super().handle_one_request()

    def _request_read(self) -> None:
        """The request is in: writes get the idle timeout again, not the deadline's rest."""
        self._reader.deadline = None
        self.connection.settimeout(self._reader.idle)

    def _refused(self, post: bool) -> bool:
        """Answer 403 to a refused ``Host`` or ``Origin``; tell whether it did.

        Args:
            post: The request changes something, so its ``Origin`` is checked too.

        Returns:
            True when the request was refused and answered.
        """
        guard = self.server.guard
        host = self.headers.get("Host")
        problem = guard.host_problem(host)
        if problem is None and post:
            problem = guard.origin_problem(self.headers.get("Origin"), host)
        if problem is None:
            return False
        self._request_read()
        self.close_connection = True  # the body, if any, is not read
        self._answer_json(403, {"code": "forbidden", "message": problem})
        return True

    def log_message(self, format: str, *args: Any) -> None:
        """Log requests only when asked; paths and codes only, never headers."""
        if self.server.debugger.verbose:
            super().log_message(format, *args)

    # -- Segment's HTTP API ---------------------------------------------------------

    def do_POST(self) -> None:
        """Answer an HTTP API call: faults first, then Segment's own checks."""
        if self._refused(post=True):
            self.server.debugger.store.count_request(403)
            return
        path = urlsplit(self.path).path.rstrip("/")
        raw = self._read_body(path)
        if raw is None:
            return
        debugger = self.server.debugger
        if path not in PATHS:
            self._answer_json(404, {"code": "not_found", "message": f"no such path {path!r}"})
            return
        if debugger.over_rate_limit():
            # Segment's 429 carries both headers, in seconds (HTTP API docs, "Rate limits").
            headers = {"Retry-After": "1", "X-RateLimit-Reset": "1"}
            self._answer_api(Outcome(429, {"code": "rate_limit", "message": "too many requests"}),
                             headers)  # fmt: skip
            return
        if debugger.injected_failure():
            self._answer_api(Outcome(503, {"code": "unavailable", "message": "injected failure"}))
            return
        # A few requests at a time turn their bodies into Python objects (about ten times
        # the JSON's size): 1,000 concurrent 500 KB batches would otherwise take gigabytes
        # at once, and, sharing the GIL, all finish together at the very end.
        with self.server.ingesting:
            outcome = ingest(
                path,
                self.headers,
                raw,
                write_keys=debugger.write_keys,
                integration=debugger.integration,
                strict_keys=debugger.strict_keys,
            )
            if outcome.records:
                debugger.record(outcome.records)
        self._answer_api(outcome)

    def _read_body(self, path: str) -> bytes | None:
        """Read the body; refuse without reading when it is far over any limit."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        # Twice the JSON limit leaves room for gzip overhead; beyond, don't keep it.
        limit = size_limit(path)
        try:
            if 0 <= length <= 2 * limit + 1024:
                raw = self.rfile.read(length) if length else b""
                self._request_read()
                if len(raw) == length:
                    return raw
                self.close_connection = True  # the client closed its side early
                ended = f"the body ended after {len(raw)} of {length} bytes (Content-Length)"
                self._answer_api(Outcome(400, {"code": "invalid_request", "message": ended}))
                return None
            if 0 < length <= _DRAIN_BYTES:
                # Read and drop it: a client still sending would see a broken pipe, not the 400.
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            else:
                self.close_connection = True
        except TimeoutError:
            self._request_read()
            self.close_connection = True
            seconds = self.server.debugger.read_timeout
            late = f"the body did not arrive within {seconds:g} s (Content-Length {length})"
            self._answer_api(Outcome(408, {"code": "request_timeout", "message": late}))
            return None
        self._request_read()
        message = f"the body is over {limit} bytes" if length >= 0 else "bad Content-Length"
        self._answer_api(Outcome(400, {"code": "request_too_large", "message": message}))
        return None

    def _answer_api(self, outcome: Outcome, headers: dict[str, str] | None = None) -> None:
        self.server.debugger.store.count_request(outcome.status)
        self._answer_json(outcome.status, outcome.body, headers)

    # -- The page, its assets, the JSON API and the live stream ---------------------

    def do_GET(self) -> None:
        """Serve the page, its static assets, ``/api/events`` and ``/api/stream``."""
        self._request_read()
        if self._refused(post=False):
            return
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        path = url.path
        if path in ("/", "/index.html"):
            self._answer_static("index.html")
        elif path.startswith("/static/") and path[len("/static/") :] in _STATIC:
            self._answer_static(path[len("/static/") :])
        elif path == "/api/events":
            self._answer_events(query)
        elif path == "/api/stream":
            self._stream(query)
        elif path in PATHS:
            self._answer_json(405, {"code": "method_not_allowed", "message": "use POST"},
                              {"Allow": "POST"})  # fmt: skip
        else:
            self._answer_json(404, {"code": "not_found", "message": f"no such path {path!r}"})

    def _answer_events(self, query: dict[str, str]) -> None:
        """Answer ``{"counts", "events"}``, written event by event from the stored text."""
        store = self.server.debugger.store
        limit_text = query.get("limit", "")
        if limit_text and not (limit_text.isascii() and limit_text.isdigit()
                               and len(limit_text) < 10):  # fmt: skip
            self._answer_json(
                400,
                {"code": "invalid_request", "message": "limit must be a whole number, e.g. 100"},
            )
            return
        counts = encode(store.counts())
        events = list(
            store.encoded(
                type=query.get("type") or None,
                status=query.get("status") or None,
                event=query.get("event") or None,
                write_key=query.get("write_key") or None,
                limit=int(limit_text) if limit_text else None,
            )
        )  # references to the stored text: nothing is copied or encoded again
        head, tail = f'{{"counts":{counts},"events":[', "]}"
        length = len(head) + sum(len(e) for e in events) + max(len(events) - 1, 0) + len(tail)
        self._start(200, "application/json", length)
        self._write_pieces([head, *_joined(events), tail])

    def _write_pieces(self, pieces: Any) -> None:
        """Write ASCII text pieces in writes of about 64 KB."""
        buffer: list[str] = []
        size = 0
        for piece in pieces:
            buffer.append(piece)
            size += len(piece)
            if size >= _WRITE_BYTES:
                self.wfile.write("".join(buffer).encode("ascii"))
                buffer, size = [], 0
        self.wfile.write("".join(buffer).encode("ascii"))

    def _answer_static(self, name: str) -> None:
        content = (files(__package__) / "static" / name).read_bytes()
        self._answer(200, content, _STATIC[name], {"Content-Security-Policy": _CSP})

    def _stream(self, query: dict[str, str]) -> None:
        """Send new events as Server-Sent Events until the client or the server leaves."""
        debugger = self.server.debugger
        try:
            last_id = int(self.headers.get("Last-Event-ID") or query.get("after") or 0)
        except ValueError:
            last_id = 0
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        sent_counts: dict[str, Any] | None = None
        with debugger.streaming():
            try:
                while not debugger.stopping.is_set():
                    wait = 0 if sent_counts is None else _STREAM_KEEPALIVE_SECONDS
                    events, counts = debugger.store.wait_after(last_id, wait)
                    if events or counts != sent_counts:
                        last_id = self._send_events(events, last_id, encode(counts))
                        sent_counts = counts
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    debugger.stopping.wait(_STREAM_COALESCE_SECONDS)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                pass  # the page was closed or reloaded

    def _send_events(self, events: list[tuple[int, str]], last_id: int, counts: str) -> int:
        """Send events as messages of about 1 MB each, each with the id of its newest.

        Returns:
            The id of the newest event sent (``last_id`` when there was none).
        """
        groups: list[list[tuple[int, str]]] = [[]]
        size = 0
        for event in events:
            if size and size + len(event[1]) > _STREAM_MESSAGE_BYTES:
                groups.append([])
                size = 0
            groups[-1].append(event)
            size += len(event[1])
        for group in groups:
            last_id = group[-1][0] if group else last_id
            self._write_pieces([f'id: {last_id}\ndata: {{"events":[',
                                *_joined([text for _, text in group]),
                                f'],"counts":{counts}}}\n\n'])  # fmt: skip
        return last_id

    # -- Answers ----------------------------------------------------------------------

    def _answer_json(
        self, status: int, body: object, headers: dict[str, str] | None = None
    ) -> None:
        content = json.dumps(body).encode()
        self._answer(status, content, "application/json", headers)

    def _answer(
        self, status: int, content: bytes, content_type: str, headers: dict[str, str] | None
    ) -> None:
        self._start(status, content_type, len(content), headers)
        self.wfile.write(content)

    def _start(
        self, status: int, content_type: str, length: int, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()


def _joined(texts: list[str]) -> list[str]:
    """The texts with commas between them, as pieces of a JSON array."""
    pieces: list[str] = []
    for index, text in enumerate(texts):
        if index:
            pieces.append(",")
        pieces.append(text)
    return pieces


def write_jsonl(log: IO[str], texts: list[str]) -> None:
    """Append JSON texts to the JSONL log, one line each; flush so ``tail -f`` sees them."""
    log.write("".join(text + "\n" for text in texts))
    log.flush()
