"""What the routes of the service share: the store, the secret, the token and the test sender.

Kept on ``app.state.service``, so routers (the connections API, the settings page, and
later ones) read it from the request instead of from globals.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.requests import Request

from .store import ConnectionStore
from .testsend import TestSender


@dataclass
class ServiceState:
    """The service's shared parts."""

    store: ConnectionStore
    service_token: str = field(repr=False)
    endpoint: str | None = None
    endpoints: Mapping[str, str] | None = None
    frame_ancestors: str = "'self'"
    test_timeout: float = 10.0
    owns_store: bool = False  # built by create_app: closed with the app
    _sender: TestSender | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def sender(self) -> TestSender:
        """The test sender, started on first use (its client's threads start with it)."""
        with self._lock:
            if self._sender is None:
                self._sender = TestSender(endpoint=self.endpoint, endpoints=self.endpoints, timeout=self.test_timeout)
            return self._sender

    def close(self) -> None:
        """Stop the test sender; close the store when the app opened it."""
        if self._sender is not None:
            self._sender.close()
        if self.owns_store:
            self.store.close()


def state(request: Request) -> ServiceState:
    """Return the service's shared parts for a request."""
    found: ServiceState = request.app.state.service
    return found
