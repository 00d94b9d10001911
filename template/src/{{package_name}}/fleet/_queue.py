"""The producer side of the Redis queue: accepted events are appended, never sent here.

``Client(redis_url=...)`` checks each call exactly as the in-process client does, then
hands the serialized event to :meth:`RedisQueue.append`, which returns once Redis has it
in the customer's shard stream. One Lua script checks the queue's bound
(``max_queued_events``, for the whole fleet), stores the customer's sealed write key the
first time, appends the entry and counts it, atomically.

When Redis is down the producer never drops the event: ``on_full="block"`` waits (with
backoff) until Redis takes it or the client is closed; ``on_full="raise"`` raises
:class:`QueueUnavailable`. A full queue behaves the same way with :class:`QueueFull`.
A try that reached Redis but lost its answer is sent again, so an event may be queued
twice, always with the same messageId, which Segment deduplicates.
"""

from __future__ import annotations

import threading
import time

from redis import exceptions as rx

from .._engine.dispatch import OnFull
from .._engine.keys import key_id
from ..errors import ClientClosed, QueueFull, QueueUnavailable
from ._crypto import KeyVault
from ._layout import UNAVAILABLE, Backoff, Layout, connect, open_queue, redacted

# KEYS: stream, queued counter, keys hash. ARGV: bound, customer id, region, event,
# sealed key ("" when this process already stored it). Returns the entry id; false when
# the queue is full; 0 when the sealed key is missing (say, Redis lost its data) and must
# be sent again.
_APPEND = """
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[1]) then return false end
if ARGV[5] ~= '' then
  redis.call('HSETNX', KEYS[3], ARGV[2], ARGV[5])
elseif redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then
  return 0
end
local id = redis.call('XADD', KEYS[1], '*', 'c', ARGV[2], 'r', ARGV[3], 'e', ARGV[4])
redis.call('INCR', KEYS[2])
return id
"""

# Customers whose sealed key this process has stored; bounded, cleared when full (the
# script's HSETNX makes storing again harmless).
_KNOWN_LIMIT = 100_000
_FULL_POLL_SECONDS = 0.05


class RedisQueue:
    """Appends accepted events to the Redis queue; thread-safe."""

    def __init__(self, url: str, *, max_queued_events: int, on_full: OnFull, timeout: float) -> None:
        """Check the URL and the secret; the server is reached with the first event.

        Args:
            url: ``redis://host:port/db`` (or ``rediss://``, ``unix://``).
            max_queued_events: Bound of undelivered events in the whole queue.
            on_full: "block" or "raise", for a full queue and for an unavailable server.
            timeout: Seconds for connecting and for each Redis command.

        Raises:
            ValueError: For a malformed URL.
            QueueSecretError: When ``SEGMENT_QUEUE_SECRET`` is missing or malformed.
        """
        self.url = redacted(url)
        self.max_queued_events = max_queued_events
        self.on_full = on_full
        self._vault = KeyVault.from_env()
        self._redis = connect(url, timeout)
        self._append = self._redis.register_script(_APPEND)
        self._layout: Layout | None = None
        self._known: dict[str, str] = {}  # write key -> customer id, stored in Redis
        self._lock = threading.Lock()
        self._closed = False
        self.accepted = 0

    def __repr__(self) -> str:
        return f"RedisQueue({self.url!r})"

    def append(self, write_key: str, region: str, event: bytes) -> None:
        """Put one serialized event in its customer's shard; return once Redis has it.

        Raises:
            QueueFull: When the queue is full and ``on_full`` is "raise".
            QueueUnavailable: When Redis cannot be reached and ``on_full`` is "raise".
            ClientClosed: When the client is closed while waiting.
            QueueSecretError: When the queue was made with another secret.
        """
        backoff = Backoff(f"producer for customer {key_id(write_key)}")
        while True:
            if self._closed:
                raise ClientClosed("the client is closed and accepts no more events")
            try:
                if self._try_append(write_key, region, event):
                    backoff.reset()
                    with self._lock:
                        self.accepted += 1
                    return
            except UNAVAILABLE as exc:
                if self.on_full == "raise":
                    raise QueueUnavailable(
                        f"the Redis queue at {self.url} is unavailable ({type(exc).__name__}); the event was not accepted"
                    ) from None
                backoff.sleep(exc)
                continue
            except rx.NoScriptError:  # flushed between redis-py's load and our call
                continue
            if self.on_full == "raise":
                raise _full(self.max_queued_events)
            time.sleep(_FULL_POLL_SECONDS)

    def close(self) -> None:
        """Stop waiting producers (they raise :class:`ClientClosed`) and drop connections."""
        self._closed = True
        self._redis.close()

    def _try_append(self, write_key: str, region: str, event: bytes) -> bool:
        layout = self._layout
        if layout is None:
            layout = self._layout = open_queue(self._redis, self._vault)
        customer = self._known.get(write_key)
        sealed = b""
        if customer is None:
            customer = self._vault.customer_id(write_key)
            sealed = self._vault.seal(write_key)
        stream = layout.stream(layout.shard_of(customer))
        entry = self._append(
            keys=[stream, layout.queued, layout.keys], args=[self.max_queued_events, customer, region, event, sealed]
        )
        if entry == 0:  # our note that the key is stored is stale: store it again
            with self._lock:
                self._known.pop(write_key, None)
            return self._try_append(write_key, region, event)
        if sealed and entry is not None:
            with self._lock:
                if len(self._known) >= _KNOWN_LIMIT:
                    self._known.clear()
                self._known[write_key] = customer
        return entry is not None

    def reset_after_fork(self) -> None:
        """Forget what a parent process knew (its lock may be held forever in a child)."""
        self._lock = threading.Lock()


def _full(limit: int) -> QueueFull:
    error = QueueFull(limit, 0)
    message = (
        f"the Redis queue is full ({limit} events undelivered, max_queued_events); the event was not accepted: "
        "retry later, add workers, raise max_queued_events, or use on_full='block'"
    )
    error.args = (message,)
    return error
