"""A small, fixed pool of threads that send batches for every customer of the process.

A worker takes a batch the dispatcher says may go now, waits for the rate limiter, sends
it, and reports the outcome: delivered, put aside for a retry (the worker does not sleep
through the backoff: it moves on to other batches), or dead-lettered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ._batcher import Batch
from ._dispatch import Dispatcher
from ._keys import basic_auth, key_id, redact
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy, is_retryable
from ._transport import NETWORK_ERRORS, Transport

log = logging.getLogger(__name__.rpartition(".")[0])

# finish(batch, status, reason): reason is None when the batch was delivered.
Finish = Callable[[Batch, "int | None", "str | None"], None]


class WorkerPool:
    """``size`` daemon threads, started on first use."""

    def __init__(
        self,
        *,
        size: int,
        dispatcher: Dispatcher,
        limiter: RateLimiter,
        transport: Transport,
        retry: RetryPolicy,
        url_of: Callable[[str], str],
        finish: Finish,
    ) -> None:
        """Create the pool (no thread starts until :meth:`start`).

        Args:
            size: Number of threads.
            dispatcher: Where batches come from and outcomes go.
            limiter: The process-wide request ceiling.
            transport: Sends one request.
            retry: Backoff and time budget.
            url_of: Maps a region to its ``/v1/batch`` URL (raises ValueError if unknown).
            finish: Called when a batch is delivered or dead-lettered.
        """
        self.size = size
        self._dispatcher = dispatcher
        self._limiter = limiter
        self._transport = transport
        self._retry = retry
        self._url_of = url_of
        self._finish = finish
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the threads once; later calls do nothing."""
        if self._threads:
            return
        with self._lock:
            if not self._threads:
                self._threads = [
                    threading.Thread(target=self._run, name=f"segment-source-worker-{i}", daemon=True)
                    for i in range(self.size)
                ]
                for thread in self._threads:
                    thread.start()

    def join(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds in all for the threads to leave."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))

    @property
    def threads(self) -> int:
        """How many worker threads are alive."""
        return sum(t.is_alive() for t in self._threads)

    def _run(self) -> None:
        try:
            while (batch := self._dispatcher.next_batch()) is not None:
                try:
                    self._send(batch)
                except Exception as exc:  # a bug must not kill the worker nor lose the batch
                    log.exception("unexpected error while sending a batch")
                    self._finish(batch, None, f"internal error: {type(exc).__name__}")
        finally:
            self._transport.close()

    def _send(self, batch: Batch) -> None:
        write_key, region = batch.destination
        who = f"customer {key_id(write_key)} ({region})"
        try:
            url = self._url_of(region)
        except ValueError as exc:
            self._finish(batch, None, f"{who}: {exc}")
            return
        slot = self._limiter.acquire()
        now = time.monotonic()
        if batch.first_try is None:
            batch.first_try = now
        headers = {"Content-Type": "application/json", "Authorization": basic_auth(write_key)}
        if batch.tries:
            headers["X-Retry-Count"] = str(batch.tries)
        self._dispatcher.note_request(batch)
        status: int | None = None
        retry_after: float | None = None
        try:
            response = self._transport.post(url, batch.body(), headers, on_sent=slot.sent)
        except NETWORK_ERRORS as exc:
            why = f"network error {type(exc).__name__}"
        else:
            status, retry_after = response.status, response.retry_after
            why = f"HTTP {status} {redact(response.text, write_key)!r}"
        batch.tries += 1
        if status is not None and 200 <= status < 300:
            self._finish(batch, status, None)
        elif status is not None and not is_retryable(status):
            self._finish(batch, status, f"{who}: {why} is not retryable")
        else:
            delay = self._retry.delay(batch.tries, retry_after)
            when = time.monotonic() + delay
            if when - batch.first_try > self._retry.max_seconds:
                self._finish(
                    batch,
                    status,
                    f"{who}: retry budget of {self._retry.max_seconds:g} s spent "
                    f"after {batch.tries} tries; last: {why}",
                )
                return
            log.info(
                "batch of %d events for %s: %s; retry %d in %.2f s", len(batch.events), who, why, batch.tries, delay
            )
            self._dispatcher.retry_at(batch, when, pause=retry_after is not None)
