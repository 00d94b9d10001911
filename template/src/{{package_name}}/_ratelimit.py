"""A sliding-window ceiling on requests per second, shared by every worker.

A token bucket allows a burst of its capacity on top of the steady rate, so a window of
one second can see more than N requests. A sliding log of the last N send times cannot:
the (N+1)-th request waits until the oldest of the last N is a full window old.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

# Requests are counted where they leave; the server sees them a little later and not
# always in the same rhythm, so the window is kept slightly longer than a second to hold
# the ceiling over every one-second window measured at the server too.
WINDOW_SECONDS = 1.02


class RateLimiter:
    """At most ``per_second`` acquisitions in any window of :data:`WINDOW_SECONDS`."""

    def __init__(self, per_second: int | None, *, clock: Callable[[], float] = time.monotonic) -> None:
        """Create the limiter.

        Args:
            per_second: The ceiling; None switches the limiter off.
            clock: A monotonic clock (injectable for tests).

        Raises:
            ValueError: When ``per_second`` is not a positive integer or None.
        """
        if per_second is not None and (not isinstance(per_second, int) or per_second < 1):
            raise ValueError(f"requests_per_second must be a positive integer or None, not {per_second!r}")
        self.per_second = per_second
        self._clock = clock
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until one more request fits under the ceiling, then count it."""
        if self.per_second is None:
            return
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= WINDOW_SECONDS:
                    self._sent.popleft()
                if len(self._sent) < self.per_second:
                    self._sent.append(now)
                    return
                wait = self._sent[0] + WINDOW_SECONDS - now
            time.sleep(wait)
