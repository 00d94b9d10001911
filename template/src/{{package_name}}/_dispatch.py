"""The bounded buffer of accepted events and the choice of which batch is sent next.

All state sits behind one lock. Producers add serialized events to their destination's
open batch; a batch closes when full (2,500 events or the next event would cross 500 KB)
or when it is ``flush_interval`` old. Workers take closed batches round-robin across
destinations, skipping a destination paused by ``Retry-After`` and a host that already
has ``per_host`` requests in flight, so one slow host or customer never holds every
worker. A batch waiting for its retry sits in a timer heap, not in a sleeping worker.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ._batcher import Batch, Destination
from .errors import ClientClosed, QueueFull


@dataclass(frozen=True)
class ClientStats:
    """Counters since the client started (events unless said otherwise).

    Attributes:
        accepted: Events accepted by calls.
        recovered: Events found in the spool at start and queued again.
        sent: Events delivered (the server answered 2xx).
        retried: Requests that were retries of an earlier try (requests, not events).
        dead_lettered: Events handed to the dead-letter callback.
        queued: Events accepted and not yet delivered or dead-lettered.
        requests: Requests made, retries included.
    """

    accepted: int = 0
    recovered: int = 0
    sent: int = 0
    retried: int = 0
    dead_lettered: int = 0
    queued: int = 0
    requests: int = 0


@dataclass(eq=False)
class _Destination:
    host: str
    open: Batch | None = None
    ready: deque[Batch] = field(default_factory=deque)
    paused_until: float = 0.0


class Dispatcher:
    """The buffer and the scheduler; thread-safe."""

    def __init__(
        self,
        *,
        max_queued_events: int,
        on_full: str,
        flush_interval: float,
        per_host: int,
        host_of: Callable[[str], str],
    ) -> None:
        """Create an empty dispatcher.

        Args:
            max_queued_events: Bound of accepted, undelivered events.
            on_full: "block" (wait for room) or "raise" (:class:`QueueFull`).
            flush_interval: Longest time an open batch waits for more events.
            per_host: Most requests in flight to one host at a time.
            host_of: Maps a region to the host its requests go to.
        """
        self.max_queued_events = max_queued_events
        self.on_full = on_full
        self.flush_interval = flush_interval
        self.per_host = per_host
        self._host_of = host_of
        lock = threading.Lock()
        self._work = threading.Condition(lock)  # workers wait here for a batch
        self._room = threading.Condition(lock)  # producers wait here for buffer room
        self._idle = threading.Condition(lock)  # flush() waits here for an empty buffer
        self._lock = lock
        self._destinations: dict[Destination, _Destination] = {}
        self._runnable: dict[Destination, None] = {}  # insertion-ordered set: round-robin
        self._deadlines: list[tuple[float, int, Batch]] = []  # open batches' close times
        self._waiting: list[tuple[float, int, Batch]] = []  # batches waiting for a retry
        self._flying: set[Batch] = set()
        self._in_flight: Counter[str] = Counter()
        self._seq = itertools.count()
        self._closed = False  # no more events accepted
        self._stopped = False  # workers leave
        self._counts: Counter[str] = Counter()
        self._queued = 0

    # Producers -------------------------------------------------------------------------

    def reserve(self) -> None:
        """Take room for one event: wait for it or raise, as ``on_full`` says.

        Raises:
            QueueFull: When full and ``on_full`` is "raise".
            ClientClosed: When the client is (or gets) closed.
        """
        with self._lock:
            while True:
                if self._closed:
                    raise ClientClosed("the client is closed and accepts no more events")
                if self._queued < self.max_queued_events:
                    self._queued += 1
                    return
                if self.on_full == "raise":
                    raise QueueFull(self.max_queued_events)
                self._room.wait()

    def release(self) -> None:
        """Give back room taken by :meth:`reserve` for an event that was not accepted."""
        with self._lock:
            self._queued -= 1
            self._room.notify()
            if self._queued == 0:
                self._idle.notify_all()

    def put(self, destination: Destination, event: bytes, spool_id: int | None = None) -> None:
        """Add one serialized event, after :meth:`reserve`, to its destination's batch."""
        with self._lock:
            self._counts["accepted"] += 1
            self._put(destination, event, spool_id)

    def put_recovered(self, destination: Destination, event: bytes, spool_id: int) -> None:
        """Queue an event found in the spool at start; it is not counted against the bound."""
        with self._lock:
            self._queued += 1
            self._counts["recovered"] += 1
            self._put(destination, event, spool_id)

    def _put(self, destination: Destination, event: bytes, spool_id: int | None) -> None:
        state = self._destinations.get(destination)
        if state is None:
            state = self._destinations[destination] = _Destination(self._host_of(destination[1]))
        batch = state.open
        if batch is not None and not batch.fits(event):
            self._close_open(state)
            batch = None
        if batch is None:
            batch = state.open = Batch(destination)
            entry = (time.monotonic() + self.flush_interval, next(self._seq), batch)
            heapq.heappush(self._deadlines, entry)
            if self._deadlines[0] is entry:  # earlier than any worker's wake-up
                self._work.notify()
        batch.add(event, spool_id)
        if batch.full:
            self._close_open(state)

    def _close_open(self, state: _Destination) -> None:
        batch, state.open = state.open, None
        if batch is not None and batch.events:
            state.ready.append(batch)
            self._runnable[batch.destination] = None
            self._work.notify()

    # Workers ---------------------------------------------------------------------------

    def next_batch(self) -> Batch | None:
        """Wait for a batch that may be sent now and take it; None when workers must stop."""
        with self._lock:
            while not self._stopped:
                now = time.monotonic()
                self._promote(now)
                wake = min((t[0][0] for t in (self._deadlines, self._waiting) if t), default=None)
                for destination in list(self._runnable):
                    state = self._destinations[destination]
                    if not state.ready:
                        del self._runnable[destination]
                    elif state.paused_until > now:
                        wake = state.paused_until if wake is None else min(wake, state.paused_until)
                    elif self._in_flight[state.host] < self.per_host:
                        batch = state.ready.popleft()
                        del self._runnable[destination]
                        if state.ready:  # back of the line: round-robin across customers
                            self._runnable[destination] = None
                        self._in_flight[state.host] += 1
                        self._flying.add(batch)
                        return batch
                self._work.wait(None if wake is None else max(wake - now, 0.0))
            return None

    def _promote(self, now: float) -> None:
        while self._waiting and self._waiting[0][0] <= now:
            batch = heapq.heappop(self._waiting)[2]
            self._destinations[batch.destination].ready.appendleft(batch)
            self._runnable[batch.destination] = None
        while self._deadlines and self._deadlines[0][0] <= now:
            batch = heapq.heappop(self._deadlines)[2]
            state = self._destinations[batch.destination]
            if state.open is batch:
                self._close_open(state)

    def note_request(self, batch: Batch) -> None:
        """Count one request for ``batch`` (a retry when it was sent before)."""
        with self._lock:
            self._counts["requests"] += 1
            if batch.tries:
                self._counts["retried"] += 1

    def retry_at(self, batch: Batch, when: float, *, pause: bool) -> None:
        """Put a batch aside until ``when``; ``pause`` holds its whole destination too."""
        with self._lock:
            if batch.abandoned:
                return
            self._land(batch)
            heapq.heappush(self._waiting, (when, next(self._seq), batch))
            if pause:  # Retry-After speaks for the customer, not only for this batch
                state = self._destinations[batch.destination]
                state.paused_until = max(state.paused_until, when)
            self._work.notify_all()

    def done(self, batch: Batch, *, delivered: bool) -> bool:
        """Mark a batch delivered or dead-lettered; False when ``close()`` abandoned it."""
        with self._lock:
            if batch.abandoned:
                return False
            self._land(batch)
            self._counts["sent" if delivered else "dead_lettered"] += len(batch.events)
            self._queued -= len(batch.events)
            self._room.notify_all()
            self._work.notify_all()
            if self._queued == 0:
                self._idle.notify_all()
            return True

    def _land(self, batch: Batch) -> None:
        self._flying.discard(batch)
        self._in_flight[self._destinations[batch.destination].host] -= 1

    # Control ---------------------------------------------------------------------------

    def flush(self, timeout: float | None) -> int:
        """Close every open batch and wait until nothing is queued; return what is left."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            for state in self._destinations.values():
                self._close_open(state)
            self._work.notify_all()
            while self._queued > 0:
                if deadline is None:
                    self._idle.wait()
                else:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._idle.wait(remaining)
            return self._queued

    def close(self) -> None:
        """Accept no more events; blocked producers get :class:`ClientClosed`."""
        with self._lock:
            self._closed = True
            self._room.notify_all()

    def abandon(self, *, dead_lettered: bool) -> list[Batch]:
        """Stop the workers and take every undelivered batch, in flight or not."""
        with self._lock:
            left: list[Batch] = []
            for state in self._destinations.values():
                if state.open is not None and state.open.events:
                    left.append(state.open)
                state.open = None
                left.extend(state.ready)
                state.ready.clear()
            left.extend(entry[2] for entry in self._waiting)
            left.extend(self._flying)
            self._waiting.clear()
            self._flying.clear()
            self._runnable.clear()
            for batch in left:
                batch.abandoned = True  # a late answer for it is ignored
            if dead_lettered:
                self._counts["dead_lettered"] += sum(len(b.events) for b in left)
            self._queued = 0
            self._stop_locked()
            return left

    def stop(self) -> None:
        """Make the workers leave once they finish their current request."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        self._stopped = self._closed = True
        self._work.notify_all()
        self._room.notify_all()
        self._idle.notify_all()

    def stats(self) -> ClientStats:
        """Return a snapshot of the counters."""
        with self._lock:
            return ClientStats(queued=self._queued, **self._counts)
