"""Hand-offs of finished batches (the dead-letter callback, the spool), then their settlement.

A worker (or ``close()``) that claimed a batch hands it off here: a dead batch goes to
``on_dead_letter``, a delivered or dead one leaves the spool, a batch ``close()`` gave up
on stays in the spool (or, without one, goes to the callback too). Only when that is done
is the batch settled (:meth:`Dispatcher.settle`), so ``flush()`` and ``close()`` never
return while a callback still runs for their events. The exit hook waits for callbacks
that outlived a ``close()`` (:data:`CALLBACKS`): a process that exits never cuts one off.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .batcher import Batch, Outcome
from .dispatch import Dispatcher, Tally
from .spool import Spool

log = logging.getLogger(__name__.partition(".")[0])

# on_dead_letter(events, status, reason): status is None for network errors or a close
# that gave up.
DeadLetter = Callable[[list[dict[str, Any]], "int | None", str], None]

# How often the exit hook says which callbacks it still waits for.
_EXIT_REPORT_SECONDS = 10.0


class RunningCallbacks:
    """The dead-letter callbacks running now, in every client of the process."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start empty, with a fresh lock (in a forked child: the parent's threads are not here)."""
        self._cond = threading.Condition()
        self._running: dict[int, int] = {}  # id -> events
        self._ids = iter(range(1 << 62))

    @contextlib.contextmanager
    def running(self, events: int) -> Iterator[None]:
        """Count one callback with ``events`` events as running while the block runs."""
        with self._cond:
            key = next(self._ids)
            self._running[key] = events
        try:
            yield
        finally:
            with self._cond:
                del self._running[key]
                self._cond.notify_all()

    def describe(self) -> str:
        """E.g. "2 on_dead_letter callbacks (150 events)"; empty when none runs."""
        with self._cond:
            count, events = len(self._running), sum(self._running.values())
        return f"{count} on_dead_letter callback(s) ({events} events)" if count else ""

    def wait_all(self) -> None:
        """Wait until no callback runs, saying every few seconds what is still running."""
        with self._cond:
            while self._running:
                if not self._cond.wait(_EXIT_REPORT_SECONDS) and self._running:
                    events = sum(self._running.values())
                    log.warning(
                        "at exit: waiting for %d on_dead_letter callback(s) (%d events) to return",
                        len(self._running),
                        events,
                    )


CALLBACKS = RunningCallbacks()


class Settlement:
    """Hands off the batches of one client and settles them; thread-safe."""

    def __init__(
        self, dispatcher: Dispatcher, spool: Spool | None, on_dead_letter: Callable[[], DeadLetter | None]
    ) -> None:
        self._dispatcher = dispatcher
        self._spool = spool
        # Read when a batch dies, not when the client starts: a callback set later (or
        # chained onto the first, as the service's Tenants does) is the one called.
        self._on_dead_letter = on_dead_letter
        self._lock = threading.Lock()
        self._handoffs = 0  # hand-offs in progress: the spool stays open for them
        self._spool_closing = False
        self._unforgotten: list[int] = []  # settled spool rows a failed delete left behind

    def counter(self, outcome: Outcome) -> Tally:
        """The stats counter a batch with ``outcome`` adds its events to."""
        if outcome is Outcome.SENT:
            return "sent"
        if outcome is Outcome.DEAD or self._spool is None:
            return "dead_lettered"
        return "spooled"

    def finish(self, batch: Batch, outcome: Outcome, status: int | None, reason: str | None) -> None:
        """A worker's answer for ``batch``: claim it, hand it off, settle it (once)."""
        if self._dispatcher.claim(batch, outcome):
            self.hand_off(batch, status, reason)

    def hand_off(self, batch: Batch, status: int | None, reason: str | None) -> None:
        """Hand off a batch its caller claimed, then settle it (even when the hand-off fails)."""
        assert batch.outcome is not None
        with self._lock:
            self._handoffs += 1
        try:
            if batch.outcome is Outcome.DEAD or (batch.outcome is Outcome.LEFT and self._spool is None):
                self._dead_letter(batch, status, reason or "client closed before the batch was delivered")
            if batch.outcome is not Outcome.LEFT:  # LEFT rows stay in the spool for the next client
                self._forget(batch.spool_ids)
        finally:
            self._dispatcher.settle(batch, self.counter(batch.outcome))
            with self._lock:
                self._handoffs -= 1
                close_spool = self._spool_closing and not self._handoffs
            if close_spool:
                self._close_spool()

    def close_spool(self) -> None:
        """Close the spool now, or when the last hand-off in progress ends."""
        with self._lock:
            self._spool_closing = True
            now = not self._handoffs
        if now:
            self._close_spool()

    def _dead_letter(self, batch: Batch, status: int | None, reason: str) -> None:
        callback = self._on_dead_letter()
        if callback is None:
            log.error("dead-letter: %d events not delivered (status %s): %s", len(batch.events), status, reason)
            return
        with CALLBACKS.running(len(batch.events)):
            try:
                callback([json.loads(e) for e in batch.events], status, reason)
            except Exception:  # the callback's bug must not stop the worker
                log.exception("on_dead_letter raised; %d events only logged", len(batch.events))

    def _forget(self, ids: list[int]) -> None:
        if self._spool is None:
            return
        with self._lock:
            ids, self._unforgotten = self._unforgotten + ids, []
        try:
            self._spool.remove(ids)
        except (sqlite3.Error, OSError) as exc:
            with self._lock:
                self._unforgotten.extend(ids)
            log.error(
                "spool: %d settled events could not be removed (%s); removal is tried again, and if "
                "they stay, the next client sends them again (same messageIds: Segment drops the copies)",
                len(ids),
                exc,
            )

    def _close_spool(self) -> None:
        if self._spool is None:
            return
        if self._unforgotten:
            self._forget([])
        self._spool.close()
