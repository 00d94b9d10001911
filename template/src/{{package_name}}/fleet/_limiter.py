"""One request budget for every worker on every host: a sliding-window log in Redis.

The in-process :class:`RateLimiter` keeps the last window's places in memory; this one
keeps them in a Redis sorted set and takes a place in one Lua script, so all workers
together never exceed ``per_second`` requests in any window, whatever hosts they run on
and however often they restart. Times come from the Redis server's clock (``TIME``),
never a worker's: hosts' clocks disagree, the server's is one clock.

As in-process, a place is held from the moment it is granted until a full window after
its request was written (:meth:`RedisSlot.sent`): a granted place is stamped in the
future (:data:`GRANTED_HOLD_SECONDS`) so it cannot age out while its request is still
being written, and moves to the real write time once written. A request never written
gives its place back (:meth:`RedisSlot.cancel`); one whose worker died holds it for
``GRANTED_HOLD_SECONDS`` at most. The window is a little longer than a second
(:data:`WINDOW_SECONDS`): requests of several processes reach the server with more
jitter than those of one process.
"""

from __future__ import annotations

import itertools
import logging
import os
import uuid

import redis

from .._engine.ratelimit import RateLimiter, Slot
from ._layout import UNAVAILABLE, Backoff

log = logging.getLogger(__name__.partition(".")[0])

# 10 % longer than a second, twice the in-process margin (_ratelimit.WINDOW_SECONDS): a
# place is stamped on Redis's clock, a round trip away from the host that writes the
# request, so stamp and arrival drift apart more. Costs at most 10 % of the ceiling.
WINDOW_SECONDS = 1.1
# A granted place counts as this far in the future until its request is written.
GRANTED_HOLD_SECONDS = 60.0
# While Redis is unavailable the dispatcher asks again after this long; nothing is sent.
UNAVAILABLE_RETRY_SECONDS = 0.5

# KEYS: the window's sorted set. ARGV: ceiling, window (µs), hold (µs), the place's member.
# Returns 0 when the place is granted, else the µs until one may be.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.floor((window + tonumber(ARGV[3])) / 1000) + 1000)
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
if oldest > now then return 50000 end
return math.max(1000, oldest + window - now)
"""

# KEYS: the window. ARGV: the member. Moves a place to now (its request was written).
_SENT = """
local t = redis.call('TIME')
return redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[1])
"""


class RedisSlot(Slot):
    """A place in the shared window."""

    __slots__ = ("_member", "_owner")

    def __init__(self, owner: RedisRateLimiter, member: str) -> None:
        super().__init__(None)
        self._owner = owner
        self._member = member

    def sent(self) -> None:
        """The request is written: its place ages out a window from now."""
        if not self._done:
            self._done = True
            self._owner.settle(self._member, sent=True)

    def cancel(self) -> None:
        """The request was never written: give the place back (no-op after :meth:`sent`)."""
        if not self._done:
            self._done = True
            self._owner.settle(self._member, sent=False)


class RedisRateLimiter(RateLimiter):
    """At most ``per_second`` places in any :data:`WINDOW_SECONDS`, for the whole fleet."""

    def __init__(self, client: redis.Redis, key: str, per_second: int | None) -> None:
        """Create the limiter.

        Args:
            client: A Redis client with a short timeout: :meth:`try_acquire` runs under
                the dispatcher's lock.
            key: The sorted set that holds the window.
            per_second: The ceiling; None switches the limiter off. Give every worker the
                same value: each one enforces its own against the shared window.

        Raises:
            ValueError: When ``per_second`` is not a positive integer or None.
        """
        super().__init__(per_second)
        self._redis = client
        self._key = key
        self._take = client.register_script(_TAKE)
        self._sent_script = client.register_script(_SENT)
        self._prefix = f"{uuid.uuid4().hex[:12]}:{os.getpid()}:"
        self._count = itertools.count()
        self._backoff = Backoff("rate limiter")

    def try_acquire(self) -> Slot | float:
        """Take a place in the fleet's window if one is free; else the seconds to wait.

        While Redis is unavailable no place is granted: the answer is a short wait.
        """
        if self.per_second is None:
            return Slot(None)
        member = f"{self._prefix}{next(self._count)}"
        window_us = int(WINDOW_SECONDS * 1_000_000)
        hold_us = int(GRANTED_HOLD_SECONDS * 1_000_000)
        try:
            wait_us = int(self._take(keys=[self._key], args=[self.per_second, window_us, hold_us, member]))
        except UNAVAILABLE as exc:
            self._backoff.wait(exc)  # logs the outage once
            return UNAVAILABLE_RETRY_SECONDS
        self._backoff.reset()
        if wait_us == 0:
            return RedisSlot(self, member)
        return wait_us / 1_000_000

    def settle(self, member: str, *, sent: bool) -> None:
        """Stamp a place with the write time, or give it back; a failure keeps the hold."""
        try:
            if sent:
                self._sent_script(keys=[self._key], args=[member])
            else:
                self._redis.zrem(self._key, member)
        except UNAVAILABLE as exc:
            log.debug("rate limiter: could not settle a place (%s); it is held a while longer", type(exc).__name__)
