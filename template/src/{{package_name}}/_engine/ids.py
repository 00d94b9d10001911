"""messageIds: random (version 4) UUID strings, cheap enough for the hot path.

Segment deduplicates by messageId, so each event gets one when it is accepted and keeps
it on every retry.
"""

from __future__ import annotations

import os
import threading


class MessageIds:
    """Random (version 4) UUID strings, 1,024 per ``os.urandom`` call.

    ``uuid.uuid4()`` makes one ``urandom`` system call per id, about a quarter of the
    cost of a whole track call; the bytes are the same kind, only fetched in bulk. A
    forked child must :meth:`reset`, or it would hand out its parent's next ids.
    """

    _CHUNK = 16 * 1024

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Drop the buffered random bytes (and a lock a parent thread may have held)."""
        self._lock = threading.Lock()
        self._buffer = b""
        self._offset = 0

    def next(self) -> str:
        """Return a new uuid4 string."""
        with self._lock:
            if self._offset >= len(self._buffer):
                self._buffer, self._offset = os.urandom(self._CHUNK), 0
            raw = bytearray(self._buffer[self._offset : self._offset + 16])
            self._offset += 16
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


MESSAGE_IDS = MessageIds()
