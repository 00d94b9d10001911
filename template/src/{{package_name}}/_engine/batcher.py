"""Batches for ``/v1/batch``: events kept as serialized bytes, sized exactly.

Each event is serialized once, when it is accepted; a batch's body is those bytes joined
with ``sentAt``. Because ``sentAt`` always has the same length, the size of the body is
known before it is built, so a batch is filled up to Segment's limit and never over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum

from .. import spec

_HEAD = b'{"batch":['
_SENT_AT = b'],"sentAt":"'
_TAIL = b'"}'
# "2024-05-01T12:00:00.000Z": ISO-8601 UTC with milliseconds is always 24 characters.
_SENT_AT_CHARS = 24
EMPTY_BODY_BYTES = len(_HEAD) + len(_SENT_AT) + _SENT_AT_CHARS + len(_TAIL)

# A destination: the write key and region the events are sent for.
Destination = tuple[str, str]


class Outcome(str, Enum):
    """How a batch ends: each accepted event ends exactly once in one of these."""

    SENT = "sent"  # the server answered 2xx
    DEAD = "dead"  # given up: handed to the dead-letter callback
    LEFT = "left"  # close() gave up on it: kept in the spool, else dead-lettered


def utc_now() -> str:
    """Return the current UTC time as ISO-8601 with milliseconds and a ``Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(eq=False)
class Batch:
    """Events for one destination, in the order accepted; sent as one request.

    Attributes:
        destination: The write key and region.
        events: Each event's JSON bytes; never changed once the batch is closed, so every
            try sends the same events with the same messageIds.
        size: The body's size in bytes, ``sentAt`` included.
        spool_ids: The events' rows in the durable spool, if one is used.
        tries: How many times the batch has been sent.
        first_try: ``time.monotonic()`` of the first try (the retry budget starts there).
        first_seq: The acceptance number of its first event (``flush()`` waits by these).
        held: Bytes of the buffer's bound the batch holds until it is settled.
        outcome: Set once, by whoever claims the batch (:meth:`Dispatcher.claim`), who then
            owns its hand-off; the batch is settled when that hand-off is done.
    """

    destination: Destination
    events: list[bytes] = field(default_factory=list)
    size: int = EMPTY_BODY_BYTES
    spool_ids: list[int] = field(default_factory=list)
    tries: int = 0
    first_try: float | None = None
    first_seq: int = 0
    held: int = 0
    outcome: Outcome | None = None

    def fits(self, event: bytes) -> bool:
        """Tell whether ``event`` can join without crossing Segment's count or size limit."""
        if len(self.events) >= spec.MAX_BATCH_EVENTS:
            return False
        return self.size + len(event) + (1 if self.events else 0) <= spec.MAX_BATCH_BYTES

    def add(self, event: bytes, spool_id: int | None = None) -> None:
        """Append one serialized event (check :meth:`fits` first)."""
        self.size += len(event) + (1 if self.events else 0)
        self.events.append(event)
        if spool_id is not None:
            self.spool_ids.append(spool_id)

    @property
    def full(self) -> bool:
        """True when no further event can join (the count limit is reached)."""
        return len(self.events) >= spec.MAX_BATCH_EVENTS

    def body(self, sent_at: str | None = None) -> bytes:
        """Build the request body with ``sentAt`` (now, unless given).

        ``sentAt`` is stamped per try: Segment corrects clock skew with
        ``receivedAt - (sentAt - timestamp)``, so a stale ``sentAt`` on a retry would shift
        every event's time by the backoff. The events themselves never change.
        """
        stamp = (sent_at or utc_now()).encode()
        if len(stamp) != _SENT_AT_CHARS:
            raise ValueError(f"sentAt must be {_SENT_AT_CHARS} characters, got {stamp!r}")
        return b"".join((_HEAD, b",".join(self.events), _SENT_AT, stamp, _TAIL))
