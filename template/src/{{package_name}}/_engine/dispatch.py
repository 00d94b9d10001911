"""The bounded buffer of accepted events and the choice of which batch is sent next.

All state sits behind one lock. Each destination (write key and region) keeps its
accepted events in order; a batch is cut from them only when a worker may send it now
(a free worker, a free place under the rate ceiling), so events that wait for the
ceiling are merged into batches as full as Segment allows (2,500 events, 500 KB). A
destination is due when it holds a full batch, its oldest event is ``flush_interval``
old, a ``flush()`` asked for it, or the client is closing. Workers serve due
destinations round-robin, skipping one paused by ``Retry-After``, one with
``per_destination`` requests in flight and a host with ``per_host``, so a slow host or
customer never holds every worker. A batch waiting for its retry sits in a timer heap,
not in a sleeping worker.

Every batch ends exactly once, in two steps: whoever claims it (:meth:`Dispatcher.claim`:
a worker with the answer, or ``close()`` giving up) owns its hand-off (the dead-letter
callback, the spool), and the batch is settled (:meth:`Dispatcher.settle`) only once that
hand-off has returned. ``flush()`` and ``close()`` wait for settled batches, so they never
return while a dead-letter callback still runs for the events they wait for.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, get_args

from .. import spec
from ..errors import ClientClosed, QueueFull
from .batcher import EMPTY_BODY_BYTES, Batch, Destination, Outcome
from .ratelimit import RateLimiter, Slot

# What one queued event costs beyond its JSON: the bytes object, the queue entry, its ids.
EVENT_OVERHEAD_BYTES = 184
# An idle worker (beyond the first) leaves after this long without work.
IDLE_WORKER_SECONDS = 30.0
# Destinations left with nothing to send are forgotten; paused ones are swept this often.
SWEEP_SECONDS = 60.0

# What a full buffer does to the producer: wait for room, or raise QueueFull.
OnFull = Literal["block", "raise"]
ON_FULL: tuple[OnFull, ...] = get_args(OnFull)
# The stats counter a settled batch's events add to.
Tally = Literal["sent", "dead_lettered", "spooled"]

RETIRE = "retire"  # next_batch(): this worker is not needed any more
# Callers' waits (flush, close, a full buffer) wake this often: a Ctrl-C that the kernel
# hands to a worker thread is only seen by the main thread when it wakes up.
_CALLER_WAIT_SLICE = 0.1


def _wait(condition: threading.Condition, remaining: float | None) -> None:
    condition.wait(_CALLER_WAIT_SLICE if remaining is None else min(remaining, _CALLER_WAIT_SLICE))


@dataclass(frozen=True)
class ClientStats:
    """Counters since the client started (events unless said otherwise).

    Attributes:
        accepted: Events accepted by calls.
        recovered: Events found in the spool at start and queued again.
        sent: Events delivered (the server answered 2xx).
        retried: Requests that were retries of an earlier try (requests, not events).
        dead_lettered: Events handed to the dead-letter callback.
        spooled: Events left in the spool at close, for the next client.
        queued: Events accepted and not yet settled (sent, dead-lettered or spooled).
        queued_bytes: What the queued events count against ``max_queued_bytes``.
        requests: Requests made, retries included.
    """

    accepted: int = 0
    recovered: int = 0
    sent: int = 0
    retried: int = 0
    dead_lettered: int = 0
    spooled: int = 0
    queued: int = 0
    queued_bytes: int = 0
    requests: int = 0


@dataclass(eq=False)
class _Destination:
    host: str
    # (seq, event, spool id, when accepted)
    pending: deque[tuple[int, bytes, int | None, float]] = field(default_factory=deque)
    pending_bytes: int = 0  # the events' sizes plus one comma each
    due_at: float = math.inf  # when the oldest pending event is flush_interval old
    retries: deque[Batch] = field(default_factory=deque)  # batches whose retry is due
    flying: int = 0  # requests in flight
    out: int = 0  # batches cut and not settled (flying or waiting for a retry)
    paused_until: float = 0.0

    @property
    def empty(self) -> bool:
        return not self.pending and not self.out


class Dispatcher:
    """The buffer and the scheduler; thread-safe."""

    def __init__(
        self,
        *,
        max_queued_events: int,
        max_queued_bytes: int,
        on_full: OnFull,
        flush_interval: float,
        per_host: int,
        per_destination: int,
        max_workers: int,
        host_of: Callable[[str], str],
        limiter: RateLimiter,
    ) -> None:
        """Create an empty dispatcher.

        Args:
            max_queued_events: Bound of accepted, unsettled events.
            max_queued_bytes: Bound of their size (JSON plus bookkeeping).
            on_full: "block" or "raise" when a bound is reached.
            flush_interval: Longest wait of an event before its batch is due.
            per_host: Most requests in flight to one host.
            per_destination: Most requests in flight for one customer.
            max_workers: Most worker threads (:meth:`set_grow` starts them).
            host_of: Maps a region to its host, to apply ``per_host``.
            limiter: The request ceiling; a batch is cut only when it grants a place.
        """
        self.max_queued_events = max_queued_events
        self.max_queued_bytes = max_queued_bytes
        self.on_full = on_full
        self.flush_interval = flush_interval
        self.per_host = per_host
        self.per_destination = per_destination
        self.max_workers = max_workers
        self._host_of = host_of
        self._limiter = limiter
        self._grow: Callable[[], None] | None = None
        lock = threading.Lock()
        self._room = threading.Condition(lock)  # producers wait here for room
        self._work = threading.Condition(lock)  # workers wait here for a batch
        self._settled = threading.Condition(lock)  # flush() and close() wait here
        self._lock = lock
        self._destinations: dict[Destination, _Destination] = {}
        self._ready: dict[Destination, None] = {}  # insertion-ordered set: round-robin
        self._timers: list[tuple[float, int, Destination]] = []  # destinations' due times
        self._waiting: list[tuple[float, int, Batch]] = []  # batches waiting for a retry
        self._out: set[Batch] = set()  # cut and not settled
        self._flying: set[Batch] = set()
        self._handing_off: set[Batch] = set()  # claimed, hand-off not done
        self._in_flight: Counter[str] = Counter()
        self._order = itertools.count()
        self._last_seq = 0  # acceptance number of the latest event
        self._flush_mark = 0  # events up to this number are due now
        self._closed = False  # no more events accepted
        self._draining = False  # workers take no new batch (close gave up on the rest)
        self._stopped = False  # workers leave
        self._counts: Counter[str] = Counter()
        self._queued = 0
        self._queued_bytes = 0
        self._accepting = 0  # producers between reserve() and put()/release()
        self._workers = 0
        self._left = 0  # events settled as LEFT by close()
        self._idle_workers = 0
        self._timed_wake = math.inf  # when the worker waiting with a timeout wakes
        self._next_sweep = time.monotonic() + SWEEP_SECONDS

    def set_grow(self, grow: Callable[[], None]) -> None:
        """Give the callback that starts one more worker thread (called under the lock)."""
        self._grow = grow

    # Producers -------------------------------------------------------------------------

    def reserve(self, size: int, *, block: bool = True) -> int | None:
        """Take room for one event of ``size`` JSON bytes; return its cost for :meth:`put`.

        Args:
            size: The event's serialized size.
            block: False returns None instead of waiting or raising when full.

        Raises:
            QueueFull: When full and ``on_full`` is "raise".
            ClientClosed: When the client is (or gets) closed.
        """
        cost = size + EVENT_OVERHEAD_BYTES
        with self._lock:
            while True:
                if self._closed:
                    raise ClientClosed("the client is closed and accepts no more events")
                fits = self._queued_bytes + cost <= self.max_queued_bytes or self._queued == 0
                if self._queued < self.max_queued_events and fits:
                    self._queued += 1
                    self._queued_bytes += cost
                    self._accepting += 1
                    return cost
                if not block:
                    return None
                if self.on_full == "raise":
                    raise QueueFull(self._queued, self._queued_bytes)
                _wait(self._room, None)

    def release(self, cost: int) -> None:
        """Give back room taken by :meth:`reserve` for an event that was not accepted."""
        with self._lock:
            self._queued -= 1
            self._queued_bytes -= cost
            self._accepting -= 1
            self._room.notify()
            self._settled.notify_all()

    def put(
        self, destination: Destination, event: bytes, spool_id: int | None = None, *, recovered: bool = False
    ) -> None:
        """Accept one serialized event, after :meth:`reserve`, for its destination."""
        with self._lock:
            self._accepting -= 1
            if not self._workers and self._grow is not None:  # the first worker starts with the first event
                self._workers += 1
                self._grow()
            self._counts["recovered" if recovered else "accepted"] += 1
            self._last_seq += 1
            state = self._destinations.get(destination)
            if state is None:
                state = self._destinations[destination] = _Destination(self._host_of(destination[1]))
            now = time.monotonic()
            if not state.pending:
                self._set_due(destination, state, now + self.flush_interval)
            state.pending.append((self._last_seq, event, spool_id, now))
            state.pending_bytes += len(event) + 1
            if destination not in self._ready and (self._closed or self._full(state)):
                self._ready[destination] = None
                self._work.notify()
            self._settled.notify_all()

    def _set_due(self, destination: Destination, state: _Destination, when: float) -> None:
        state.due_at = when
        heapq.heappush(self._timers, (when, next(self._order), destination))
        if self._timers[0][0] == when:  # earlier than the timer a worker waits for
            self._work.notify()

    @staticmethod
    def _full(state: _Destination) -> bool:
        # A whole batch's worth is waiting: cutting now fills one to the cap.
        return (
            len(state.pending) >= spec.MAX_BATCH_EVENTS
            or EMPTY_BODY_BYTES + state.pending_bytes - 1 > spec.MAX_BATCH_BYTES
        )

    def _due(self, state: _Destination, now: float) -> bool:
        if state.retries:
            return True
        if not state.pending:
            return False
        return self._closed or state.due_at <= now or state.pending[0][0] <= self._flush_mark or self._full(state)

    # Workers ---------------------------------------------------------------------------

    def next_batch(self) -> tuple[Batch, Slot] | str | None:
        """Wait for a batch that may be sent now, with its place under the rate ceiling.

        Returns:
            ``(batch, slot)``; :data:`RETIRE` when this idle worker should leave; None
            when every worker must stop.
        """
        with self._lock:
            while not (self._stopped or self._draining):
                now = time.monotonic()
                self._promote(now)
                taken, wake = self._pick(now)
                if taken is not None:
                    if self._idle_workers:
                        self._work.notify()  # the next due batch, or the timer duty
                    elif self._workers < self.max_workers and self._grow is not None:
                        # Keep one thread idle (up to the ceiling): it watches the timers and
                        # takes the next batch at once, whatever the busy ones wait for.
                        self._workers += 1
                        self._grow()
                    return taken
                self._idle_workers += 1
                try:
                    if wake < self._timed_wake - 0.001:  # this worker keeps the next timer
                        self._timed_wake = wake
                        self._work.wait(max(wake - now, 0.0))
                        if self._timed_wake == wake:
                            self._timed_wake = math.inf
                    elif not self._work.wait(IDLE_WORKER_SECONDS) and self._workers > 1:
                        self._workers -= 1
                        return RETIRE
                finally:
                    self._idle_workers -= 1
            self._workers -= 1
            return None

    def _pick(self, now: float) -> tuple[tuple[Batch, Slot] | None, float]:
        wake = min(self._timers[0][0] if self._timers else math.inf, self._waiting[0][0] if self._waiting else math.inf)
        for destination in list(self._ready):
            state = self._destinations.get(destination)
            if state is None or not self._due(state, now):
                del self._ready[destination]
                continue
            if state.paused_until > now:
                wake = min(wake, state.paused_until)
                continue
            if self._in_flight[state.host] >= self.per_host or state.flying >= self.per_destination:
                continue  # a settle or retry wakes a worker
            slot = self._limiter.try_acquire()
            if not isinstance(slot, Slot):
                return None, min(wake, now + slot)
            batch = self._cut(destination, state)
            del self._ready[destination]
            if self._due(state, now):
                self._ready[destination] = None  # back of the line: round-robin
            return (batch, slot), wake
        if now >= self._next_sweep:
            self._sweep(now)
        return None, wake

    def _cut(self, destination: Destination, state: _Destination) -> Batch:
        if state.retries:
            batch = state.retries.popleft()
        else:
            batch = Batch(destination, first_seq=state.pending[0][0])
            pending = state.pending
            while pending and batch.fits(pending[0][1]):
                _, event, spool_id, _ = pending.popleft()
                batch.add(event, spool_id)
                state.pending_bytes -= len(event) + 1
                batch.held += len(event) + EVENT_OVERHEAD_BYTES
            if not pending:
                state.due_at = math.inf
            elif pending[0][3] + self.flush_interval > state.due_at:  # the rest waits its own turn
                self._set_due(destination, state, pending[0][3] + self.flush_interval)
            state.out += 1
            self._out.add(batch)
        state.flying += 1
        self._in_flight[state.host] += 1
        self._flying.add(batch)
        return batch

    def _promote(self, now: float) -> None:
        while self._waiting and self._waiting[0][0] <= now:
            batch = heapq.heappop(self._waiting)[2]
            if batch.outcome is None:
                self._destinations[batch.destination].retries.append(batch)
                self._ready[batch.destination] = None
        while self._timers and self._timers[0][0] <= now:
            destination = heapq.heappop(self._timers)[2]
            state = self._destinations.get(destination)
            if state is not None and state.pending and state.due_at <= now:
                self._ready[destination] = None

    def note_request(self, batch: Batch) -> None:
        """Count one request for ``batch`` (a retry when it was sent before)."""
        with self._lock:
            self._counts["requests"] += 1
            if batch.tries:
                self._counts["retried"] += 1

    def retry_at(self, batch: Batch, when: float, *, pause: bool) -> bool:
        """Put a batch aside until ``when``; ``pause`` holds its whole destination too.

        Returns:
            False when the batch must be settled instead: ``close()`` has given up on
            what is left (or already settled this batch).
        """
        with self._lock:
            if batch.outcome is not None or self._draining or self._stopped:
                return False
            self._land(batch)
            heapq.heappush(self._waiting, (when, next(self._order), batch))
            if pause:  # Retry-After speaks for the customer, not only for this batch
                state = self._destinations[batch.destination]
                state.paused_until = max(state.paused_until, when)
            self._work.notify()
            return True

    def claim(self, batch: Batch, outcome: Outcome) -> bool:
        """Set ``batch``'s outcome once; True for the caller that did it.

        The winner owns the hand-off and must call :meth:`settle` when it is done; until
        then the batch still counts as unsettled (``flush()`` and ``close()`` wait for it).

        Returns:
            False when it was claimed already (the caller must not hand it off again).
        """
        with self._lock:
            return self._claim(batch, outcome)

    def _claim(self, batch: Batch, outcome: Outcome) -> bool:
        if batch.outcome is not None:
            return False
        batch.outcome = outcome
        self._land(batch)
        self._handing_off.add(batch)
        self._settled.notify_all()  # wait_claimed()
        return True

    def settle(self, batch: Batch, counter: Tally) -> None:
        """The hand-off of a claimed batch is done: count its events and free their room."""
        with self._lock:
            self._settle(batch, counter)

    def _settle(self, batch: Batch, counter: Tally) -> None:
        if batch not in self._handing_off:
            return
        self._handing_off.discard(batch)
        self._out.discard(batch)
        self._counts[counter] += len(batch.events)
        if batch.outcome is Outcome.LEFT:
            self._left += len(batch.events)
        self._queued -= len(batch.events)
        self._queued_bytes -= batch.held
        state = self._destinations.get(batch.destination)
        if state is not None:
            state.out -= 1
            if state.empty and state.paused_until <= time.monotonic():
                del self._destinations[batch.destination]
                self._ready.pop(batch.destination, None)
        self._room.notify_all()
        self._settled.notify_all()

    def handing_off(self) -> tuple[int, int]:
        """``(batches, events)`` claimed and not settled: their hand-off (say, a dead-letter callback) runs."""
        with self._lock:
            return len(self._handing_off), sum(len(b.events) for b in self._handing_off)

    def _land(self, batch: Batch) -> None:
        if batch in self._flying:
            self._flying.discard(batch)
            self._destinations[batch.destination].flying -= 1
            host = self._destinations[batch.destination].host
            self._in_flight[host] -= 1
            if not self._in_flight[host]:
                del self._in_flight[host]
            self._work.notify()  # a host or customer share came free

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_SECONDS
        for destination in [d for d, s in self._destinations.items() if s.empty and s.paused_until <= now]:
            del self._destinations[destination]
            self._ready.pop(destination, None)

    # Control ---------------------------------------------------------------------------

    def flush(self, timeout: float | None) -> int:
        """Make every event accepted so far due; wait until each is settled.

        Events accepted after the call are not waited for, so a running producer cannot
        keep this from returning.

        Returns:
            How many of those events are still unsettled (0 unless ``timeout`` passed).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            mark = self._flush_mark = max(self._flush_mark, self._last_seq)
            for destination, state in self._destinations.items():
                if state.pending:
                    self._ready[destination] = None
            self._work.notify_all()
            while self._oldest_unsettled() <= mark:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return self._unsettled_up_to(mark)
                _wait(self._settled, remaining)
            return 0

    def _oldest_unsettled(self) -> float:
        oldest = min((s.pending[0][0] for s in self._destinations.values() if s.pending), default=math.inf)
        return min(oldest, min((b.first_seq for b in self._out), default=math.inf))

    def _unsettled_up_to(self, mark: int) -> int:
        count = sum(len(b.events) for b in self._out if b.first_seq <= mark)
        for state in self._destinations.values():
            count += sum(1 for _ in itertools.takewhile(lambda e: e[0] <= mark, state.pending))
        return count

    def close(self) -> None:
        """Accept no more events; everything queued is due now; blocked producers get
        :class:`ClientClosed`."""
        with self._lock:
            self._closed = True
            for destination, state in self._destinations.items():
                if state.pending:
                    self._ready[destination] = None
            self._room.notify_all()
            self._work.notify_all()

    def abandon(self, accepting_timeout: float = 10.0) -> tuple[list[Batch], list[Batch]]:
        """Give up on what is left: claim every batch not in flight as LEFT.

        Waits (up to ``accepting_timeout``) for producers between reserve() and put(), so
        their events are included, and makes workers take no new batch.

        Args:
            accepting_timeout: Longest wait for producers in the middle of a call.

        Returns:
            ``(left, flying)``: the batches claimed here (hand them off, then
            :meth:`settle` them), and those in flight (their workers claim them; see
            :meth:`wait_claimed`).
        """
        with self._lock:
            self._closed = True
            deadline = time.monotonic() + accepting_timeout
            while self._accepting and time.monotonic() < deadline:
                _wait(self._settled, deadline - time.monotonic())
            self._draining = True
            self._work.notify_all()
            left: list[Batch] = []
            for destination, state in self._destinations.items():
                left.extend(state.retries)
                state.retries.clear()
                while state.pending:
                    batch = Batch(destination, first_seq=state.pending[0][0])
                    while state.pending and batch.fits(state.pending[0][1]):
                        _, event, spool_id, _ = state.pending.popleft()
                        batch.add(event, spool_id)
                        batch.held += len(event) + EVENT_OVERHEAD_BYTES
                    state.out += 1
                    self._out.add(batch)
                    left.append(batch)
                state.pending_bytes = 0
            left.extend(entry[2] for entry in self._waiting if entry[2].outcome is None)
            self._waiting.clear()
            claimed = [batch for batch in left if self._claim(batch, Outcome.LEFT)]
            return claimed, list(self._flying)

    def wait_claimed(self, batches: list[Batch], timeout: float) -> None:
        """Wait up to ``timeout`` seconds until every one of ``batches`` is claimed."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while any(b.outcome is None for b in batches):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                _wait(self._settled, remaining)

    def stop(self) -> None:
        """Make the workers leave once they finish their current request."""
        with self._lock:
            self._stopped = self._closed = True
            self._work.notify_all()
            self._room.notify_all()
            self._settled.notify_all()

    def left_events(self) -> int:
        """How many events close() left (spooled, or dead-lettered as undelivered)."""
        with self._lock:
            return self._left

    def stats(self) -> ClientStats:
        """Return a snapshot of the counters."""
        with self._lock:
            return ClientStats(queued=self._queued, queued_bytes=self._queued_bytes, **self._counts)
