"""Settling a worker's entries in Redis: acknowledged after a 2xx, or dead-lettered.

One Lua script per shard does it atomically: ``XACK`` and ``XDEL`` the entries, move the
queue's count and the fleet's and the worker's counters, and (for a dead letter) append
the batch to the dead-letter stream. It counts only entries that were still pending, so
a batch finished twice (a slow worker whose shard was taken over) is counted once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from redis.commands.core import Script

from ._layout import GROUP, UNAVAILABLE, Backoff, Layout

log = logging.getLogger(__name__.partition(".")[0])

# KEYS: stream, queued, fleet stats, worker hash, dead stream. ARGV: group, counter name,
# number of dead-letter fields (0: none), those fields, then the entry ids.
FINISH_SCRIPT = """
local group, counter, nf = ARGV[1], ARGV[2], tonumber(ARGV[3])
local acked = 0
for i = 4 + nf, #ARGV do acked = acked + redis.call('XACK', KEYS[1], group, ARGV[i]) end
for i = 4 + nf, #ARGV do redis.call('XDEL', KEYS[1], ARGV[i]) end
if acked > 0 then
  if nf > 0 then redis.call('XADD', KEYS[5], '*', unpack(ARGV, 4, 3 + nf)) end
  redis.call('DECRBY', KEYS[2], acked)
  redis.call('HINCRBY', KEYS[3], counter, acked)
  redis.call('HINCRBY', KEYS[4], counter, acked)
end
return acked
"""


def acknowledge(
    script: Script,
    layout: Layout,
    worker: str,
    entries: list[tuple[int, bytes]],
    dead: Mapping[str, object] | None,
    give_up: threading.Event,
) -> None:
    """Settle ``entries`` (shard, entry id): sent, or dead-lettered with ``dead``'s fields.

    Retries while Redis is unavailable, until ``give_up`` is set (the worker is leaving):
    then the entries stay pending and another worker sends them again.

    Args:
        script: :data:`FINISH_SCRIPT`, registered with the worker's Redis client.
        layout: The queue's key names.
        worker: The worker's name (its counters).
        entries: The entries to settle.
        dead: The dead letter's fields, or None when the entries were delivered.
        give_up: Set when retrying must stop.
    """
    by_shard: dict[int, list[bytes]] = {}
    for shard, entry_id in entries:
        by_shard.setdefault(shard, []).append(entry_id)
    fields: list[Any] = [x for pair in (dead or {}).items() for x in pair]
    counter = "sent" if dead is None else "dead_lettered"
    backoff = Backoff(f"worker {worker} acknowledgement")
    for shard, ids in by_shard.items():
        keys = [layout.stream(shard), layout.queued, layout.stats, layout.worker(worker), layout.dead]
        while True:
            try:
                script(keys=keys, args=[GROUP, counter, len(fields), *fields, *ids])
                break
            except UNAVAILABLE as exc:
                if give_up.is_set():
                    log.warning(
                        "worker %s: %d events not acknowledged (Redis unavailable at exit); they will be sent again",
                        worker,
                        len(ids),
                    )
                    return
                time.sleep(backoff.wait(exc))
        backoff.reset()
