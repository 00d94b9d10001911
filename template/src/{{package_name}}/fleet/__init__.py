"""Run at scale: senders, dead letters and counters of the Redis queue (the ``[redis]`` extra).

Producers are ordinary clients built with ``Client(redis_url=...)``: they check each
event and append it to Redis. This module is the other side::

    from <package>.fleet import QueueWorker, dead_letters, fleet_stats, requeue_dead_letters

    QueueWorker("redis://queue:6379/0").run()          # a sender; run as many as you like
    fleet_stats("redis://queue:6379/0")                # queued, in flight, sent, per worker...
    for dead in dead_letters("redis://queue:6379/0"):  # batches Segment refused
        print(dead.customer, dead.status, dead.reason)
    requeue_dead_letters("redis://queue:6379/0")       # send them again

Producers and workers read the secret that seals write keys from ``SEGMENT_QUEUE_SECRET``
(make one with :func:`new_secret`). Listing, requeueing and counting never need it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, cast

from ._crypto import new_secret
from ._layout import GROUP, Entry, connect, open_queue
from ._worker import QueueWorker

__all__ = [
    "DeadLetter",
    "FleetStats",
    "QueueWorker",
    "WorkerStats",
    "dead_letters",
    "fleet_stats",
    "new_secret",
    "requeue_dead_letters",
]

_COUNTERS = ("sent", "dead_lettered", "requests", "retried", "reclaimed")

# KEYS: dead stream, shard stream, queued. ARGV: dead-letter id, customer, region, then
# the events. Moves one dead letter back into its shard, once, atomically.
_REQUEUE = """
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 4, #ARGV do redis.call('XADD', KEYS[2], '*', 'c', ARGV[2], 'r', ARGV[3], 'e', ARGV[i]) end
redis.call('INCRBY', KEYS[3], #ARGV - 3)
return #ARGV - 3
"""


@dataclass(frozen=True)
class DeadLetter:
    """One batch that could not be delivered.

    Attributes:
        id: Its id in the dead-letter stream (pass it to :func:`requeue_dead_letters`).
        at: When it was dead-lettered (the Redis server's clock).
        customer: The write key's fingerprint (as in logs), never the key.
        region: The customer's region.
        status: Segment's HTTP status, or None (network errors, spent retry budget...).
        reason: Why, as the worker logged it.
        events: The events, as they would have been sent.
        worker: The worker that gave up.
    """

    id: str
    at: datetime
    customer: str
    region: str
    status: int | None
    reason: str
    events: list[dict[str, Any]]
    worker: str

    @property
    def message_ids(self) -> list[str]:
        """The events' messageIds."""
        return [str(event.get("messageId")) for event in self.events]


@dataclass(frozen=True)
class WorkerStats:
    """One worker as the fleet sees it (counters in events, except requests and retried)."""

    name: str
    host: str
    pid: int
    alive: bool
    seen_seconds_ago: float
    shards: int
    in_flight: int
    sent: int = 0
    dead_lettered: int = 0
    requests: int = 0
    retried: int = 0
    reclaimed: int = 0


@dataclass(frozen=True)
class FleetStats:
    """The whole queue.

    Attributes:
        queued: Events accepted and not yet delivered or dead-lettered (in flight included).
        in_flight: Of those, events a worker has read and not yet acknowledged.
        sent: Events delivered (acknowledged after a 2xx), by every worker ever.
        dead_lettered: Events dead-lettered.
        dead_letter_batches: Batches waiting in the dead-letter stream.
        requests: Requests made, retries included.
        retried: Requests that were retries.
        reclaimed: Events taken over from a worker that left them unacknowledged.
        shards: The queue's shard count.
        workers: Every worker seen in the last day, alive first.
    """

    queued: int
    in_flight: int
    sent: int
    dead_lettered: int
    dead_letter_batches: int
    requests: int
    retried: int
    reclaimed: int
    shards: int
    workers: list[WorkerStats] = field(default_factory=list)


def fleet_stats(redis_url: str, *, timeout: float = 10.0) -> FleetStats:
    """Read the fleet's counters from Redis.

    Raises:
        redis.exceptions.ConnectionError: When Redis cannot be reached.
    """
    client = connect(redis_url, timeout)
    try:
        layout = open_queue(client, None)
        pipe = client.pipeline(transaction=False)
        for stream in layout.streams:
            pipe.xlen(stream)
            pipe.xpending(stream, GROUP)
        for shard in range(layout.shards):
            pipe.get(layout.lease(shard))
        pipe.hgetall(layout.stats)
        pipe.xlen(layout.dead)
        pipe.zrange(layout.workers, 0, -1, withscores=True)
        pipe.time()
        replies = pipe.execute()
        queued = in_flight = 0
        per_worker: dict[str, int] = {}
        for length, pending in zip(replies[0 : 2 * layout.shards : 2], replies[1 : 2 * layout.shards : 2], strict=True):
            queued += length
            in_flight += pending["pending"]
            for consumer in pending.get("consumers") or []:
                name = _text(consumer["name"])
                per_worker[name] = per_worker.get(name, 0) + int(consumer["pending"])
        leases = [_text(owner) for owner in replies[2 * layout.shards : 3 * layout.shards] if owner]
        totals, dead_batches, seen, (seconds, micros) = replies[3 * layout.shards :]
        now_ms = seconds * 1000 + micros // 1000
        pipe = client.pipeline(transaction=False)
        for name, _ in seen:
            pipe.hgetall(layout.worker(_text(name)))
        hashes = pipe.execute()
    finally:
        client.close()
    workers = []
    for (name_raw, score), info in zip(seen, hashes, strict=True):
        name = _text(name_raw)
        info = {_text(k): _text(v) for k, v in info.items()}
        # The score is the last heartbeat, or a time long past for a worker that stopped.
        alive = (now_ms - score) / 1000 < float(info.get("visibility_timeout", 30))
        age = max(0.0, (now_ms - int(info.get("seen_ms", score))) / 1000)
        workers.append(
            WorkerStats(
                name=name,
                host=info.get("host", "?"),
                pid=int(info.get("pid", 0)),
                alive=alive,
                seen_seconds_ago=round(age, 1),
                shards=leases.count(name),
                in_flight=per_worker.pop(name, 0),
                **{k: int(info.get(k, 0)) for k in _COUNTERS},
            )
        )
    for name, count in per_worker.items():  # entries held by a worker not seen lately
        workers.append(WorkerStats(name, "?", 0, False, float("inf"), 0, count))
    workers.sort(key=lambda w: (not w.alive, w.name))
    counts = {k: int(_text(totals.get(k.encode(), b"0"))) for k in _COUNTERS}
    return FleetStats(
        queued=queued,
        in_flight=in_flight,
        dead_letter_batches=dead_batches,
        shards=layout.shards,
        workers=workers,
        **counts,
    )


def dead_letters(redis_url: str, *, limit: int = 1000, timeout: float = 10.0) -> list[DeadLetter]:
    """Return the oldest ``limit`` dead-lettered batches.

    Raises:
        redis.exceptions.ConnectionError: When Redis cannot be reached.
    """
    client = connect(redis_url, timeout)
    try:
        layout = open_queue(client, None)
        entries = cast("list[Entry]", client.xrange(layout.dead, count=limit))
    finally:
        client.close()
    return [_dead_letter(entry_id, fields) for entry_id, fields in entries]


def requeue_dead_letters(redis_url: str, ids: list[str] | None = None, *, timeout: float = 10.0) -> int:
    """Put dead-lettered batches back in the queue (all, or those of ``ids``); return the event count.

    Each batch moves atomically and once, even when two requeues run together. The
    customers' sealed write keys are still in Redis, so no secret is needed.

    Raises:
        redis.exceptions.ConnectionError: When Redis cannot be reached.
    """
    client = connect(redis_url, timeout)
    moved = 0
    try:
        layout = open_queue(client, None)
        requeue = client.register_script(_REQUEUE)
        wanted = None if ids is None else set(ids)
        cursor = "-"
        while True:
            entries = cast("list[Entry]", client.xrange(layout.dead, min=cursor, count=500))
            for entry_id, fields in entries:
                if wanted is not None and _text(entry_id) not in wanted:
                    continue
                customer = _text(fields.get(b"c", b""))
                events = [e for e in fields.get(b"events", b"").split(b"\n") if e]
                stream = layout.stream(layout.shard_of(customer))
                moved += int(
                    requeue(
                        keys=[layout.dead, stream, layout.queued],
                        args=[entry_id, customer, fields.get(b"r", b""), *events],
                    )
                )
            if len(entries) < 500:
                break
            cursor = "(" + _text(entries[-1][0])
    finally:
        client.close()
    return moved


def _dead_letter(entry_id: bytes, fields: dict[bytes, bytes]) -> DeadLetter:
    status = _text(fields.get(b"status", b""))
    events = []
    for line in fields.get(b"events", b"").split(b"\n"):
        try:
            events.append(json.loads(line))
        except ValueError:
            events.append({"unreadable": line[:200].decode("utf-8", "replace")})
    millis = int(_text(entry_id).split("-")[0])
    return DeadLetter(
        id=_text(entry_id),
        at=datetime.fromtimestamp(millis / 1000, timezone.utc),
        customer=_text(fields.get(b"kid", b"?")),
        region=_text(fields.get(b"r", b"?")),
        status=int(status) if status.isdigit() else None,
        reason=_text(fields.get(b"reason", b"")),
        events=events,
        worker=_text(fields.get(b"worker", b"?")),
    )


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
