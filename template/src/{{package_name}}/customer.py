"""The customer handle: builds one customer's Spec calls, checks them and hands them on.

A :class:`Customer` holds one customer's write key and region; it checks each call
(identity, required fields, size, naming) before anything is queued. It knows nothing of
the client that made it: it is given the two functions it hands calls to.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from . import spec
from ._engine.batcher import utc_now
from ._engine.ids import MESSAGE_IDS
from ._engine.keys import key_id
from .errors import EventRejected
from .events import SpecEvent
from .version import __version__

# accept(write_key, region, event JSON): queue one checked event (raises QueueFull...).
Accept = Callable[[str, str, bytes], None]
# check_naming(event name, properties): warn about, or refuse, a name breaking the rules.
CheckNaming = Callable[[str, Mapping[str, Any]], None]

__all__ = ["Customer", "build_message"]

# Segment's partner requirement: every call says which integration sent it.
_INTEGRATION = {"name": spec.INTEGRATION_SLUG, "version": __version__}


def _iso(value: datetime | str | None) -> str:
    if value is None:
        return utc_now()
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Customer:
    """One customer's write key and region; build with :meth:`Client.customer`.

    Every call takes analytics-python's keyword names and the common fields
    ``anonymous_id``, ``context``, ``timestamp``, ``message_id`` and ``integrations``;
    it returns the message as queued. It raises :class:`EventRejected` for an event that
    breaks a rule, :class:`QueueFull` when the buffer is full with ``on_full="raise"``.
    """

    __slots__ = ("_accept", "_check_naming", "_require_user_id", "_write_key", "key_id", "region")

    def __init__(
        self,
        write_key: str,
        region: str,
        *,
        accept: Accept,
        check_naming: CheckNaming,
        require_user_id: bool = False,
    ) -> None:
        self._accept = accept
        self._check_naming = check_naming
        self._require_user_id = require_user_id
        self._write_key = write_key
        self.region = region
        self.key_id = key_id(write_key)  # names the customer in logs and dead-letter reasons

    def __repr__(self) -> str:
        return f"Customer(key_id={self.key_id!r}, region={self.region!r})"

    def identify(
        self, *, user_id: str | None = None, traits: Mapping[str, Any] | None = None, **common: Any
    ) -> dict[str, Any]:
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
            if event.context():  # the Spec's context fields; an explicit context= wins
                common["context"] = {**event.context(), **(common.get("context") or {})}
        else:
            name, props = event, dict(properties or {})
        if not name:
            raise EventRejected("track needs an event name (event=...)")
        self._check_naming(name, props)
        return self._enqueue("track", {"event": name, "properties": props}, user_id=user_id, **common)

    def page(
        self,
        *,
        user_id: str | None = None,
        name: str | None = None,
        properties: Mapping[str, Any] | None = None,
        **common: Any,
    ) -> dict[str, Any]:
        """Record a web page view."""
        return self._enqueue("page", {"name": name, "properties": dict(properties or {})}, user_id=user_id, **common)

    def screen(
        self,
        *,
        user_id: str | None = None,
        name: str | None = None,
        properties: Mapping[str, Any] | None = None,
        **common: Any,
    ) -> dict[str, Any]:
        """Record an app screen view."""
        return self._enqueue("screen", {"name": name, "properties": dict(properties or {})}, user_id=user_id, **common)

    def group(
        self, *, group_id: str, user_id: str | None = None, traits: Mapping[str, Any] | None = None, **common: Any
    ) -> dict[str, Any]:
        """Associate the user with a group (an account, a company)."""
        if not group_id:
            raise EventRejected("group needs group_id")
        return self._enqueue(
            "group", {"groupId": str(group_id), "traits": dict(traits or {})}, user_id=user_id, **common
        )

    def alias(self, *, previous_id: str, user_id: str, **common: Any) -> dict[str, Any]:
        """Merge a previous identity into ``user_id``."""
        if not previous_id:
            raise EventRejected("alias needs previous_id")
        return self._enqueue("alias", {"previousId": str(previous_id)}, user_id=user_id, **common)

    def _enqueue(self, kind: str, body: dict[str, Any], *, user_id: str | None, **common: Any) -> dict[str, Any]:
        msg, data = build_message(kind, body, user_id=user_id, require_user_id=self._require_user_id, **common)
        self._accept(self._write_key, self.region, data)
        return msg


def build_message(
    kind: str,
    body: dict[str, Any],
    *,
    user_id: str | None,
    anonymous_id: str | None = None,
    context: Mapping[str, Any] | None = None,
    timestamp: datetime | str | None = None,
    message_id: str | None = None,
    integrations: Mapping[str, Any] | None = None,
    require_user_id: bool = False,
) -> tuple[dict[str, Any], bytes]:
    """Build one call's message and its JSON, checked against Segment's rules.

    Touches no buffer and no network: whatever queues the event (this package's client,
    or a shared queue) takes the bytes as they are.

    Args:
        kind: "identify", "track", "page", "screen", "group" or "alias".
        body: The call's own fields (``event``, ``properties``, ``traits``...).
        user_id: The user; this or ``anonymous_id`` is required.
        anonymous_id: The anonymous id.
        context: Extra context; ``context.integration`` is always set.
        timestamp: When it happened (aware datetime or ISO-8601); default now.
        message_id: The id Segment deduplicates by; default a new uuid4.
        integrations: Per-destination switches.
        require_user_id: Refuse a call without ``user_id`` (Segment's partner guide: every
            call carries one), an anonymous id alone not being enough.

    Returns:
        The message and its compact JSON bytes.

    Raises:
        EventRejected: For a missing identity, an overlong messageId, a value that is not
            JSON, or an event over 32 KB.
    """
    if not user_id and (require_user_id or not anonymous_id):
        wanted = "user_id (Segment's partner guide: every call carries one)" if require_user_id else None
        raise EventRejected(f"{kind} needs {wanted or 'user_id or anonymous_id'}")
    message_id = message_id or MESSAGE_IDS.next()
    if len(message_id) > spec.MAX_MESSAGE_ID_CHARS:
        raise EventRejected(f"message_id is over {spec.MAX_MESSAGE_ID_CHARS} characters")
    ctx = dict(context or {})
    ctx["integration"] = _INTEGRATION
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
    try:
        data = json.dumps(msg, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        raise EventRejected(f"{kind} event is not JSON-serializable: {exc}") from None
    if len(data) > spec.MAX_EVENT_BYTES:
        raise EventRejected(
            f"{kind} event is {len(data)} bytes, over Segment's {spec.MAX_EVENT_BYTES}-byte limit per event"
        )
    return msg, data
