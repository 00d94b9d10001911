"""HTTP POST over kept-alive connections, one set per worker thread (stdlib only).

``http.client`` connections are not thread-safe, so each worker keeps its own, one per
host; reusing them saves a TCP (and TLS) handshake per batch.

A socket timeout bounds each read or write, not the request: a server that trickles a
byte now and then would hold a worker forever. So every request also has a deadline for
the whole of it, kept by one watchdog thread that shuts the socket down when it passes;
:meth:`Transport.abort` does the same to every request in flight (``close()`` uses it).
Answers are read up to :data:`MAX_ANSWER_BYTES`; a longer body drops the connection.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .retry import parse_retry_after

# What a network failure looks like from http.client: resets, refused connections,
# timeouts (socket.timeout is TimeoutError, an OSError) and broken HTTP framing.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (OSError, http.client.HTTPException)

# Servers drop idle keep-alive connections; reusing one after that costs a failed try, so
# a connection idle this long is replaced before use instead.
MAX_IDLE_SECONDS = 20.0

# Segment answers with a few dozen bytes; only the start of a body is ever shown.
MAX_ANSWER_BYTES = 64 * 1024


class RequestAborted(ConnectionAbortedError):
    """The request's deadline passed, or the transport was aborted, before it ended."""


@dataclass(frozen=True)
class Response:
    """What the server answered: the status, ``Retry-After`` in seconds, the body's start."""

    status: int
    retry_after: float | None
    text: str


class _Watch:
    __slots__ = ("deadline", "fired", "sock")

    def __init__(self, deadline: float, sock: socket.socket) -> None:
        self.deadline = deadline
        self.sock = sock
        self.fired = False

    def fire(self) -> None:
        if not self.fired:
            self.fired = True
            with contextlib.suppress(OSError):  # the plain socket's shutdown, also for TLS:
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)  # it wakes a blocked read at once


class _Watchdog:
    """One thread that shuts down sockets whose request outlived its deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._active: set[_Watch] = set()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self.aborted = False

    def watch(self, deadline: float, sock: socket.socket) -> _Watch:
        entry = _Watch(deadline, sock)
        with self._cond:
            if self.aborted:
                entry.fire()
                return entry
            self._active.add(entry)
            heapq.heappush(self._heap, (deadline, next(self._seq), entry))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="segment-source-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][2] is entry:
                self._cond.notify()
        return entry

    def unwatch(self, entry: _Watch) -> None:
        with self._cond:
            self._active.discard(entry)

    def abort(self) -> None:
        with self._cond:
            self.aborted = True
            for entry in self._active:
                entry.fire()
            self._active.clear()
            self._heap.clear()
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self.aborted:
                now = time.monotonic()
                while self._heap and (self._heap[0][2] not in self._active or self._heap[0][0] <= now):
                    entry = heapq.heappop(self._heap)[2]
                    if entry in self._active:
                        self._active.discard(entry)
                        entry.fire()
                if not self._heap:
                    if not self._cond.wait(30.0) and not self._heap:
                        self._thread = None  # idle: leave; the next watch() starts a new one
                        return
                else:
                    self._cond.wait(self._heap[0][0] - now)


class Transport:
    """Sends request bodies; each calling thread gets its own kept-alive connections."""

    def __init__(self, timeout: float) -> None:
        """Create the transport.

        Args:
            timeout: Seconds for a whole request: connecting, writing and reading the answer.
        """
        self.timeout = timeout
        self._local = threading.local()
        self._tls = ssl.create_default_context()
        self._watchdog = _Watchdog()

    def post(
        self, url: str, body: bytes, headers: dict[str, str], on_sent: Callable[[], None] | None = None
    ) -> Response:
        """POST ``body`` to ``url`` and read the answer, all within ``timeout`` seconds.

        Args:
            url: Absolute http(s) URL.
            body: The request body, sent as is.
            headers: Extra request headers.
            on_sent: Called once the request is written, before the answer is read.

        Returns:
            The answer's status, ``Retry-After`` and up to :data:`MAX_ANSWER_BYTES` of
            its body (decoded; the caller redacts and shortens it).

        Raises:
            OSError: On a network failure, timeout or abort (the connection is dropped).
            http.client.HTTPException: When the answer is not valid HTTP.
        """
        if self._watchdog.aborted:
            raise RequestAborted("the client is closing")
        deadline = time.monotonic() + self.timeout
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        conn = self._connection(*key)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        watch: _Watch | None = None
        try:
            if conn.sock is None:
                conn.timeout = self.timeout
                conn.connect()
            assert conn.sock is not None
            watch = self._watchdog.watch(deadline, conn.sock)
            conn.request("POST", path, body=body, headers=headers)
            if on_sent is not None:
                on_sent()
            response = conn.getresponse()
            data = response.read(MAX_ANSWER_BYTES)
            if watch.fired:  # cut off mid-answer: http.client may have parsed a truncated one
                raise ConnectionAbortedError("deadline passed")
            if not response.isclosed():  # a longer body than we read: the connection is spent
                self._drop(*key)
        except BaseException as exc:
            self._drop(*key)
            if watch is not None and watch.fired and isinstance(exc, NETWORK_ERRORS):
                raise RequestAborted(f"request took longer than {self.timeout:g} s, or the client is closing") from None
            raise
        finally:
            if watch is not None:
                self._watchdog.unwatch(watch)
        if response.will_close:
            self._drop(*key)
        return Response(
            response.status,
            parse_retry_after(response.getheader("Retry-After")),
            data.decode("utf-8", "replace"),
        )

    def abort(self) -> None:
        """End every request in flight now and refuse new ones (any thread may call this)."""
        self._watchdog.abort()

    def close(self) -> None:
        """Close the calling thread's connections."""
        for conn in self._pool().values():
            conn.close()
        self._pool().clear()

    def _pool(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        return pool

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        pool = self._pool()
        conn = pool.get((scheme, netloc))
        now = time.monotonic()
        last_used: dict[tuple[str, str], float] = self._local.__dict__.setdefault("last_used", {})
        if conn is not None and now - last_used.get((scheme, netloc), now) > MAX_IDLE_SECONDS:
            self._drop(scheme, netloc)
            conn = None
        last_used[(scheme, netloc)] = now
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=self._tls)
            else:
                conn = http.client.HTTPConnection(netloc, timeout=self.timeout)
            pool[(scheme, netloc)] = conn
        return conn

    def _drop(self, scheme: str, netloc: str) -> None:
        conn = self._pool().pop((scheme, netloc), None)
        if conn is not None:
            conn.close()
