"""The client: one per process, sending every customer's events to Segment's HTTP Tracking API.

One :class:`Client` per process; one cheap :class:`Customer` handle per customer,
holding that customer's write key and region::

    client = Client(on_dead_letter=save_for_later)      # one per process
    acme = client.customer(write_key, region="eu")
    acme.track(user_id="u1", event=EmailOpened(email_id="e1"))
    client.flush(timeout=30)                            # optional: wait for delivery
    client.close()                                      # delivers what is queued

What it does for you:

- **Batching** per customer (write key and region) into ``/v1/batch``: a batch closes at
  2,500 events, before 500 KB (``sentAt`` included), or ``flush_interval`` after its
  first event. An event over 32 KB is refused at the call (:class:`EventRejected`).
- **Merging**: a batch is cut only when it may be sent, so events that wait for the rate
  ceiling are merged into batches as full as Segment allows.
- **Rate limit**: at most ``requests_per_second`` requests in any one-second window for
  the whole client, all customers together (default: Segment's 50 for partners), counted
  from when a request is granted until a window after it was written.
- **Retries** of 408, 410, 429, 460, 5xx except 501/505/511, resets and timeouts, with
  exponential backoff and jitter, ``Retry-After`` honoured, ``X-Retry-Count`` sent, the
  same events and messageIds on every try. A batch that cannot be delivered (any other
  status, or ``retry.max_seconds`` spent) goes to ``on_dead_letter(events, status,
  reason)``; the default logs an error with the counts.
- **No silent loss**: a buffer bounded in bytes and events (``max_queued_bytes``,
  ``max_queued_events``) that blocks or raises when full (``on_full``); every accepted
  event ends exactly once as sent, dead-lettered, or (with a spool, at close) kept for
  the next client; :meth:`Client.flush` and :meth:`Client.close` deliver or report what
  is left (:class:`DeliveryTimeout`); an exit hook closes live clients; a forked child
  gets fresh workers; ``spool_path`` keeps accepted events in SQLite across a crash and
  the next client on that file sends them.
- **Concurrency** sized from the ceiling: enough requests in flight for the whole
  ``requests_per_second`` at round trips up to :data:`ROUND_TRIP_SECONDS`; one host gets
  at most half of the threads and one customer at most three quarters of a host's share,
  and every request has a deadline (``timeout``) for the whole of it, so a slow or dead
  region or customer does not stall the others.
- **Security**: write keys never appear in logs, reprs or errors (a fingerprint,
  :attr:`Customer.key_id`, stands for them); https only, plain http only to loopback.
- **Naming**: Proper Case events and snake_case properties are checked: a warning (once
  per distinct problem), or a refusal with ``strict=True``.
- **Observability**: :meth:`Client.stats` and the ``logging`` logger of this package.
- **Run at scale** (the ``[redis]`` extra): with ``redis_url`` the client only checks
  events and appends them to a Redis queue; workers on any host send them under one
  shared rate limit (:mod:`.fleet`, ``python -m <package> worker``).

This module is the client's surface (options, calls, flush, close); the machinery is in
``_engine``.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import spec
from ._engine.batcher import Outcome
from ._engine.dispatch import ON_FULL, ClientStats, Dispatcher, OnFull
from ._engine.ids import MESSAGE_IDS
from ._engine.ratelimit import RateLimiter
from ._engine.recovery import Recovery
from ._engine.retry import RetryPolicy
from ._engine.settlement import CALLBACKS, DeadLetter, Settlement
from ._engine.spool import Spool
from ._engine.transport import Transport
from ._engine.workers import WorkerPool
from .customer import Customer
from .errors import ClientClosed, DeliveryTimeout, EventRejected, Where
from .naming import naming_advice, naming_problems
from .regions import checked_override, endpoint_for

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11

    from .fleet._queue import RedisQueue

log = logging.getLogger(__name__.partition(".")[0])

__all__ = ["Client", "ClientStats", "Customer", "DeadLetter", "OnFull", "RetryPolicy", "endpoint_for"]


_NAMING_CACHE_SIZE = 4096

# The longest round trip at which the default concurrency still reaches the whole
# ceiling: requests in flight = requests_per_second x this (Segment's hosts answer in
# 50-250 ms from most places; a far region or a slow link can take longer).
ROUND_TRIP_SECONDS = 0.6
# The buffer's default size: room for ~100,000 typical events, well inside a small
# container (accepted events wait here while the ceiling or a retry holds them).
DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024
# Requests in flight when the ceiling is switched off.
_UNLIMITED_IN_FLIGHT = 8


class Client:
    """Sends the calls of every customer of this process to Segment's HTTP API."""

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        endpoints: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        strict: bool = False,
        requests_per_second: int | None = spec.PARTNER_REQUESTS_PER_SECOND,
        workers: int | None = None,
        flush_interval: float = 0.5,
        max_queued_events: int = 100_000,
        max_queued_bytes: int = DEFAULT_MAX_QUEUED_BYTES,
        on_full: OnFull = "block",
        retry: RetryPolicy | None = None,
        on_dead_letter: DeadLetter | None = None,
        spool_path: str | os.PathLike[str] | None = None,
        exit_timeout: float = 10.0,
        redis_url: str | None = None,
        require_user_id: bool = False,
    ) -> None:
        """Create the client; its workers start with the first event.

        Args:
            endpoint: Base URL for every region instead of Segment's hosts (https; plain
                http only to loopback, for tests).
            endpoints: Base URL per region (``{"us": ..., "eu": ...}``), over ``endpoint``.
            timeout: Seconds for one whole request: connecting, writing, reading the answer.
            strict: Refuse events that break the naming rules instead of warning.
            requests_per_second: Ceiling for the whole client over any one-second window;
                None switches it off (never against Segment: it asks partners for 50).
            workers: Most sending threads for all customers; default: twice the requests
                in flight that reach the ceiling at :data:`ROUND_TRIP_SECONDS` (one host
                gets half). Threads start as the work needs them.
            flush_interval: Longest wait, in seconds, of an event before its batch is due.
            max_queued_events: Bound of accepted, unsettled events.
            max_queued_bytes: Bound of their memory (JSON plus ~184 bytes each).
            on_full: "block" waits for room when the buffer is full; "raise" raises
                :class:`QueueFull`.
            retry: Backoff and time budget of retries (default :class:`RetryPolicy`).
            on_dead_letter: Called as ``on_dead_letter(events, status, reason)`` from a
                worker thread (or from ``close()``) with the events of a batch that
                cannot be delivered, once per event; ``status`` is None for network
                errors or a close that timed out. Its events count as settled when it
                returns (``flush()`` and ``close()`` wait for that), and a process
                exiting waits for a callback still running.
            spool_path: SQLite file that keeps accepted events until delivered.
            exit_timeout: Seconds the exit hook waits for delivery.
            redis_url: Append accepted events to this Redis queue instead of sending
                them (the ``[redis]`` extra; ``python -m <package> worker`` sends them);
                ``max_queued_events`` then bounds the whole queue and ``on_full`` also
                covers an unavailable server. Needs ``SEGMENT_QUEUE_SECRET``.
            require_user_id: Refuse calls without ``user_id`` (Segment's partner guide asks
                for one on every call); False lets an ``anonymous_id`` alone through.

        Raises:
            ValueError: For a bad option or endpoint.
            SourceError: When ``spool_path`` is used by another live client.
            QueueSecretError: With ``redis_url``, when ``SEGMENT_QUEUE_SECRET`` is missing or malformed.
        """
        if on_full not in ON_FULL:
            raise ValueError(f"on_full must be one of {ON_FULL}, not {on_full!r}")
        if (workers is not None and workers < 1) or max_queued_events < 1 or flush_interval < 0 or timeout <= 0:
            raise ValueError("workers and max_queued_events must be >= 1, flush_interval >= 0, timeout > 0")
        if max_queued_bytes < spec.MAX_BATCH_BYTES:
            raise ValueError(
                f"max_queued_bytes must be at least one batch ({spec.MAX_BATCH_BYTES}), not {max_queued_bytes}"
            )
        self.endpoint = None if endpoint is None else checked_override(endpoint)
        self.endpoints = {region: checked_override(url) for region, url in (endpoints or {}).items()}
        self.timeout = timeout
        self.strict = strict
        self.requests_per_second = requests_per_second
        if workers is None:
            in_flight = (
                _UNLIMITED_IN_FLIGHT
                if requests_per_second is None
                else max(2, math.ceil(requests_per_second * ROUND_TRIP_SECONDS))
            )
            workers = 2 * in_flight
        self.workers = workers
        self.flush_interval = flush_interval
        self.max_queued_events = max_queued_events
        self.max_queued_bytes = max_queued_bytes
        self.on_full = on_full
        self.retry = retry or RetryPolicy()
        self.on_dead_letter = on_dead_letter
        self.exit_timeout = exit_timeout
        self.require_user_id = require_user_id
        self._naming_seen: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self._closed = False
        self._close_lock = threading.Lock()
        # --- Redis queue ([redis] extra): events go to Redis; fleet workers send them. ---
        self._queue: RedisQueue | None = None
        if redis_url is not None:
            if spool_path is not None:
                raise ValueError("redis_url and spool_path exclude each other: the Redis queue is already durable")
            from .fleet._queue import RedisQueue

            self._queue = RedisQueue(redis_url, max_queued_events=max_queued_events, on_full=on_full, timeout=timeout)
        # --- end Redis queue ---
        self._close_done = threading.Event()
        self._closing = False
        self._recovery: Recovery | None = None
        self._spool = None if spool_path is None else Spool(spool_path)
        self._build_engine()
        if self._spool is not None:
            self._recovery = Recovery(self._spool, self._dispatcher)
            self._recovery.start()
        _LIVE.add(self)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"Client(endpoint={self.endpoint!r}, workers={self.workers}, {state})"

    # Public ----------------------------------------------------------------------------

    def customer(self, write_key: str, region: str = "us") -> Customer:
        """Return the handle that sends for one customer (its write key and region).

        Raises:
            ValueError: For an empty write key or an unknown or unsupported region.
        """
        if not isinstance(write_key, str) or not write_key.strip():
            raise ValueError("write_key must be a non-empty string (the customer's Segment write key)")
        self._base_url(region)  # refuse an unknown region now, not at send time
        return Customer(
            write_key,
            region,
            accept=self._accept,
            check_naming=self._check_naming,
            require_user_id=self.require_user_id,
        )

    def flush(self, timeout: float | None = None) -> None:
        """Send every event accepted before this call and wait until each is settled.

        Returns once each of those events is delivered or handed to the dead-letter
        callback; events accepted meanwhile (a producer that keeps running) are not
        waited for.

        Args:
            timeout: Seconds to wait; None waits as long as retries may take.

        Raises:
            DeliveryTimeout: When some of those events are unsettled after ``timeout``
                (they stay queued and keep being sent).
        """
        left = self._dispatcher.flush(timeout)
        if left:
            raise DeliveryTimeout(left, "queued", CALLBACKS.describe())

    def close(self, timeout: float | None = None) -> ClientStats:
        """Deliver what is queued, stop the workers and return the final counters.

        A second call (from any thread) waits for the first to finish.

        Args:
            timeout: Seconds to wait for delivery; None waits as long as retries may take.

        Returns:
            The counters once closed.

        Raises:
            DeliveryTimeout: When events were left after ``timeout``; with a spool they
                stay in it for the next client, otherwise they went to the dead-letter
                callback. From a second call: when the first did not finish in ``timeout``.
        """
        with self._close_lock:
            first, self._closing = not self._closing, True
        if not first:
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self._close_done.wait(0.1):  # in slices: a Ctrl-C is seen at once
                if deadline is not None and time.monotonic() >= deadline:
                    raise DeliveryTimeout(self.stats().queued, "queued", CALLBACKS.describe())
            return self.stats()
        try:
            stats = self._close(timeout)
        except DeliveryTimeout:
            self._close_done.set()
            raise
        except BaseException:  # interrupted (Ctrl-C): the next close() starts over
            with self._close_lock:
                self._closing = False
            raise
        self._close_done.set()
        return stats

    def stats(self) -> ClientStats:
        """Return a snapshot of the counters (accepted, sent, retried, dead-lettered, queued...).

        With ``redis_url`` only ``accepted`` counts here: ``fleet.fleet_stats`` has the rest.
        """
        if self._queue is not None:
            return ClientStats(accepted=self._queue.accepted)
        return self._dispatcher.stats()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
            return
        try:  # an exception is already on its way: report, do not replace it
            self.close(self.exit_timeout)
        except DeliveryTimeout as timeout:
            log.error("close: %s", timeout)

    # Internals -------------------------------------------------------------------------

    def _base_url(self, region: str) -> str:
        return endpoint_for(region, self.endpoints.get(region, self.endpoint))

    def _build_engine(self) -> None:
        per_host = max(1, self.workers // 2)
        self._transport = Transport(self.timeout)
        self._dispatcher = Dispatcher(
            max_queued_events=self.max_queued_events,
            max_queued_bytes=self.max_queued_bytes,
            on_full=self.on_full,
            flush_interval=self.flush_interval,
            per_host=per_host,
            per_destination=max(1, per_host * 3 // 4),
            max_workers=self.workers,
            host_of=self._host_of,
            limiter=RateLimiter(self.requests_per_second),
        )
        self._settlement = Settlement(self._dispatcher, self._spool, self.on_dead_letter)
        self._pool = WorkerPool(
            dispatcher=self._dispatcher,
            transport=self._transport,
            retry=self.retry,
            url_of=lambda region: self._base_url(region) + "/batch",
            finish=self._settlement.finish,
        )

    def _host_of(self, region: str) -> str:
        try:
            return urlsplit(self._base_url(region)).netloc
        except ValueError:
            return "?"

    def _check_naming(self, name: str, props: Mapping[str, Any]) -> None:
        # Cached per (name, property names): a hot loop pays a dict lookup, and a warning
        # is logged once per distinct problem instead of once per event.
        key = (name, tuple(props))
        problems = self._naming_seen.get(key)
        if problems is None:
            problems = naming_problems(name, props, spec.ALL_SPEC_EVENT_NAMES, spec.LOOKALIKES)
            if len(self._naming_seen) >= _NAMING_CACHE_SIZE:
                self._naming_seen.clear()
            self._naming_seen[key] = problems
            for hint in naming_advice(name, spec.SIMILAR_NAMES):  # a hint, even in strict mode
                log.warning("naming: %s", hint)
            if not self.strict:
                for problem in problems:
                    log.warning("naming: %s", problem)
        if problems and self.strict:
            raise EventRejected(problems[0])

    def _accept(self, write_key: str, region: str, data: bytes) -> None:
        """Take one validated, serialized event: the hand-off from :class:`Customer`.

        Raises:
            ClientClosed: When the client is closed.
            QueueFull: When the buffer is full and ``on_full`` is "raise".
        """
        if self._closed:
            raise ClientClosed("the client is closed and accepts no more events")
        if self._queue is not None:  # Redis queue: append and return, nothing is sent here
            self._queue.append(write_key, region, data)
            return
        dispatcher = self._dispatcher
        cost = dispatcher.reserve(len(data))
        assert cost is not None  # a blocking reserve waits or raises
        spool_id = None
        if self._spool is not None:
            try:
                spool_id = self._spool.add(write_key, region, data)
            except BaseException:
                dispatcher.release(cost)
                raise
        dispatcher.put((write_key, region), data, spool_id)

    def _close(self, timeout: float | None) -> ClientStats:
        deadline = None if timeout is None else time.monotonic() + timeout
        self._closed = True
        _LIVE.discard(self)
        if self._queue is not None:  # Redis queue: what was accepted is in Redis already
            self._queue.close()
        dispatcher, settlement = self._dispatcher, self._settlement
        if self._recovery is not None:  # the spool's rest is queued as room frees up
            self._recovery.join(None if deadline is None else max(deadline - time.monotonic(), 0.0))
        dispatcher.close()
        dispatcher.flush(timeout)  # delivered, dead-lettered (callback returned), or out of time
        claimed, flying = dispatcher.abandon()
        if flying:  # end their requests now; their workers settle them as LEFT
            self._transport.abort()
            dispatcher.wait_claimed(flying, 2.0)
            in_flight = [b for b in flying if dispatcher.claim(b, Outcome.LEFT)]
        else:
            in_flight = []
        dispatcher.stop()
        for batch in claimed:
            settlement.hand_off(batch, None, None)
        for batch in in_flight:
            settlement.hand_off(
                batch,
                None,
                "client closed while the request was in flight; it may have "
                "reached Segment (the same messageIds make a resend safe)",
            )
        self._pool.join(1.0 if deadline is None else max(deadline - time.monotonic(), 1.0))
        if self._recovery is not None:
            self._recovery.join(1.0)
        left = dispatcher.left_events()
        if self._recovery is not None:  # leftovers recovery did not queue stay in the spool
            left += self._recovery.unqueued()
        if self._spool is not None:
            if left:
                log.error("close: %d events undelivered; kept in the spool for the next client", left)
            settlement.close_spool()
        _, handing_off = dispatcher.handing_off()  # a dead-letter callback outlived the timeout
        if left or handing_off:
            where: Where = "spool" if self._spool is not None else "dead-letter"
            raise DeliveryTimeout(left + handing_off, where, CALLBACKS.describe())
        return self.stats()

    def _close_at_exit(self) -> None:
        try:
            self.close(self.exit_timeout)
        except DeliveryTimeout as timeout:
            log.error("at exit: %s", timeout)

    def _after_fork_in_child(self) -> None:
        # The parent's threads do not exist here and its locks may be held forever; the
        # parent still sends its own queued events, so the child starts empty.
        self._close_lock = threading.Lock()
        self._naming_seen = {}
        self._recovery = None
        if self._spool is not None:
            self._spool.reopen_after_fork()
        if self._queue is not None:
            self._queue.reset_after_fork()
        self._build_engine()


# Live clients, weakly: closed at interpreter exit, re-armed in a forked child.
_LIVE: weakref.WeakSet[Client] = weakref.WeakSet()


def _close_all_at_exit() -> None:
    for client in list(_LIVE):
        client._close_at_exit()
    CALLBACKS.wait_all()  # callbacks that outlived a close(): never cut one off


def _reinit_all_in_child() -> None:
    MESSAGE_IDS.reset()
    CALLBACKS.reset()
    for client in list(_LIVE):
        client._after_fork_in_child()


atexit.register(_close_all_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_all_in_child)
