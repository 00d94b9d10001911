"""A client for Segment's HTTP Tracking API that sends for many customers.

One :class:`Client` per process; one cheap :class:`Customer` handle per customer,
holding that customer's write key and region::

    client = Client()
    acme = client.customer(write_key, region="eu")
    acme.track(user_id="u1", event=EmailOpened(email_id="e1"))
    client.close()          # delivers what is queued

Calls are queued per customer and sent to ``/v1/batch`` on :meth:`Client.flush`.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from . import __version__, spec
from ._http import post_json
from .errors import EventRejected
from .events import SpecEvent
from .naming import naming_problems

log = logging.getLogger(__name__)


def endpoint_for(region: str, override: str | None = None) -> str:
    """Return the ``/v1`` base URL for a region, or the checked override."""
    if override is not None:
        return _checked_override(override)
    if region not in spec.REGION_ENDPOINTS:
        raise ValueError(f"region {region!r} is unknown: use one of {sorted(spec.REGION_ENDPOINTS)}")
    if region not in spec.SUPPORTED_REGIONS:
        raise ValueError(f"region {region!r} is not supported by this source: use one of {list(spec.SUPPORTED_REGIONS)}")
    return spec.REGION_ENDPOINTS[region]


def _checked_override(url: str) -> str:
    parts = urlsplit(url)
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError(f"endpoint {url!r} must be https:// (plain http only to loopback, for tests)")
    base = url.rstrip("/")
    return base if base.endswith("/v1") else base + "/v1"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso(value: datetime | str | None) -> str:
    if value is None:
        return _now()
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Customer:
    """One customer's write key and region; build with :meth:`Client.customer`."""

    _client: Client
    _write_key: str = field(repr=False)
    region: str = "us"

    def __repr__(self) -> str:
        return f"Customer(write_key='{self._write_key[:4]}…', region={self.region!r})"

    def identify(self, *, user_id: str | None = None, traits: Mapping[str, Any] | None = None, **common: Any) -> dict[str, Any]:
        """Record who the user is (``traits``)."""
        return self._enqueue("identify", {"traits": dict(traits or {})}, user_id=user_id, **common)

    def track(
        self,
        *,
        event: str | SpecEvent,
        user_id: str | None = None,
        properties: Mapping[str, Any] | None = None,
        **common: Any,
    ) -> dict[str, Any]:
        """Record an action; ``event`` is a Spec builder or a Proper Case name."""
        if isinstance(event, SpecEvent):
            name, props = event.spec_name, {**event.properties(), **(properties or {})}
        else:
            name, props = event, dict(properties or {})
        if not name:
            raise EventRejected("track needs an event name (event=...)")
        problems = naming_problems(name, props, spec.ALL_SPEC_EVENT_NAMES, spec.LOOKALIKES)
        for problem in problems:
            if self._client.strict:
                raise EventRejected(problem)
            log.warning("naming: %s", problem)
        return self._enqueue("track", {"event": name, "properties": props}, user_id=user_id, **common)

    def page(self, *, user_id: str | None = None, name: str | None = None, properties: Mapping[str, Any] | None = None, **common: Any) -> dict[str, Any]:
        """Record a web page view."""
        return self._enqueue("page", {"name": name, "properties": dict(properties or {})}, user_id=user_id, **common)

    def screen(self, *, user_id: str | None = None, name: str | None = None, properties: Mapping[str, Any] | None = None, **common: Any) -> dict[str, Any]:
        """Record an app screen view."""
        return self._enqueue("screen", {"name": name, "properties": dict(properties or {})}, user_id=user_id, **common)

    def group(self, *, group_id: str, user_id: str | None = None, traits: Mapping[str, Any] | None = None, **common: Any) -> dict[str, Any]:
        """Associate the user with a group (an account, a company)."""
        if not group_id:
            raise EventRejected("group needs group_id")
        return self._enqueue("group", {"groupId": str(group_id), "traits": dict(traits or {})}, user_id=user_id, **common)

    def alias(self, *, previous_id: str, user_id: str, **common: Any) -> dict[str, Any]:
        """Merge a previous identity into ``user_id``."""
        if not previous_id:
            raise EventRejected("alias needs previous_id")
        return self._enqueue("alias", {"previousId": str(previous_id)}, user_id=user_id, **common)

    def _enqueue(
        self,
        kind: str,
        body: dict[str, Any],
        *,
        user_id: str | None,
        anonymous_id: str | None = None,
        context: Mapping[str, Any] | None = None,
        timestamp: datetime | str | None = None,
        message_id: str | None = None,
        integrations: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        if not user_id and not anonymous_id:
            raise EventRejected(f"{kind} needs user_id or anonymous_id")
        message_id = message_id or str(uuid.uuid4())
        if len(message_id) > spec.MAX_MESSAGE_ID_CHARS:
            raise EventRejected(f"message_id is over {spec.MAX_MESSAGE_ID_CHARS} characters")
        ctx = dict(context or {})
        ctx["integration"] = {"name": spec.INTEGRATION_SLUG, "version": __version__}
        msg: dict[str, Any] = {
            "type": kind,
            **{k: v for k, v in body.items() if v is not None},
            "context": ctx,
            "timestamp": _iso(timestamp),
            "messageId": message_id,
        }
        if user_id:
            msg["userId"] = str(user_id)
        if anonymous_id:
            msg["anonymousId"] = str(anonymous_id)
        if integrations:
            msg["integrations"] = dict(integrations)
        size = len(json.dumps(msg, separators=(",", ":")).encode())
        if size > spec.MAX_EVENT_BYTES:
            raise EventRejected(f"{kind} event is {size} bytes, over Segment's {spec.MAX_EVENT_BYTES}-byte limit per event")
        self._client._queue(self._write_key, self.region, msg)
        return msg


class Client:
    """Sends queued calls for every customer of this process to Segment's HTTP API."""

    def __init__(self, *, endpoint: str | None = None, timeout: float = 10.0, strict: bool = False) -> None:
        self.endpoint = None if endpoint is None else _checked_override(endpoint)
        self.timeout = timeout
        self.strict = strict
        self._queues: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def __repr__(self) -> str:
        return f"Client(endpoint={self.endpoint!r}, customers={len(self._queues)})"

    def customer(self, write_key: str, region: str = "us") -> Customer:
        """Return the handle that sends for one customer (its write key and region)."""
        if not isinstance(write_key, str) or not write_key.strip():
            raise ValueError("write_key must be a non-empty string (the customer's Segment write key)")
        endpoint_for(region, self.endpoint)  # refuse an unknown region now, not at flush
        return Customer(self, write_key, region)

    def _queue(self, write_key: str, region: str, msg: dict[str, Any]) -> None:
        self._queues.setdefault((write_key, region), []).append(msg)

    def flush(self) -> int:
        """Send everything queued, one ``/v1/batch`` request per customer; return events sent."""
        sent = 0
        for (write_key, region), batch in list(self._queues.items()):
            if not batch:
                continue
            auth = base64.b64encode(f"{write_key}:".encode()).decode()
            body = {"batch": batch, "sentAt": _now()}
            post_json(endpoint_for(region, self.endpoint) + "/batch", body, auth, self.timeout)
            sent += len(batch)
            self._queues[(write_key, region)] = []
        return sent

    def close(self) -> None:
        """Deliver what is queued."""
        self.flush()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
