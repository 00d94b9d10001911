"""Sending for a tenant: its stored key, region and event toggles, looked up and cached.

    client = Client()
    tenants = Tenants(client, ConnectionStore())
    tenants.for_tenant("acct_42").track(user_id="u1", event=EmailOpened(email_id="e1"))

A lookup is cached for ``cache_seconds`` (1 s by default), so a change made on the page
or through the API applies within that time. A turned-off event, and every call of a
disabled connection, is skipped and counted (:meth:`Tenants.stats`). When Segment
refuses a tenant's key (401/403), the client's dead-letter callback, which
:class:`Tenants` chains onto, marks the connection ``refused`` so the page and the API
show it. Works the same with ``Client(redis_url=...)``: the handle is the client's; the
fleet's workers hear Segment's answers, so bring their dead letters over with
:meth:`Tenants.record_dead_letters`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..client import Client, Customer
from ..events import SpecEvent
from ._rules import ALL_EVENTS
from .store import ConnectionStore

__all__ = ["NotConnected", "TenantCustomer", "TenantStats", "Tenants"]

log = logging.getLogger(__name__)

# Dead-letter reasons name the customer by its key's fingerprint ("customer 1a2b3c4d (eu): ...").
_WHO = re.compile(r"customer ([0-9a-f]{8}) \(")
_PROJECT_EVENTS = frozenset(ALL_EVENTS)


class FleetDeadLetter(Protocol):
    """What :meth:`Tenants.record_dead_letters` reads of a fleet dead letter (``fleet.DeadLetter``)."""

    @property
    def customer(self) -> str: ...
    @property
    def status(self) -> int | None: ...
    @property
    def reason(self) -> str: ...
    @property
    def at(self) -> datetime: ...


class NotConnected(LookupError):
    """The tenant has no connection: its customer has not saved a write key yet."""


@dataclass(frozen=True)
class TenantStats:
    """Calls not sent because of a connection's settings."""

    skipped_events: int  # turned-off events
    skipped_disabled: int  # calls of disabled connections


class TenantCustomer:
    """A tenant's :class:`Customer` with its connection's toggles applied.

    The calls are the customer handle's; each returns the message as queued, or None
    when the connection's settings skip it.
    """

    __slots__ = ("_customer", "_events", "_tenants", "enabled", "region", "tenant")

    def __init__(
        self,
        tenants: Tenants,
        tenant: str,
        customer: Customer,
        events: frozenset[str],
        enabled: bool,
    ) -> None:
        self._tenants = tenants
        self._customer = customer
        self._events = events
        self.tenant = tenant
        self.region = customer.region
        self.enabled = enabled

    def __repr__(self) -> str:
        return f"TenantCustomer(tenant={self.tenant!r}, region={self.region!r}, enabled={self.enabled})"

    @property
    def key_id(self) -> str:
        """The write key's fingerprint, as logs and dead-letter reasons name it."""
        return self._customer.key_id

    def wants(self, event: str) -> bool:
        """Whether a track call of ``event`` is sent (events outside the project's families always are)."""
        return self.enabled and (event in self._events or event not in _PROJECT_EVENTS)

    def track(self, *, event: str | SpecEvent, **kwargs: Any) -> dict[str, Any] | None:
        """Record an action unless the customer turned the event off."""
        name = event.spec_name if isinstance(event, SpecEvent) else event
        if not self.wants(name):
            self._tenants._skip(disabled=not self.enabled)
            return None
        return self._customer.track(event=event, **kwargs)

    def _call(self, kind: str, kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
        if not self.enabled:
            self._tenants._skip(disabled=True)
            return None
        result: dict[str, Any] = getattr(self._customer, kind)(**kwargs)
        return result

    def identify(self, **kwargs: Any) -> dict[str, Any] | None:
        """Record who the user is (see :meth:`Customer.identify`)."""
        return self._call("identify", kwargs)

    def page(self, **kwargs: Any) -> dict[str, Any] | None:
        """Record a page view (see :meth:`Customer.page`)."""
        return self._call("page", kwargs)

    def screen(self, **kwargs: Any) -> dict[str, Any] | None:
        """Record a screen view (see :meth:`Customer.screen`)."""
        return self._call("screen", kwargs)

    def group(self, **kwargs: Any) -> dict[str, Any] | None:
        """Associate the user with a group (see :meth:`Customer.group`)."""
        return self._call("group", kwargs)

    def alias(self, **kwargs: Any) -> dict[str, Any] | None:
        """Merge identities (see :meth:`Customer.alias`)."""
        return self._call("alias", kwargs)


class Tenants:
    """Looks up tenants' connections for one client, with a short cache."""

    def __init__(
        self,
        client: Client,
        store: ConnectionStore,
        *,
        cache_seconds: float = 1.0,
        max_cached: int = 200_000,
    ) -> None:
        """Serve ``for_tenant`` from ``store`` through ``client``.

        Chains onto ``client.on_dead_letter`` (the earlier callback still runs), so a
        refused key marks its connection.
        """
        self.client = client
        self.store = store
        self.cache_seconds = cache_seconds
        self.max_cached = max_cached
        self._cache: dict[str, tuple[float, TenantCustomer]] = {}
        self._tenant_of_key: dict[str, str] = {}
        self._lock = threading.Lock()
        self._skipped = [0, 0]
        self._next_dead_letter = client.on_dead_letter
        client.on_dead_letter = self._on_dead_letter

    def __repr__(self) -> str:
        return f"Tenants({self.store!r}, {len(self._cache)} cached)"

    def for_tenant(self, tenant: str) -> TenantCustomer:
        """Return the handle that sends for ``tenant`` with its stored key, region and toggles.

        Raises:
            NotConnected: When the tenant has no connection.
            InvalidToken: When ``SEGMENT_SETTINGS_SECRET`` cannot open the stored key.
        """
        now = time.monotonic()
        hit = self._cache.get(tenant)
        if hit is not None and hit[0] > now:
            return hit[1]
        creds = self.store.credentials(tenant)
        if creds is None:
            self._cache.pop(tenant, None)
            raise NotConnected(f"tenant {tenant!r} has no Segment connection: send them a settings link")
        handle = TenantCustomer(
            self,
            tenant,
            self.client.customer(creds.write_key, creds.region),
            creds.events,
            creds.enabled,
        )
        with self._lock:
            if len(self._cache) >= self.max_cached:
                self._cache.pop(next(iter(self._cache)))
            self._cache[tenant] = (now + self.cache_seconds, handle)
            self._tenant_of_key[handle.key_id] = tenant
        return handle

    def forget(self, tenant: str) -> None:
        """Drop a tenant's cached lookup (the next ``for_tenant`` reads the store)."""
        self._cache.pop(tenant, None)

    def record_dead_letters(self, dead_letters: Iterable[FleetDeadLetter]) -> int:
        """Mark connections from the Redis fleet's dead letters (``fleet.dead_letters(url)``).

        The fleet's workers, not this process, hear Segment's 401/403; call this now and
        then (say, each minute) to bring their verdicts to the page and the API. Only
        tenants this process has looked up are known by their key's fingerprint.

        Returns:
            How many dead letters were recorded.
        """
        recorded = 0
        for dead in dead_letters:
            tenant = self._tenant_of_key.get(dead.customer)
            if tenant is not None:
                self.store.record_outcome(tenant, dead.status, dead.reason, at=dead.at)
                recorded += 1
        return recorded

    def stats(self) -> TenantStats:
        """Return how many calls the connections' settings skipped."""
        return TenantStats(*self._skipped)

    def _skip(self, *, disabled: bool) -> None:
        with self._lock:
            self._skipped[1 if disabled else 0] += 1

    def _on_dead_letter(self, events: list[dict[str, Any]], status: int | None, reason: str) -> None:
        try:
            match = _WHO.search(reason)
            tenant = self._tenant_of_key.get(match.group(1)) if match else None
            if tenant is not None:
                self.store.record_outcome(tenant, status, reason)
                if status in (401, 403):
                    log.warning(
                        "Segment refused the write key of tenant %r (HTTP %s): marked refused",
                        tenant,
                        status,
                    )
        finally:
            if self._next_dead_letter is not None:
                self._next_dead_letter(events, status, reason)
            else:  # what the client does without a callback
                log.error(
                    "dead-letter: %d events not delivered (status %s): %s",
                    len(events),
                    status,
                    reason,
                )
