"""The threads that send batches for every customer of the process.

The pool grows with the work: a thread starts when a batch is taken and no other thread
is idle, up to ``max_workers`` (sized from the rate ceiling and the longest round trip it
must cover), and a thread idle for half a minute leaves. A worker takes a batch the
dispatcher says may go now, sends it once, and reports the outcome: delivered, put aside
for a retry (the worker does not sleep through the backoff: it moves on to other
batches), or given up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .batcher import Batch, Outcome
from .dispatch import Dispatcher
from .keys import key_id
from .ratelimit import Slot
from .retry import RetryPolicy
from .send import attempt, next_step
from .transport import Transport

log = logging.getLogger(__name__.partition(".")[0])

# finish(batch, outcome, status, reason): reason is None when sent; LEFT when close()
# gave up on what is left while this batch was out.
Finish = Callable[[Batch, Outcome, "int | None", "str | None"], None]


class WorkerPool:
    """Daemon threads started on demand by the dispatcher."""

    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        transport: Transport,
        retry: RetryPolicy,
        url_of: Callable[[str], str],
        finish: Finish,
    ) -> None:
        """Create the pool and register it with the dispatcher (no thread starts yet).

        Args:
            dispatcher: Where batches come from and outcomes go; it asks for threads.
            transport: Sends one request.
            retry: Backoff and time budget.
            url_of: Maps a region to its ``/v1/batch`` URL (raises ValueError if unknown).
            finish: Called when a batch is settled.
        """
        self._dispatcher = dispatcher
        self._transport = transport
        self._retry = retry
        self._url_of = url_of
        self._finish = finish
        self._threads: list[threading.Thread] = []
        self._names = iter(range(1_000_000_000))
        self.peak = 0
        dispatcher.set_grow(self._grow)

    def _grow(self) -> None:
        # Called under the dispatcher's lock; Thread.start() does not need it.
        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=self._run, name=f"segment-source-worker-{next(self._names)}", daemon=True)
        self._threads.append(thread)
        self.peak = max(self.peak, len(self._threads))
        thread.start()

    def join(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds in all for the threads to leave."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(deadline - time.monotonic(), 0.0))

    @property
    def threads(self) -> int:
        """How many worker threads are alive."""
        return sum(t.is_alive() for t in list(self._threads))

    def _run(self) -> None:
        try:
            while True:
                taken = self._dispatcher.next_batch()
                if not isinstance(taken, tuple):  # None: stop; RETIRE: idle and not needed
                    return
                batch, slot = taken
                try:
                    self._send(batch, slot)
                except Exception as exc:  # a bug must not kill the worker nor lose the batch
                    slot.cancel()
                    log.exception("unexpected error while sending a batch")
                    self._finish(batch, Outcome.DEAD, None, f"internal error: {type(exc).__name__}")
        finally:
            self._transport.close()

    def _send(self, batch: Batch, slot: Slot) -> None:
        write_key, region = batch.destination
        who = f"customer {key_id(write_key)} ({region})"
        try:
            url = self._url_of(region)
        except ValueError as exc:
            slot.cancel()
            self._finish(batch, Outcome.DEAD, None, f"{who}: {exc}")
            return
        if batch.first_try is None:
            batch.first_try = time.monotonic()
        self._dispatcher.note_request(batch)
        result = attempt(self._transport, url, batch, write_key, slot=slot)
        if result.delivered:
            self._finish(batch, Outcome.SENT, result.status, None)
            return
        reason, delay = next_step(result, batch, self._retry, who)
        if reason is not None:
            self._finish(batch, Outcome.DEAD, result.status, reason)
            return
        log.info(
            "batch of %d events for %s: %s; retry %d in %.2f s", len(batch.events), who, result.why, batch.tries, delay
        )
        if not self._dispatcher.retry_at(batch, time.monotonic() + delay, pause=result.retry_after is not None):
            self._finish(
                batch,
                Outcome.LEFT,
                result.status,
                f"{who}: client closed before the batch was delivered; last try: {result.why}",
            )
