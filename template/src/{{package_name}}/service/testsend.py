"""The "Send test event" of the page and of ``POST /v1/connections/{tenant}/test``.

One track call, ``Segment Connection Tested``, with the stored key to the stored region,
through the package's own :class:`Client` (so the same rules and retries apply), and
the answer: delivered, or Segment's status and reason.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import spec
from ..client import Client, RetryPolicy
from ..errors import DeliveryTimeout
from .store import Credentials

__all__ = ["TEST_EVENT", "TEST_USER_ID", "TestResult", "TestSender"]

TEST_EVENT = "Segment Connection Tested"
TEST_USER_ID = f"{spec.INTEGRATION_SLUG}-connection-test"
# Where the customer sees the event arrive.
DEBUGGER_HINT = (
    "In your Segment workspace, open Connections > Sources, choose this source and its Debugger tab: "
    f"a track call “{TEST_EVENT}” from user “{TEST_USER_ID}” shows within a minute."
)


@dataclass(frozen=True)
class TestResult:
    """What Segment answered to the test event."""

    __test__ = False  # not a pytest class

    delivered: bool
    status: int | None  # None: no answer (network error or time out)
    reason: str | None
    region: str
    message_id: str

    def to_json(self) -> dict[str, Any]:
        """Return the JSON the API answers."""
        return {
            "delivered": self.delivered,
            "status": self.status,
            "reason": self.reason,
            "region": self.region,
            "message_id": self.message_id,
            "event": TEST_EVENT,
            "where_to_look": DEBUGGER_HINT,
        }


class TestSender:
    """Sends test events through one client of its own; thread-safe."""

    __test__ = False

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        endpoints: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        """Create the sender; ``endpoint``/``endpoints`` replace Segment's hosts (tests, the debugger)."""
        self.timeout = timeout
        self._outcomes: dict[str, tuple[int | None, str]] = {}
        self._lock = threading.Lock()
        self.client = Client(
            endpoint=endpoint,
            endpoints=endpoints,
            timeout=timeout / 2,
            flush_interval=0,
            retry=RetryPolicy(max_seconds=timeout, base_delay=0.2, max_delay=2.0),
            on_dead_letter=self._dead_letter,
            exit_timeout=1.0,
        )

    def _dead_letter(self, events: list[dict[str, Any]], status: int | None, reason: str) -> None:
        with self._lock:
            for event in events:
                self._outcomes[event["messageId"]] = (status, reason)

    def send(self, creds: Credentials) -> TestResult:
        """Send the test event for a connection and wait for Segment's answer."""
        customer = self.client.customer(creds.write_key, creds.region)
        message = customer.track(user_id=TEST_USER_ID, event=TEST_EVENT)
        message_id = message["messageId"]
        try:
            self.client.flush(timeout=self.timeout + 5)
        except DeliveryTimeout:
            return TestResult(False, None, "Segment did not answer in time", creds.region, message_id)
        with self._lock:
            outcome = self._outcomes.pop(message_id, None)
        if outcome is None:
            return TestResult(True, 200, None, creds.region, message_id)
        return TestResult(False, outcome[0], outcome[1], creds.region, message_id)

    def close(self) -> None:
        """Stop the client's workers."""
        self.client.close(timeout=1.0)
