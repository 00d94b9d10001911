"""A sliding-window ceiling on requests per second, shared by every worker.

A token bucket allows a burst of its capacity on top of the steady rate, so a window of
one second can see more than N requests. A sliding log of the last N send times cannot:
the (N+1)-th request waits until the oldest of the last N is a full window old.

A slot is stamped when it is taken and stamped again when its request has been written
(:meth:`Slot.sent`): a worker that loses the CPU between the two must not let its
request bunch up with the next second's.
"""

from __future__ import annotations

import threading
import time
from collections import deque

# Requests are counted where they leave; the server sees them a little later and not
# always in the same rhythm (on a busy 2-core machine, a loopback sink saw gaps shrink by
# up to ~50 ms), so the window is 5 % longer than a second to hold the ceiling over every
# one-second window measured at the server too. It costs at most 5 % of the ceiling.
WINDOW_SECONDS = 1.05


class Slot:
    """One request's place in the window; :meth:`sent` moves it to when it really left."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at

    def sent(self) -> None:
        """Stamp the slot with now: the request is written."""
        self.at = time.monotonic()


class RateLimiter:
    """At most ``per_second`` acquisitions in any window of :data:`WINDOW_SECONDS`."""

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
        self._sent: deque[Slot] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> Slot:
        """Block until one more request fits under the ceiling, then count it.

        Returns:
            The request's slot; call its :meth:`Slot.sent` once the request is written.
        """
        if self.per_second is None:
            return Slot(0.0)
        while True:
            with self._lock:
                now = time.monotonic()
                # Slots re-stamped by sent() may be slightly out of order; looking only at
                # the oldest-taken one errs on the side of waiting longer.
                while self._sent and now - self._sent[0].at >= WINDOW_SECONDS:
                    self._sent.popleft()
                if len(self._sent) < self.per_second:
                    slot = Slot(now)
                    self._sent.append(slot)
                    return slot
                wait = self._sent[0].at + WINDOW_SECONDS - now
            time.sleep(wait)
