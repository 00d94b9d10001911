"""A bounded, thread-safe store of the latest events, with counts of every event.

The debugger may receive millions of events; it keeps only the last ``keep`` of them,
and no more than ``max_bytes`` of them (the oldest go first), but counts them all, so
the page can say how many arrived, passed, warned and failed, and how many requests got
which HTTP status.

Each record is kept as its JSON text, encoded once when it arrives: its memory is its
size in bytes rather than a tree of Python objects many times larger, the byte bound is
exact, and ``/api/events`` and the live stream send the stored text as it is, piece by
piece, without building one large answer or encoding anything again.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from ._validate import FAIL, PASS, WARN

Record = dict[str, Any]

DEFAULT_KEEP = 1000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# A record holds at most one event of 32 KB plus its reasons; a budget below this
# would keep nothing useful.
MIN_MAX_BYTES = 256 * 1024


class _Stored(NamedTuple):
    """One stored record: the fields the filters need, and the record as JSON text."""

    id: int
    type: str | None
    name: str | None
    status: str
    write_key: str | None
    text: str


# A record may carry its payload already encoded under this key (see encode_record).
PAYLOAD_JSON = "_payload_json"


def encode(value: object) -> str:
    """Encode for the page: compact and ASCII-only, so it is always one line of SSE."""
    return json.dumps(value, separators=(",", ":"))


def encode_record(record: Record) -> str:
    """Encode a record, reusing its payload's JSON text when ingest already made it."""
    payload = record.pop(PAYLOAD_JSON, None)
    if payload is None:
        return encode(record)
    item = record.pop("payload")
    rest = encode(record)
    record["payload"] = item
    return f'{rest[:-1]},"payload":{payload}}}'


class EventStore:
    """The last ``keep`` event records (at most ``max_bytes`` of JSON), plus running counts.

    Every record gets an increasing ``id``, which the live stream uses to send each
    client only what it has not seen yet.
    """

    def __init__(self, keep: int = DEFAULT_KEEP, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        """Create an empty store.

        Args:
            keep: How many events to keep; older ones are counted, then dropped.
            max_bytes: How many bytes of event JSON to keep; the oldest go first.

        Raises:
            ValueError: ``keep`` is below 1 or ``max_bytes`` below 256 KiB.
        """
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        if max_bytes < MIN_MAX_BYTES:
            raise ValueError(f"max_bytes must be at least {MIN_MAX_BYTES}, got {max_bytes}")
        self.keep = keep
        self.max_bytes = max_bytes
        self._events: deque[_Stored] = deque()
        self._bytes = 0
        self._changed = threading.Condition()
        self._last_id = 0
        self._by_status: Counter[str] = Counter({PASS: 0, WARN: 0, FAIL: 0})
        self._by_type: Counter[str] = Counter()
        self._requests: Counter[int] = Counter()
        self._closed = False

    def add(self, records: Iterable[Record]) -> list[str]:
        """Store the events of one request, numbering them, and wake the live streams.

        Returns:
            The stored JSON text of each record (with its ``id``), e.g. for a log file.
        """
        # Encode before taking the lock: threads that wait for a lock held through CPU
        # work hand the GIL back and forth for nothing (a convoy), halving throughput.
        encoded = [(record, encode_record(record)) for record in records]
        texts: list[str] = []
        with self._changed:
            for record, body in encoded:
                self._last_id += 1
                record["id"] = self._last_id
                text = f'{{"id":{self._last_id},{body[1:]}'
                stored = _Stored(self._last_id, record["type"], record["name"],
                                 record["status"], record["write_key"], text)  # fmt: skip
                texts.append(text)
                self._events.append(stored)
                self._bytes += len(text)
                self._by_status[stored.status] += 1
                self._by_type[stored.type or "unknown"] += 1
            # Keep the newest record even if it alone is over the budget.
            while len(self._events) > self.keep or (
                self._bytes > self.max_bytes and len(self._events) > 1
            ):
                self._bytes -= len(self._events.popleft().text)
            self._changed.notify_all()
        return texts

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
            "stored_bytes": self._bytes,
            "keep": self.keep,
            "max_bytes": self.max_bytes,
            "by_status": dict(self._by_status),
            "by_type": dict(sorted(self._by_type.items())),
            "requests": {str(code): n for code, n in sorted(self._requests.items())},
        }

    def encoded(
        self,
        *,
        type: str | None = None,
        status: str | None = None,
        event: str | None = None,
        write_key: str | None = None,
        limit: int | None = None,
    ) -> Iterator[str]:
        """Yield stored events as JSON text, newest first, optionally filtered.

        Args:
            type: Keep only this call type (``track``, ``identify``...).
            status: Keep only ``pass``, ``warn`` or ``fail``.
            event: Keep only events whose name contains this text (any case).
            write_key: Keep only this masked write key (as shown, e.g. ``abcd…``).
            limit: Yield at most this many.

        Yields:
            The matching records' JSON text, newest first.
        """
        needle = event.lower() if event else None
        with self._changed:
            snapshot = list(self._events)  # references only: the texts are not copied
        found = 0
        for stored in reversed(snapshot):
            if limit is not None and found >= limit:
                return
            if type and stored.type != type:
                continue
            if status and stored.status != status:
                continue
            if needle and needle not in (stored.name or "").lower():
                continue
            if write_key and stored.write_key != write_key:
                continue
            found += 1
            yield stored.text

    def events(self, **filters: Any) -> list[Record]:
        """Return stored events as dicts, newest first; takes :meth:`encoded`'s filters."""
        return [json.loads(text) for text in self.encoded(**filters)]

    def wait_after(
        self, last_id: int, timeout: float
    ) -> tuple[list[tuple[int, str]], dict[str, Any]]:
        """Wait until events newer than ``last_id`` arrive, the counts change, or timeout.

        Args:
            last_id: The id of the newest event the caller has.
            timeout: Seconds to wait at most.

        Returns:
            The newer events still stored, as ``(id, JSON text)`` oldest first, and the
            current counts.
        """
        with self._changed:
            if not self._closed and self._last_id <= last_id:
                self._changed.wait(timeout)
            if self._last_id <= last_id:
                return [], self._counts()
            return [(s.id, s.text) for s in self._events if s.id > last_id], self._counts()

    def close(self) -> None:
        """Wake every waiting stream so it can end."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
