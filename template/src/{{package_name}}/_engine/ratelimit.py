"""A sliding-window ceiling on requests per second, shared by every worker.

A token bucket allows a burst of its capacity on top of the steady rate, so a window of
one second can see more than N requests. A sliding log cannot: the (N+1)-th request waits
until the oldest of the last N is a full window old.

A request holds its place from the moment it is granted until a full window after it
was written (:meth:`Slot.sent`): a slot is never aged out while its request is still
connecting or being written, so however long that takes, the server never sees more than
N requests in a window. A request that was never written gives its place back
(:meth:`Slot.cancel`).
"""

from __future__ import annotations

import threading
import time
from collections import deque

# Requests are counted when written; the server sees them a little later and not always
# in the same rhythm (on a busy 2-core machine a loopback sink saw gaps shrink by up to
# ~50 ms), so the window is 5 % longer than a second to hold the ceiling over every
# one-second window measured at the server too. It costs at most 5 % of the ceiling.
WINDOW_SECONDS = 1.05


class Slot:
    """One request's place in the window."""

    __slots__ = ("_done", "_limiter")

    def __init__(self, limiter: RateLimiter | None) -> None:
        self._limiter = limiter
        self._done = False

    def sent(self) -> None:
        """The request is written: its place ages out a window from now."""
        if self._limiter is not None and not self._done:
            self._done = True
            self._limiter._settle(sent=True)

    def cancel(self) -> None:
        """The request was never written: give the place back (no-op after :meth:`sent`)."""
        if self._limiter is not None and not self._done:
            self._done = True
            self._limiter._settle(sent=False)


class RateLimiter:
    """At most ``per_second`` requests in any window of :data:`WINDOW_SECONDS`."""

    def __init__(self, per_second: int | None) -> None:
        """Create the limiter.

        Args:
            per_second: The ceiling; None switches the limiter off.

        Raises:
            ValueError: When ``per_second`` is not a positive integer or None.
        """
        if per_second is not None and (not isinstance(per_second, int) or per_second < 1):
            raise ValueError(f"requests_per_second must be a positive integer or None, not {per_second!r}")
        self.per_second = per_second
        self._sent: deque[float] = deque()  # write times, in order (stamped under the lock)
        self._granted = 0  # places granted whose request is not written yet
        self._lock = threading.Lock()

    def try_acquire(self) -> Slot | float:
        """Take a place if one is free now; else return the seconds until one may be.

        Never blocks, so a scheduler may call it while holding its own lock.
        """
        if self.per_second is None:
            return Slot(None)
        with self._lock:
            now = time.monotonic()
            while self._sent and now - self._sent[0] >= WINDOW_SECONDS:
                self._sent.popleft()
            if self._granted + len(self._sent) < self.per_second:
                self._granted += 1
                return Slot(self)
            if self._sent:
                return max(self._sent[0] + WINDOW_SECONDS - now, 0.001)
            return 0.05  # every place is granted and still being written: look again soon

    def acquire(self) -> Slot:
        """Block until a place is free, then take it."""
        while True:
            got = self.try_acquire()
            if isinstance(got, Slot):
                return got
            time.sleep(got)

    def _settle(self, *, sent: bool) -> None:
        with self._lock:
            self._granted -= 1
            if sent:
                self._sent.append(time.monotonic())
