"""The sender side of the Redis queue: read the owned shards, batch, send, acknowledge.

A worker is the in-process client's engine with Redis at both ends: a reader thread
takes entries of the shards this worker leases (``XREADGROUP``, and ``XPENDING`` and ``XCLAIM`` for
entries another worker read and left unacknowledged longer than the visibility timeout)
and puts them in a :class:`Dispatcher`, which batches per customer (write key and
region) up to 2,500 events / 500 KB; the :class:`WorkerPool` threads send them with the
client's retries, through the fleet's shared rate limit. Only after Segment's 2xx is an
entry acknowledged and deleted (one Lua script: ``XACK``, ``XDEL``, counters), so a
worker killed at any moment loses nothing: its entries are sent again by the next owner
of the shard, with the same messageIds. A batch that cannot be delivered goes to the
dead-letter stream in the same script that acknowledges it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from typing import Any, cast

from redis import exceptions as rx

from .. import spec
from .._engine.batcher import Batch, Outcome
from .._engine.dispatch import Dispatcher
from .._engine.keys import key_id
from .._engine.retry import RetryPolicy
from .._engine.transport import Transport
from .._engine.workers import WorkerPool
from ..regions import checked_override, endpoint_for
from ._ack import FINISH_SCRIPT, acknowledge
from ._crypto import KeyVault
from ._layout import DEFAULT_SHARDS, GROUP, UNAVAILABLE, Backoff, Entry, Layout, connect, open_queue, redacted
from ._leases import ShardLeases
from ._limiter import RedisRateLimiter

log = logging.getLogger(__name__.partition(".")[0])

_WORKER_HASH_SECONDS = 24 * 3600  # a stopped worker's counters stay visible for a day
_KEY_CACHE_LIMIT = 100_000
_REDIS_TIMEOUT = 10.0  # seconds per Redis command; well above the 0.2 s blocking read
_LIMITER_TIMEOUT = 1.0
_RECLAIM_BATCH = 1000  # pending entries looked at per shard and tick
_OWN_LOST_FACTOR = 3  # own unheld entries are taken back after 3 visibility timeouts
_MAX_HELD_BYTES = 64 * 1024 * 1024


class QueueWorker:
    """One sender of the fleet: ``python -m <package> worker`` runs one."""

    def __init__(
        self,
        redis_url: str,
        *,
        endpoint: str | None = None,
        endpoints: Mapping[str, str] | None = None,
        requests_per_second: int | None = spec.PARTNER_REQUESTS_PER_SECOND,
        threads: int = 8,
        flush_interval: float = 0.5,
        visibility_timeout: float = 30.0,
        max_held_events: int = 20_000,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        shards: int = DEFAULT_SHARDS,
        name: str | None = None,
    ) -> None:
        """Check the options and the secret; nothing is read until :meth:`run`.

        Args:
            redis_url: The queue's Redis server.
            endpoint: Base URL for every region instead of Segment's hosts (tests, a debugger).
            endpoints: Base URL per region, over ``endpoint``.
            requests_per_second: The fleet's ceiling; give every worker the same.
            threads: Most sending threads of this worker.
            flush_interval: Longest wait of an event before its batch is due.
            visibility_timeout: Seconds after which a silent worker's shards and
                unacknowledged events go to the others.
            max_held_events: Most events this worker reads ahead of sending.
            retry: Backoff and time budget of retries (default :class:`RetryPolicy`).
            timeout: Seconds for one whole request to Segment.
            shards: Shard count if this worker creates the queue.
            name: The worker's name in stats (default: host, pid and a random suffix).

        Raises:
            ValueError: For a bad option, URL or endpoint.
            QueueSecretError: When ``SEGMENT_QUEUE_SECRET`` is missing or malformed.
        """
        if threads < 1 or max_held_events < 1 or flush_interval < 0 or timeout <= 0 or visibility_timeout <= 0:
            raise ValueError(
                "threads and max_held_events must be >= 1, flush_interval >= 0, timeout and visibility_timeout > 0"
            )
        self.url = redacted(redis_url)
        self.endpoint = None if endpoint is None else checked_override(endpoint)
        self.endpoints = {region: checked_override(url) for region, url in (endpoints or {}).items()}
        self.visibility_timeout = visibility_timeout
        self.max_held_events = max_held_events
        self.shards = shards
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._vault = KeyVault.from_env()
        self._redis = connect(redis_url, _REDIS_TIMEOUT)
        self._finish_script = self._redis.register_script(FINISH_SCRIPT)
        self._layout = Layout(shards)
        # The limiter runs under the dispatcher's lock: its own connection, a short timeout.
        self._limiter_redis = connect(redis_url, _LIMITER_TIMEOUT)
        self._transport = Transport(timeout)
        per_host = max(1, threads // 2)
        self._dispatcher = Dispatcher(
            max_queued_events=max_held_events,
            max_queued_bytes=_MAX_HELD_BYTES,
            on_full="block",
            flush_interval=flush_interval,
            per_host=per_host,
            per_destination=max(1, per_host * 3 // 4),
            max_workers=threads,
            host_of=lambda region: region,
            limiter=RedisRateLimiter(self._limiter_redis, self._layout.rate, requests_per_second),
        )
        self._pool = WorkerPool(
            dispatcher=self._dispatcher,
            transport=self._transport,
            retry=retry or RetryPolicy(),
            url_of=lambda region: endpoint_for(region, self.endpoints.get(region, self.endpoint)) + "/batch",
            finish=self._finish,
        )
        self._lock = threading.Lock()
        self._tokens = iter(range(1, 2**62))
        self._held: dict[int, tuple[int, bytes]] = {}  # token -> (shard, entry id)
        self._held_ids: set[tuple[int, bytes]] = set()
        self._held_per_shard: Counter[int] = Counter()
        self._keys: dict[str, str] = {}  # customer id -> write key
        self._stop = threading.Event()
        self._give_up = threading.Event()  # stop retrying acknowledgements: shutting down
        self._published: Counter[str] = Counter()
        self._leases: ShardLeases | None = None

    def __repr__(self) -> str:
        return f"QueueWorker(name={self.name!r}, redis={self.url!r})"

    # Running ---------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None, drain_timeout: float = 30.0) -> None:
        """Send until ``stop`` is set, then deliver what is held for up to ``drain_timeout``.

        What is still held after that stays unacknowledged in Redis and is sent by another
        worker after the visibility timeout.

        Raises:
            QueueSecretError: When ``SEGMENT_QUEUE_SECRET`` is not the queue's secret.
        """
        self._stop = stop or self._stop
        if not self._open():
            return
        log.info("worker %s: started on %s (%d shards)", self.name, self.url, self._layout.shards)
        keeper = threading.Thread(target=self._keep, name=f"{self.name}-leases", daemon=True)
        keeper.start()
        backoff = Backoff(f"worker {self.name}")
        next_reclaim = 0.0
        try:
            while not self._stop.is_set():
                try:
                    if time.monotonic() >= next_reclaim:
                        self._reclaim()
                        next_reclaim = time.monotonic() + self._tick_seconds
                    self._read()
                    backoff.reset()
                except UNAVAILABLE as exc:
                    self._stop.wait(backoff.wait(exc))
                except rx.ResponseError as exc:
                    if "NOGROUP" not in str(exc):
                        raise
                    self._open()  # the server lost its data: make the groups again
        finally:
            self._drain(drain_timeout)
            keeper.join(timeout=5.0)
            self._goodbye()

    def _drain(self, timeout: float) -> None:
        """Deliver what is held, for up to ``timeout``; leave the rest unacknowledged."""
        dispatcher = self._dispatcher
        dispatcher.close()
        left = dispatcher.flush(timeout)
        claimed, flying = dispatcher.abandon()  # LEFT: not acknowledged, not lost
        if flying:
            self._transport.abort()
            dispatcher.wait_claimed(flying, 2.0)
            claimed += [batch for batch in flying if dispatcher.claim(batch, Outcome.LEFT)]
        for batch in claimed:
            dispatcher.settle(batch, "spooled")
        self._give_up.set()
        dispatcher.stop()
        self._pool.join(2.0)
        if left:
            log.warning("worker %s: %d events undelivered at exit; other workers send them later", self.name, left)

    def stop(self) -> None:
        """Ask :meth:`run` to finish (thread-safe; also from a signal handler)."""
        self._stop.set()

    @property
    def _tick_seconds(self) -> float:
        return min(1.0, self.visibility_timeout / 4)

    def _open(self) -> bool:
        """Reach the queue (waiting while Redis is unavailable); False if stopped first."""
        backoff = Backoff(f"worker {self.name}")
        while True:
            try:
                self._layout = open_queue(self._redis, self._vault, self.shards)
                break
            except UNAVAILABLE as exc:
                if self._stop.wait(backoff.wait(exc)):
                    return False
        if self._leases is None or self._leases.layout != self._layout:
            self._leases = ShardLeases(self._redis, self._layout, self.name, self.visibility_timeout)
        return True

    def _keep(self) -> None:
        """Heartbeat, counters and leases, every tick, until the reader has stopped."""
        backoff = Backoff(f"worker {self.name} heartbeat")
        assert self._leases is not None
        while not self._give_up.is_set():
            try:
                self._heartbeat()
                backoff.reset()
            except UNAVAILABLE as exc:
                backoff.wait(exc)
            self._give_up.wait(self._tick_seconds)

    def _heartbeat(self) -> None:
        assert self._leases is not None
        seconds, micros = self._redis.time()
        now_ms = seconds * 1000 + micros // 1000
        layout, me = self._layout, self._layout.worker(self.name)
        stats = self._dispatcher.stats()
        deltas = {k: getattr(stats, k) - self._published[k] for k in ("requests", "retried")}
        pipe = self._redis.pipeline(transaction=True)
        pipe.zadd(layout.workers, {self.name: now_ms})
        pipe.zremrangebyscore(layout.workers, "-inf", now_ms - _WORKER_HASH_SECONDS * 1000)
        pipe.hset(
            me,
            mapping={
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "seen_ms": now_ms,
                "visibility_timeout": self.visibility_timeout,
            },
        )
        for field, delta in deltas.items():
            if delta:
                pipe.hincrby(me, field, delta)
                pipe.hincrby(layout.stats, field, delta)
        pipe.expire(me, _WORKER_HASH_SECONDS)
        pipe.zcount(layout.workers, now_ms - int(self.visibility_timeout * 1000), "+inf")
        live = pipe.execute()[-1]
        self._published.update(deltas)
        self._leases.tick(int(live))

    def _goodbye(self) -> None:
        try:
            self._heartbeat()  # the last counters
            assert self._leases is not None
            self._leases.release_all()
            # Out of the live count now (the others take its shards at once); its
            # counters stay in stats for a day, as a stopped worker.
            seconds, _ = self._redis.time()
            stopped_ms = (seconds - int(self.visibility_timeout) - 1) * 1000
            self._redis.zadd(self._layout.workers, {self.name: stopped_ms})
            for stream in self._layout.streams:  # forget this consumer where it holds nothing
                if not self._redis.xpending_range(stream, GROUP, "-", "+", 1, consumername=self.name):
                    self._redis.xgroup_delconsumer(stream, GROUP, self.name)
        except UNAVAILABLE:
            log.warning("worker %s: Redis unavailable at exit; leases lapse after the visibility timeout", self.name)
        self._redis.close()
        self._limiter_redis.close()

    # Taking entries ----------------------------------------------------------------------

    def _read(self) -> None:
        assert self._leases is not None
        with self._lock:
            held = dict(self._held_per_shard)
            room = self.max_held_events - len(self._held)
        self._leases.release_drained(held)  # here, between reads: see its docstring
        shards = sorted(self._leases.readable)
        if not shards or room <= 0:
            self._stop.wait(0.05)
            return
        streams = {self._layout.stream(shard): ">" for shard in shards}
        count = max(1, min(1000, room // len(shards)))
        reply = cast(
            "list[tuple[bytes, list[Entry]]] | None",
            self._redis.xreadgroup(GROUP, self.name, streams, count=count, block=200),  # type: ignore[arg-type]
        )
        for stream, entries in reply or []:
            shard = int(stream.rsplit(b":", 1)[1])
            for entry_id, fields in entries:
                self._take(shard, entry_id, fields)

    def _reclaim(self) -> None:
        """Take entries another worker read and left unacknowledged past the visibility timeout.

        Entries pending under this worker's own name are left alone unless far older than
        the timeout (a read whose answer was lost): reclaiming its own entries while they
        were being taken in was seen to send them twice.
        """
        assert self._leases is not None
        idle_ms = int(self.visibility_timeout * 1000)
        me = self.name.encode()
        taken = 0
        for shard in sorted(self._leases.readable):
            stream = self._layout.stream(shard)
            pending = cast(
                "list[dict[str, Any]]",
                self._redis.xpending_range(stream, GROUP, "-", "+", _RECLAIM_BATCH, idle=idle_ms),
            )
            with self._lock:
                ids = [
                    p["message_id"]
                    for p in pending
                    if (shard, p["message_id"]) not in self._held_ids
                    and (p["consumer"] != me or p["time_since_delivered"] >= _OWN_LOST_FACTOR * idle_ms)
                ]
            if not ids:
                continue
            # XCLAIM with the same minimum idle time: an entry another worker touched
            # meanwhile is not taken.
            claimed = cast("list[Entry]", self._redis.xclaim(stream, GROUP, self.name, idle_ms, ids))
            for entry_id, fields in claimed:
                if fields:
                    self._take(shard, entry_id, fields)
                    taken += 1
        if taken:
            log.info("worker %s: reclaimed %d unacknowledged events", self.name, taken)
            self._redis.hincrby(self._layout.stats, "reclaimed", taken)
            self._redis.hincrby(self._layout.worker(self.name), "reclaimed", taken)

    def _take(self, shard: int, entry_id: bytes, fields: Mapping[bytes, bytes]) -> None:
        customer = fields.get(b"c", b"").decode("ascii", "replace")
        region = fields.get(b"r", b"").decode("ascii", "replace")
        event = fields.get(b"e", b"")
        problem = None
        if not customer or not region or not event.startswith(b"{") or b"\n" in event:
            problem = "malformed queue entry (fields c, r, e expected)"
        elif len(event) > spec.MAX_EVENT_BYTES:
            problem = f"event of {len(event)} bytes is over Segment's {spec.MAX_EVENT_BYTES}-byte limit"
        write_key = None if problem else self._write_key(customer)
        if problem is None and write_key is None:
            problem = (
                f"the write key of customer {customer[:8]} is missing from the queue or sealed with another secret"
            )
        if write_key is None or problem is not None:
            self._dead_letter_entry(shard, entry_id, customer, region, event, problem or "")
            return
        with self._lock:
            token = next(self._tokens)
            self._held[token] = (shard, entry_id)
            self._held_ids.add((shard, entry_id))
            self._held_per_shard[shard] += 1
        self._dispatcher.reserve(len(event))
        self._dispatcher.put((write_key, region), event, token)

    def _write_key(self, customer: str) -> str | None:
        key = self._keys.get(customer)
        if key is None:
            sealed = cast("bytes | None", self._redis.hget(self._layout.keys, customer))
            key = None if sealed is None else self._vault.open(sealed)
            if key is not None:
                if len(self._keys) >= _KEY_CACHE_LIMIT:
                    self._keys.clear()
                self._keys[customer] = key
        return key

    # Finishing batches ---------------------------------------------------------------------

    def _finish(self, batch: Batch, outcome: Outcome, status: int | None, reason: str | None) -> None:
        """Called by a sender thread: acknowledge a delivered batch or dead-letter it.

        A batch "left" at shutdown is neither: its entries stay pending in Redis and go
        to another worker after the visibility timeout.
        """
        if not self._dispatcher.claim(batch, outcome):
            return
        if outcome is Outcome.LEFT:
            self._dispatcher.settle(batch, "spooled")
            return
        try:
            self._acknowledge(batch, outcome, status, reason)
        finally:
            self._dispatcher.settle(batch, "sent" if outcome is Outcome.SENT else "dead_lettered")

    def _acknowledge(self, batch: Batch, outcome: Outcome, status: int | None, reason: str | None) -> None:
        with self._lock:
            entries = [self._held.pop(token) for token in batch.spool_ids]
        write_key, region = batch.destination
        dead = None
        if outcome is Outcome.DEAD:
            dead = {
                "kid": key_id(write_key),
                "c": self._vault.customer_id(write_key),
                "r": region,
                "status": "" if status is None else str(status),
                "reason": reason or "undeliverable",
                "n": len(batch.events),
                "events": b"\n".join(batch.events),
                "worker": self.name,
            }
        acknowledge(self._finish_script, self._layout, self.name, entries, dead, self._give_up)
        with self._lock:
            for shard, entry_id in entries:
                self._held_ids.discard((shard, entry_id))
                self._held_per_shard[shard] -= 1

    def _dead_letter_entry(
        self, shard: int, entry_id: bytes, customer: str, region: str, event: bytes, why: str
    ) -> None:
        log.error("worker %s: dead-letter: entry %s of shard %d: %s", self.name, entry_id.decode(), shard, why)
        dead = {
            "kid": customer[:8],
            "c": customer,
            "r": region,
            "status": "",
            "reason": why,
            "n": 1,
            "events": event,
            "worker": self.name,
        }
        acknowledge(self._finish_script, self._layout, self.name, [(shard, entry_id)], dead, self._give_up)
