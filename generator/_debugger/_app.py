"""The debugger as an object: configure it, ``start()`` it in a thread, ``stop()`` it."""

from __future__ import annotations

import contextlib
import math
import random
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from ._keys import WriteKeys
from ._server import HTTPServer, write_jsonl
from ._store import DEFAULT_KEEP, DEFAULT_MAX_BYTES, EventStore
from ._validate import check_event

_WARM_UP = {"type": "track", "userId": "u", "event": "Warm Up", "properties": {"a": 1}}


class DebuggerServer:
    """A local stand-in for Segment's HTTP API with a Source Debugger page.

    Example::

        with DebuggerServer(port=0, integration="acme-mail") as debugger:
            client = segment.analytics.Client("KEY", host=debugger.url)
            ...
            debugger.store.counts()

    Args:
        host: The address to listen on; loopback unless you mean to share it.
        port: The port; 0 picks a free one (read it back from :attr:`url`).
        write_keys: The write keys you expect. Events with another key are still
            accepted with a 200, as Segment accepts them, and marked ``warn``.
        strict_keys: Answer 401 to a key not in ``write_keys`` (Segment does not).
        integration: The slug ``context.integration.name`` must equal, if any.
        log: Append every event to this JSONL file (write keys masked).
        fail_rate: The share of API requests to answer with 503, from 0 to 1.
        rate_limit: Answer 429 once more than this many API requests arrive in a second.
        keep: How many events to keep for the page; older ones are only counted.
        keep_bytes: How many bytes of event JSON to keep at most; the oldest go first.
        read_timeout: Seconds a client has to send a whole request once it starts one.
        seed: Seed the fault injection's random choices, for repeatable runs.
        verbose: Log each request line to stderr.

    Raises:
        ValueError: An argument is out of range.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        write_keys: Iterable[str] = (),
        strict_keys: bool = False,
        integration: str | None = None,
        log: str | Path | None = None,
        fail_rate: float = 0.0,
        rate_limit: int | None = None,
        keep: int = DEFAULT_KEEP,
        keep_bytes: int = DEFAULT_MAX_BYTES,
        read_timeout: float = 10.0,
        seed: int | None = None,
        verbose: bool = False,
    ) -> None:
        if not 0.0 <= fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be between 0 and 1, got {fail_rate}")
        if rate_limit is not None and rate_limit < 1:
            raise ValueError(f"rate_limit must be at least 1 request/s, got {rate_limit}")
        if not read_timeout > 0:
            raise ValueError(f"read_timeout must be over 0 seconds, got {read_timeout}")
        self.host = host
        self.port = port
        self.write_keys = WriteKeys(write_keys)
        self.strict_keys = strict_keys
        self.read_timeout = read_timeout
        self.integration = integration or None
        self.log_path = Path(log) if log is not None else None
        self.fail_rate = fail_rate
        self.rate_limit = rate_limit
        self.verbose = verbose
        self.store = EventStore(keep, keep_bytes)
        self.stopping = threading.Event()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._window = -1
        self._window_count = 0
        self._log: IO[str] | None = None
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._streams = 0
        self._streams_done = threading.Condition(self._lock)

    def __repr__(self) -> str:
        where = self.url if self._httpd else f"{self.host}:{self.port} (stopped)"
        return f"<DebuggerServer {where} keys={self.write_keys!r}>"

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8765``; also the SDKs' ``host``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> Self:
        """Bind the port and serve in a background thread.

        Returns:
            This server, with :attr:`port` set to the bound port.

        Raises:
            OSError: The address cannot be bound (e.g. the port is in use).
        """
        if self._httpd is not None:
            raise RuntimeError("the debugger is already running")
        self.stopping.clear()
        # Load segment.yml and the naming rules now: their caches hold no lock, so a burst
        # of first requests would otherwise parse them once per thread, all at once.
        check_event(_WARM_UP, integration=self.integration)
        if self.log_path is not None:
            self._log = self.log_path.open("a", encoding="utf-8")
        try:
            self._httpd = HTTPServer((self.host, self.port), self)
        except OSError:
            self._close_log()
            raise
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"segment-debugger-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, end live streams and close the port and the log file.

        Args:
            timeout: Seconds to wait for open live streams to end.
        """
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self.stopping.set()
        self.store.close()
        httpd.shutdown()
        httpd.close_connections()
        with self._streams_done:
            self._streams_done.wait_for(lambda: self._streams == 0, timeout)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
        self._close_log()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- Used by the request handler --------------------------------------------------

    def record(self, records: list[dict[str, Any]]) -> None:
        """Store the accepted events of one request, and log them when asked."""
        texts = self.store.add(records)
        if self._log is not None:
            with self._lock:
                write_jsonl(self._log, texts)

    def over_rate_limit(self) -> bool:
        """Count one API request; tell whether it is over ``rate_limit`` this second."""
        if self.rate_limit is None:
            return False
        window = math.floor(time.monotonic())
        with self._lock:
            if window != self._window:
                self._window, self._window_count = window, 0
            self._window_count += 1
            return self._window_count > self.rate_limit

    def injected_failure(self) -> bool:
        """Tell whether to answer this API request with an injected 503."""
        if self.fail_rate <= 0.0:
            return False
        with self._lock:
            return self._random.random() < self.fail_rate

    @contextlib.contextmanager
    def streaming(self) -> Iterator[None]:
        """Track an open live stream, so :meth:`stop` can wait for it to end."""
        with self._lock:
            self._streams += 1
        try:
            yield
        finally:
            with self._streams_done:
                self._streams -= 1
                self._streams_done.notify_all()

    def _close_log(self) -> None:
        log, self._log = self._log, None
        if log is not None:
            log.close()
