"""The errors this package raises, all under :class:`SourceError`.

Hierarchy::

    SourceError                 base of everything this package raises
    ├── EventRejected           an event breaks a rule and is refused at the call (ValueError)
    ├── APIError                Segment's HTTP API refused a request (status, code, message)
    ├── QueueFull               the buffer is full and the client was built with on_full="raise"
    ├── ClientClosed            the client was closed; it accepts no more events
    ├── DeliveryTimeout         flush()/close() ran out of time with events undelivered (TimeoutError)
    ├── QueueUnavailable        the Redis queue cannot be reached and on_full="raise" ([redis] extra)
    └── QueueSecretError        SEGMENT_QUEUE_SECRET is missing, malformed or not the queue's (ValueError)

No message names a write key: customers are named by their key's fingerprint.
"""

from __future__ import annotations

from typing import Literal

# Where DeliveryTimeout's events are: still queued (flush), kept in the spool or handed to
# the dead-letter callback (close).
Where = Literal["queued", "spool", "dead-letter"]


class SourceError(Exception):
    """Base class of this package's errors."""


class EventRejected(SourceError, ValueError):
    """An event was refused before it was queued; the message says which rule and the fix."""


class APIError(SourceError):
    """Segment's HTTP API answered a request with an error status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class QueueFull(SourceError):
    """The buffer is at ``max_queued_events`` or ``max_queued_bytes``; this event was not accepted.

    Attributes:
        queued: Events undelivered when it was refused.
        queued_bytes: What they count against ``max_queued_bytes``.
    """

    def __init__(self, queued: int, queued_bytes: int) -> None:
        super().__init__(
            f"the client's buffer is full ({queued} events, {queued_bytes} bytes undelivered); the event was not "
            "accepted: retry later, raise max_queued_events or max_queued_bytes, or use on_full='block'"
        )
        self.queued = queued
        self.queued_bytes = queued_bytes


class ClientClosed(SourceError):
    """The client was closed and accepts no more events."""


class DeliveryTimeout(SourceError, TimeoutError):
    """``flush()`` or ``close()`` ran out of time before every event was delivered.

    Attributes:
        pending: How many events were still undelivered.
        where: What became of them: "queued" (flush: still being sent), "spool" (close:
            kept in the durable spool for the next client) or "dead-letter" (close: handed
            to the dead-letter callback).
        running: What was still running when the wait gave up, e.g. "1 on_dead_letter
            callback(s) (100 events)"; empty when nothing was. Such a callback is never
            cut off: the process waits for it at exit.
    """

    def __init__(self, pending: int, where: Where, running: str = "") -> None:
        still = f"; still running: {running}" if running else ""
        super().__init__(f"{pending} events were not delivered in time; they are {_WHERE[where]}{still}")
        self.pending = pending
        self.where = where
        self.running = running


_WHERE: dict[Where, str] = {
    "queued": "still queued and being sent",
    "spool": "kept in the spool and sent by the next client opened on it",
    "dead-letter": "handed to the dead-letter callback",
}


# The Redis queue (the [redis] extra) -------------------------------------------------


class QueueUnavailable(SourceError):
    """The Redis queue could not take the event (the server is down or unreachable).

    Raised by producers built with ``on_full="raise"``; with "block" they wait for the
    server instead. The event was not accepted.
    """


class QueueSecretError(SourceError, ValueError):
    """``SEGMENT_QUEUE_SECRET`` is missing, malformed, or not the one the queue was made with."""
