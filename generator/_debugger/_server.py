"""The debugger's HTTP side: Segment's API paths, the page, the JSON API and the stream.

Standard library only: a ``ThreadingHTTPServer`` answers each connection in its own
daemon thread, and the page gets live updates through Server-Sent Events.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ._ingest import PATHS, Outcome, ingest, size_limit

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


class HTTPServer(ThreadingHTTPServer):
    """A threading server that knows its debugger and can listen on IPv6 too."""

    daemon_threads = True  # a hung client must not keep the process alive
    debugger: DebuggerServer

    def __init__(self, address: tuple[str, int], debugger: DebuggerServer) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.debugger = debugger
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

    def log_message(self, format: str, *args: Any) -> None:
        """Log requests only when asked; paths and codes only, never headers."""
        if self.server.debugger.verbose:
            super().log_message(format, *args)

    # -- Segment's HTTP API ---------------------------------------------------------

    def do_POST(self) -> None:
        """Answer an HTTP API call: faults first, then Segment's own checks."""
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
        outcome = ingest(
            path,
            self.headers,
            raw,
            write_keys=debugger.write_keys,
            integration=debugger.integration,
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
        if 0 <= length <= 2 * limit + 1024:
            return self.rfile.read(length) if length else b""
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
        message = f"the body is over {limit} bytes" if length >= 0 else "bad Content-Length"
        self._answer_api(Outcome(400, {"code": "request_too_large", "message": message}))
        return None

    def _answer_api(self, outcome: Outcome, headers: dict[str, str] | None = None) -> None:
        self.server.debugger.store.count_request(outcome.status)
        self._answer_json(outcome.status, outcome.body, headers)

    # -- The page, its assets, the JSON API and the live stream ---------------------

    def do_GET(self) -> None:
        """Serve the page, its static assets, ``/api/events`` and ``/api/stream``."""
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
        store = self.server.debugger.store
        try:
            limit = int(query["limit"]) if "limit" in query else None
        except ValueError:
            self._answer_json(400, {"code": "invalid_request", "message": "limit must be a number"})
            return
        events = store.events(
            type=query.get("type") or None,
            status=query.get("status") or None,
            event=query.get("event") or None,
            write_key=query.get("write_key") or None,
            limit=limit,
        )
        self._answer_json(200, {"counts": store.counts(), "events": events})

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
                        last_id = events[-1]["id"] if events else last_id
                        data = json.dumps({"events": events, "counts": counts})
                        self.wfile.write(f"id: {last_id}\ndata: {data}\n\n".encode())
                        sent_counts = counts
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    debugger.stopping.wait(_STREAM_COALESCE_SECONDS)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                pass  # the page was closed or reloaded

    # -- Answers ----------------------------------------------------------------------

    def _answer_json(
        self, status: int, body: object, headers: dict[str, str] | None = None
    ) -> None:
        content = json.dumps(body).encode()
        self._answer(status, content, "application/json", headers)

    def _answer(
        self, status: int, content: bytes, content_type: str, headers: dict[str, str] | None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(content)


def write_jsonl(log: IO[str], records: list[dict[str, Any]]) -> None:
    """Append records to the JSONL log, one line each, and flush so ``tail -f`` sees them."""
    log.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    log.flush()
