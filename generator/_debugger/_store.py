"""A bounded, thread-safe store of the latest events, with counts of every event.

The debugger may receive millions of events; it keeps only the last ``keep`` of them
(a deque drops the oldest) but counts them all, so the page can say how many arrived,
passed, warned and failed, and how many requests got which HTTP status.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable
from typing import Any

from ._validate import FAIL, PASS, WARN

Record = dict[str, Any]


class EventStore:
    """The last ``keep`` event records, newest last, plus running counts.

    Every record gets an increasing ``id``, which the live stream uses to send each
    client only what it has not seen yet.
    """

    def __init__(self, keep: int = 1000) -> None:
        """Create an empty store.

        Args:
            keep: How many events to keep; older ones are counted, then dropped.

        Raises:
            ValueError: ``keep`` is below 1.
        """
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        self.keep = keep
        self._events: deque[Record] = deque(maxlen=keep)
        self._changed = threading.Condition()
        self._last_id = 0
        self._by_status: Counter[str] = Counter({PASS: 0, WARN: 0, FAIL: 0})
        self._by_type: Counter[str] = Counter()
        self._requests: Counter[int] = Counter()
        self._closed = False

    def add(self, records: Iterable[Record]) -> None:
        """Store the events of one request, numbering them, and wake the live streams."""
        with self._changed:
            for record in records:
                self._last_id += 1
                record["id"] = self._last_id
                self._events.append(record)
                self._by_status[record["status"]] += 1
                self._by_type[record["type"] or "unknown"] += 1
            self._changed.notify_all()

    def count_request(self, status: int) -> None:
        """Count one answered request by its HTTP status (200, 400, 401, 429, 503...)."""
        with self._changed:
            self._requests[status] += 1
            self._changed.notify_all()

    def counts(self) -> dict[str, Any]:
        """Return the totals: events received, stored, by status, by type; requests."""
        with self._changed:
            return self._counts()

    def _counts(self) -> dict[str, Any]:
        return {
            "total": self._last_id,
            "stored": len(self._events),
            "keep": self.keep,
            "by_status": dict(self._by_status),
            "by_type": dict(sorted(self._by_type.items())),
            "requests": {str(code): n for code, n in sorted(self._requests.items())},
        }

    def events(
        self,
        *,
        type: str | None = None,
        status: str | None = None,
        event: str | None = None,
        write_key: str | None = None,
        limit: int | None = None,
    ) -> list[Record]:
        """Return stored events, newest first, optionally filtered.

        Args:
            type: Keep only this call type (``track``, ``identify``...).
            status: Keep only ``pass``, ``warn`` or ``fail``.
            event: Keep only events whose name contains this text (any case).
            write_key: Keep only this masked write key (as shown, e.g. ``abcd…``).
            limit: Return at most this many.

        Returns:
            The matching records, newest first.
        """
        needle = event.lower() if event else None
        with self._changed:
            snapshot = list(self._events)
        found: list[Record] = []
        for record in reversed(snapshot):
            if limit is not None and len(found) >= limit:
                break
            if type and record["type"] != type:
                continue
            if status and record["status"] != status:
                continue
            if needle and needle not in (record["name"] or "").lower():
                continue
            if write_key and record["write_key"] != write_key:
                continue
            found.append(record)
        return found

    def wait_after(self, last_id: int, timeout: float) -> tuple[list[Record], dict[str, Any]]:
        """Wait until events newer than ``last_id`` arrive, the counts change, or timeout.

        Args:
            last_id: The id of the newest event the caller has.
            timeout: Seconds to wait at most.

        Returns:
            The newer events still stored (oldest first) and the current counts.
        """
        with self._changed:
            if not self._closed and self._last_id <= last_id:
                self._changed.wait(timeout)
            newer = (
                [r for r in self._events if r["id"] > last_id] if self._last_id > last_id else []
            )
            return newer, self._counts()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called; live streams end then."""
        return self._closed

    def close(self) -> None:
        """Wake every waiting stream so it can end."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
