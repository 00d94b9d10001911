"""Errors raised by the client.

Hierarchy::

    SourceError                 base of everything this package raises
    ├── EventRejected           an event breaks a rule and is refused at the call (ValueError)
    └── APIError                Segment's HTTP API refused a request (status, code, message)
"""

from __future__ import annotations


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
