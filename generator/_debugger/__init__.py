"""The engine of ``segment-source debugger``: Segment's HTTP API paths, event checks, a live page.

Private, like every ``generator._*`` package: the supported interface is the command (and
``python -m generator._debugger``, which runs the same parser). The names below are what
the command and this repository's tests use; they may change in any release.
"""

from __future__ import annotations

from .._write_key import mask
from ._app import DebuggerServer
from ._store import EventStore
from ._validate import check_event

__all__ = ["DebuggerServer", "EventStore", "check_event", "mask"]
