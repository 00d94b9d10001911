"""Segment's retry classification and the wait between tries of one batch.

The statuses come from ``spec`` (rendered from the generator's Segment rules), so a
change in Segment's classification is a data change, not a code change.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from .. import spec


def is_retryable(status: int) -> bool:
    """Tell whether a batch answered with ``status`` should be sent again.

    Args:
        status: The HTTP status of the answer (not 2xx).

    Returns:
        True for 408, 410, 429, 460 and 5xx except 501/505/511 (Segment's current SDK
        classification); False for every other status, which is final.
    """
    if status in spec.RETRYABLE_4XX:
        return True
    return 500 <= status < 600 and status not in spec.NON_RETRYABLE_5XX


def parse_retry_after(value: str | None) -> float | None:
    """Read a ``Retry-After`` header as seconds to wait, capped at Segment's cap.

    Args:
        value: The header value: delta-seconds or an HTTP date; None when absent.

    Returns:
        Seconds (0 to ``spec.RETRY_AFTER_CAP_SECONDS``), or None when absent or unreadable.
    """
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), float(spec.RETRY_AFTER_CAP_SECONDS))


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often a batch is tried again.

    Attributes:
        max_seconds: Time budget from a batch's first try; when the next try would start
            after it, the batch goes to the dead-letter callback instead.
        base_delay: Wait before the first retry; doubled for each further retry.
        max_delay: Ceiling of the doubled wait.
    """

    max_seconds: float = 3600.0
    base_delay: float = 0.5
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if self.max_seconds < 0 or self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("RetryPolicy needs max_seconds >= 0 and 0 <= base_delay <= max_delay")

    def delay(self, tries: int, retry_after: float | None = None) -> float:
        """Return the seconds to wait before the next try.

        Args:
            tries: How many times the batch has been sent so far (1 after the first try).
            retry_after: The server's ``Retry-After`` in seconds, if it sent one.

        Returns:
            ``retry_after`` when given (the server knows best), else an exponential wait
            with "equal jitter" (between half and all of it), so many clients that failed
            together do not retry together.
        """
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(tries - 1, 0))
        return random.uniform(ceiling / 2, ceiling)
