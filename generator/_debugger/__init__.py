"""A local Source Debugger: Segment's HTTP API paths, event checks and a live page.

Start one in a thread (tests, notebooks)::

    from generator._debugger import DebuggerServer

    with DebuggerServer(port=0, write_keys=["KEY"]) as debugger:
        print(debugger.url)

or from the command line: ``segment-source debugger`` (see :mod:`._command`).
"""

from __future__ import annotations

from .._write_key import mask
from ._app import DebuggerServer
from ._store import EventStore
from ._validate import check_event

__all__ = ["DebuggerServer", "EventStore", "check_event", "mask"]
