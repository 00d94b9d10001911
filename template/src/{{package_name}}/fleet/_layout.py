"""Where the Redis queue keeps things: key names, settings, and how to reach the server.

Every key starts with ``segment-source:<slug>:``. Customers are spread over a fixed
number of shards (``shards``, 16 unless the queue was made with another number); each
shard is one Redis Stream read by the consumer group ``senders``::

    config           hash    version, shards, the secret's check token
    q:<n>            stream  accepted events of the customers of shard n (c, r, e)
    keys             hash    customer id -> write key sealed with SEGMENT_QUEUE_SECRET
    queued           string  events accepted and not yet sent or dead-lettered
    dead             stream  dead-lettered batches (customer, region, status, reason, events)
    stats            hash    fleet counters (sent, dead_lettered, requests, retried, reclaimed)
    workers          zset    worker name -> last heartbeat (ms, Redis clock)
    worker:<name>    hash    that worker's host, pid and counters
    lease:<n>        string  the worker that owns shard n (expires unless renewed)
    rate             zset    the send times of the last second's requests (rate limiter)

A single Redis server (or a primary with replicas) holds them; scripts touch several
keys at once, so Redis Cluster is not supported.
"""

from __future__ import annotations

import logging
import random
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
from redis import exceptions as rx
from redis.backoff import NoBackoff
from redis.retry import Retry

from .. import spec
from ..errors import QueueSecretError
from ._crypto import KeyVault

log = logging.getLogger(__name__.partition(".")[0])

PREFIX = f"segment-source:{spec.INTEGRATION_SLUG}"
GROUP = "senders"
DEFAULT_SHARDS = 16
LAYOUT_VERSION = "1"

# A stream entry as the client returns it (bytes: responses are never decoded): its id
# and fields. redis-py types replies loosely; the modules cast to this where they read.
Entry = tuple[bytes, dict[bytes, bytes]]

# What a Redis outage looks like to a client: the server is down, restarting, loading its
# data, or a replica that cannot take writes. Worth waiting for; anything else is a bug.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    rx.ConnectionError,
    rx.TimeoutError,
    rx.BusyLoadingError,
    rx.ReadOnlyError,
    OSError,
)


def redacted(url: str) -> str:
    """Return a Redis URL without its user name and password, for messages."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unreadable redis url>"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def connect(url: str, timeout: float) -> redis.Redis:
    """Return a client of the server at ``url`` (no connection is made yet).

    Raises:
        ValueError: When ``url`` is not a redis://, rediss:// or unix:// URL.
    """
    scheme = urlsplit(url).scheme if isinstance(url, str) else ""
    if scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"redis_url {redacted(str(url))!r} must start with redis://, rediss:// or unix://")
    try:
        # No retries inside redis-py: a command whose answer was lost would be run again
        # behind our back (an event appended twice, entries delivered twice); every caller
        # here retries itself, knowing what a retry means.
        return redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=30,
            retry=Retry(NoBackoff(), 0),
        )
    except ValueError as exc:  # redis-py's message may quote the URL: keep the password out
        raise ValueError(f"redis_url {redacted(url)!r} is not valid: {type(exc).__name__}") from None


class Backoff:
    """Waits between tries against an unavailable server: 50 ms doubling to 2 s, jittered."""

    def __init__(self, what: str) -> None:
        """Create the backoff; ``what`` names the waiter in the log."""
        self.what = what
        self.failures = 0

    def wait(self, exc: BaseException) -> float:
        """Log the first failure of an outage, then return the seconds to sleep."""
        self.failures += 1
        if self.failures == 1:
            log.warning("%s: Redis unavailable (%s); retrying until it is back", self.what, type(exc).__name__)
        ceiling = min(2.0, 0.05 * 2 ** min(self.failures - 1, 6))
        return random.uniform(ceiling / 2, ceiling)

    def sleep(self, exc: BaseException) -> None:
        """Sleep as :meth:`wait` says."""
        time.sleep(self.wait(exc))

    def reset(self) -> None:
        """Note that the server answered again."""
        if self.failures:
            log.warning("%s: Redis is back after %d failed tries", self.what, self.failures)
        self.failures = 0


@dataclass(frozen=True)
class Layout:
    """The key names of one queue."""

    shards: int
    prefix: str = PREFIX

    def stream(self, shard: int) -> str:
        """Return the stream of shard ``shard``."""
        return f"{self.prefix}:q:{shard}"

    def lease(self, shard: int) -> str:
        """Return the lease key of shard ``shard``."""
        return f"{self.prefix}:lease:{shard}"

    def worker(self, name: str) -> str:
        """Return the hash of worker ``name``."""
        return f"{self.prefix}:worker:{name}"

    def shard_of(self, customer_id: str) -> int:
        """Return the shard of a customer (every event of a customer goes to one shard)."""
        return zlib.crc32(customer_id.encode()) % self.shards

    @property
    def streams(self) -> list[str]:
        """Every shard's stream, in shard order."""
        return [self.stream(n) for n in range(self.shards)]

    config = property(lambda self: f"{self.prefix}:config", doc="The queue's settings.")
    keys = property(lambda self: f"{self.prefix}:keys", doc="Sealed write keys by customer id.")
    queued = property(lambda self: f"{self.prefix}:queued", doc="Count of undelivered events.")
    dead = property(lambda self: f"{self.prefix}:dead", doc="The dead-letter stream.")
    stats = property(lambda self: f"{self.prefix}:stats", doc="Fleet counters.")
    workers = property(lambda self: f"{self.prefix}:workers", doc="Live workers by heartbeat.")
    rate = property(lambda self: f"{self.prefix}:rate", doc="The rate limiter's window.")


def open_queue(client: redis.Redis, vault: KeyVault | None, shards: int = DEFAULT_SHARDS) -> Layout:
    """Create the queue's settings and consumer groups if missing; return its layout.

    The first process to reach an empty server sets the shard count and seals a check
    token with its secret; every later process uses that shard count and must hold the
    same secret.

    Args:
        client: The Redis client.
        vault: The secret's vault; None for commands that never touch write keys.
        shards: Shard count for a new queue (an existing queue keeps its own).

    Raises:
        QueueSecretError: When ``vault``'s secret is not the queue's.
        redis.exceptions.ConnectionError: And the other :data:`UNAVAILABLE` errors.
    """
    config = Layout(shards).config
    pipe = client.pipeline(transaction=True)
    pipe.hsetnx(config, "version", LAYOUT_VERSION)
    pipe.hsetnx(config, "shards", str(shards))
    if vault is not None:
        pipe.hsetnx(config, "check", vault.check_token())
    pipe.hgetall(config)
    settings = {k.decode(): v for k, v in pipe.execute()[-1].items()}
    if settings.get("version", b"").decode() != LAYOUT_VERSION:
        raise RuntimeError(
            f"the Redis queue at {config!r} has layout version {settings.get('version')!r}, not {LAYOUT_VERSION}"
        )
    if vault is not None and not vault.matches(settings["check"]):
        raise QueueSecretError(
            "SEGMENT_QUEUE_SECRET is not the secret this Redis queue was made with: give every producer and "
            "worker the same secret (events already queued can only be opened with the original one)"
        )
    layout = Layout(int(settings["shards"]))
    for stream in layout.streams:
        try:
            client.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except rx.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
    return layout
