"""Recovery: the events an earlier run left in the spool, queued again when a client opens it.

What fits in the buffer is queued before the client's constructor returns; the rest
follows from a thread, page by page, as room frees up, so a large spool never blocks the
constructor nor fills memory.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import threading
from collections.abc import Iterator

from ..errors import ClientClosed, SourceError
from .dispatch import Dispatcher
from .spool import Spool

log = logging.getLogger(__name__.partition(".")[0])

Row = tuple[int, str, str, bytes]  # (id, write key, region, event JSON)


class Recovery:
    """Queues a spool's leftovers into a dispatcher."""

    def __init__(self, spool: Spool, dispatcher: Dispatcher) -> None:
        self._spool = spool
        self._dispatcher = dispatcher
        self._thread: threading.Thread | None = None
        self._unloaded_from: int | None = None  # the first row not queued yet
        self._last = 0  # the newest row there was when recovery started

    def start(self) -> None:
        """Queue what fits now; start a thread for the rest."""
        self._last = self._spool.last_id()
        rows = self._spool.leftovers(upto=self._last)
        count = 0
        for row in rows:
            if self._dispatcher.reserve(len(row[3]), block=False) is None:
                self._unloaded_from = row[0]
                self._thread = threading.Thread(
                    target=self._rest,
                    args=(itertools.chain([row], rows),),
                    name="segment-source-spool-recovery",
                    daemon=True,
                )
                self._thread.start()
                break
            self._dispatcher.put((row[1], row[2]), row[3], row[0], recovered=True)
            count += 1
        if count:
            log.info("spool: events left by an earlier run are queued again (%d so far)", count)

    def _rest(self, rows: Iterator[Row]) -> None:
        try:
            for row_id, write_key, region, data in rows:
                self._unloaded_from = row_id
                self._dispatcher.reserve(len(data))
                self._dispatcher.put((write_key, region), data, row_id, recovered=True)
            self._unloaded_from = None
        except ClientClosed:
            log.error(
                "spool: closed before every event of an earlier run was queued again; the rest stays in the "
                "spool for the next client"
            )
        except (sqlite3.Error, SourceError):
            log.exception("spool: recovery stopped; the rest stays in the spool for the next client")

    def join(self, timeout: float | None) -> None:
        """Wait up to ``timeout`` seconds for the thread queuing the rest, if there is one."""
        if self._thread is not None:
            self._thread.join(timeout)

    def unqueued(self) -> int:
        """How many leftovers were never queued again (they stay in the spool)."""
        if self._unloaded_from is None:
            return 0
        return self._spool.count(self._unloaded_from, self._last)
