"""HTTP POST over kept-alive connections, one set per worker thread (stdlib only).

``http.client`` connections are not thread-safe, so each worker keeps its own, one per
host; reusing them saves a TCP (and TLS) handshake per batch.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ._retry import parse_retry_after

# What a network failure looks like from http.client: resets, refused connections,
# timeouts (socket.timeout is TimeoutError, an OSError) and broken HTTP framing.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (OSError, http.client.HTTPException)

# Servers drop idle keep-alive connections; reusing one after that costs a failed try, so
# a connection idle this long is replaced before use instead.
MAX_IDLE_SECONDS = 20.0


@dataclass(frozen=True)
class Response:
    """What the server answered: the status, ``Retry-After`` in seconds, the body's start."""

    status: int
    retry_after: float | None
    text: str


class Transport:
    """Sends request bodies; each calling thread gets its own kept-alive connections."""

    def __init__(self, timeout: float) -> None:
        """Create the transport.

        Args:
            timeout: Seconds for connecting and for each socket read or write.
        """
        self.timeout = timeout
        self._local = threading.local()
        self._tls = ssl.create_default_context()

    def post(
        self, url: str, body: bytes, headers: dict[str, str], on_sent: Callable[[], None] | None = None
    ) -> Response:
        """POST ``body`` to ``url`` and read the whole answer.

        Args:
            url: Absolute http(s) URL.
            body: The request body, sent as is.
            headers: Extra request headers.
            on_sent: Called once the request is written, before the answer is read.

        Returns:
            The answer's status, ``Retry-After`` and up to 200 characters of its body.

        Raises:
            OSError: On a network failure or timeout (the connection is dropped).
            http.client.HTTPException: When the answer is not valid HTTP.
        """
        parts = urlsplit(url)
        conn = self._connection(parts.scheme, parts.netloc)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("POST", path, body=body, headers=headers)
            if on_sent is not None:
                on_sent()
            response = conn.getresponse()
            data = response.read()
        except BaseException:
            self._drop(parts.scheme, parts.netloc)
            raise
        if response.will_close:
            self._drop(parts.scheme, parts.netloc)
        return Response(
            response.status,
            parse_retry_after(response.getheader("Retry-After")),
            data[:200].decode("utf-8", "replace"),
        )

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
