"""One request budget for every worker on every host: a sliding-window log in Redis.

The in-process :class:`RateLimiter` keeps the send times of the last window in memory;
this one keeps them in a Redis sorted set and takes a place in one Lua script, so all
workers together never exceed ``per_second`` requests in any window, whatever hosts
they run on and however often they restart. Times come from the Redis server's clock
(``TIME``), never a worker's: hosts' clocks disagree, the server's is one clock.

As in-process, a place is stamped when taken and stamped again once its request has
been written (:meth:`RedisSlot.sent`), so a worker that stalls between the two does not
bunch its request up with the next window's. The window is a little longer than a
second (:data:`WINDOW_SECONDS`): requests from several processes reach the server with
more jitter than those of one process.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
import uuid

import redis

from ._ratelimit import RateLimiter, Slot
from ._redis_layout import UNAVAILABLE, Backoff

log = logging.getLogger(__name__.rpartition(".")[0])

# 10 % longer than a second; costs at most 10 % of the ceiling (the benchmark shows it).
WINDOW_SECONDS = 1.1

# KEYS: the window's sorted set. ARGV: ceiling, window (µs), this place's member.
# Returns 0 when the place is taken, else the µs until the oldest place leaves the window.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.floor(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""

# KEYS: the window. ARGV: the member. Moves a place to now, if it is still in the window.
_RESTAMP = """
local t = redis.call('TIME')
return redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[1])
"""


class RedisSlot(Slot):
    """A place in the shared window; :meth:`sent` moves it to when the request left."""

    __slots__ = ("_limiter", "member")

    def __init__(self, limiter: RedisRateLimiter, member: str) -> None:
        super().__init__(0.0)
        self._limiter = limiter
        self.member = member

    def sent(self) -> None:
        """Stamp the place with the server's now: the request is written."""
        self._limiter.restamp(self.member)


class RedisRateLimiter(RateLimiter):
    """At most ``per_second`` places in any :data:`WINDOW_SECONDS`, for the whole fleet."""

    def __init__(self, client: redis.Redis, key: str, per_second: int | None) -> None:
        """Create the limiter.

        Args:
            client: The Redis client.
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
        self._restamp = client.register_script(_RESTAMP)
        self._prefix = f"{uuid.uuid4().hex[:12]}:{os.getpid()}:"
        self._count = itertools.count()

    def acquire(self) -> Slot:
        """Block until the fleet may send one more request, then take its place.

        While Redis is unavailable this waits (with backoff): no request goes out without
        a place in the shared window.
        """
        if self.per_second is None:
            return Slot(0.0)
        member = f"{self._prefix}{next(self._count)}"
        backoff = Backoff("rate limiter")
        window_us = int(WINDOW_SECONDS * 1_000_000)
        while True:
            try:
                wait_us = int(self._take(keys=[self._key], args=[self.per_second, window_us, member]))
            except UNAVAILABLE as exc:
                backoff.sleep(exc)
                continue
            backoff.reset()
            if wait_us == 0:
                return RedisSlot(self, member)
            time.sleep(wait_us / 1_000_000)

    def restamp(self, member: str) -> None:
        """Move a place to the server's now; a failure keeps the earlier (safe) stamp."""
        try:
            self._restamp(keys=[self._key], args=[member])
        except UNAVAILABLE as exc:
            log.debug("rate limiter: could not restamp a place (%s)", type(exc).__name__)
