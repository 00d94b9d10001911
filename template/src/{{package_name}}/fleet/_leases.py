"""Which shards a worker reads: leases in Redis, shared fairly among the live workers.

Only the owner of a shard's lease reads its stream, so every event of a customer goes to
one worker and its batches stay whole. A lease is a key holding the owner's name that
expires after the visibility timeout unless renewed; a worker renews its leases every
tick. With ``L`` live workers (heartbeat younger than the visibility timeout) each one
aims at ``ceil(shards / L)`` shards: it takes free leases up to that, and gives back
the surplus, after finishing what it already read from them (a "draining" shard is no
longer read; the reading thread gives its lease back once none of its events are held). A worker that dies stops
renewing; its leases expire and the others take them, with its unacknowledged entries.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping

import redis

from ._layout import Layout

log = logging.getLogger(__name__.partition(".")[0])

# KEYS: lease. ARGV: owner, ttl (ms). Renews the lease if the owner still holds it.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# KEYS: lease. ARGV: owner. Gives the lease back if the owner still holds it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class ShardLeases:
    """The shards one worker owns; call :meth:`tick` regularly from one thread."""

    def __init__(self, client: redis.Redis, layout: Layout, owner: str, ttl_seconds: float) -> None:
        """Create the set of leases (none owned yet).

        Args:
            client: The Redis client.
            layout: The queue's key names and shard count.
            owner: This worker's name.
            ttl_seconds: The visibility timeout: a lease not renewed for this long lapses.
        """
        self._redis = client
        self.layout = layout
        self.owner = owner
        self.ttl_ms = max(1, int(ttl_seconds * 1000))
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._lock = threading.Lock()  # the keeper thread ticks, the reader releases
        self.owned: set[int] = set()
        self.draining: set[int] = set()
        # Start the search for free shards at a place of our own, so workers starting
        # together do not all race for shard 0.
        self._start = hash(owner) % layout.shards

    @property
    def readable(self) -> frozenset[int]:
        """The shards to read now: owned and not draining."""
        with self._lock:
            return frozenset(self.owned - self.draining)

    def tick(self, live_workers: int) -> None:
        """Renew the leases, mark the surplus as draining, take free shards up to the share.

        Args:
            live_workers: How many workers have a fresh heartbeat (this one included).

        Raises:
            redis.exceptions.ConnectionError: And the other errors of an unavailable
                server; the caller retries on its next tick.
        """
        with self._lock:
            for shard in sorted(self.owned):
                if not self._renew(keys=[self.layout.lease(shard)], args=[self.owner, self.ttl_ms]):
                    log.warning("worker %s: lost the lease of shard %d (it lapsed)", self.owner, shard)
                    self.owned.discard(shard)
                    self.draining.discard(shard)
            target = math.ceil(self.layout.shards / max(1, live_workers))
            surplus = len(self.owned) - target
            for shard in sorted(self.owned - self.draining, reverse=True)[: max(0, surplus - len(self.draining))]:
                self.draining.add(shard)
            if len(self.owned) < target:
                self.draining.clear()  # fewer workers than before: keep what we have
                for step in range(self.layout.shards):
                    shard = (self._start + step) % self.layout.shards
                    if len(self.owned) >= target:
                        break
                    if shard not in self.owned and self._redis.set(
                        self.layout.lease(shard), self.owner, nx=True, px=self.ttl_ms
                    ):
                        self.owned.add(shard)

    def release_drained(self, held: Mapping[int, int]) -> None:
        """Give back draining shards of which no event is held any more.

        Call it from the thread that reads, between reads: a read in progress may bring
        events of a shard that looks empty, and its lease must not go before they are sent.

        Args:
            held: Events read and not yet finished, per shard.

        Raises:
            redis.exceptions.ConnectionError: And the other errors of an unavailable server.
        """
        with self._lock:
            for shard in sorted(self.draining):
                if held.get(shard, 0) == 0:
                    self._release(keys=[self.layout.lease(shard)], args=[self.owner])
                    self.owned.discard(shard)
                    self.draining.discard(shard)

    def release_all(self) -> None:
        """Give back every lease (at shutdown); unfinished entries are reclaimed later."""
        with self._lock:
            for shard in sorted(self.owned):
                self._release(keys=[self.layout.lease(shard)], args=[self.owner])
            self.owned.clear()
            self.draining.clear()
