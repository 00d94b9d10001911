"""The relay: Segment's HTTP Tracking API, so any Segment library can send through this service.

A partner points a Segment library (Node, Go, Ruby, Python...) at the service, with a
relay credential of one tenant as its "write key" (``POST /v1/connections/{tenant}/relay-keys``
issues one). Each call goes through the same :class:`Customer` handle as the Python
client's, via :meth:`Tenants.for_tenant`: ``context.integration``, the identity rule,
naming per ``strict``, the 32 KB limit and the tenant's event toggles are one
implementation. The tenant's real write key and region come from the connection store;
the client delivers under its one rate ceiling (or, with ``redis_url``, the fleet's).

Answers, as Segment's API gives them: 200 ``{"success": true}`` once every call is
accepted by the client (in its spool or Redis when it has one); 400 with the reason for
a body that is not JSON, too big, too deep, or holds a call the rules refuse (the other
calls of that batch are accepted); 401 for an unknown credential; 429 with
``Retry-After`` when the client's queue is full, 503 when it cannot take calls. A tenant
without a connection, or with a disabled one, gets 200 and its calls are counted as
dropped (``GET /v1/connections/{tenant}/relay-keys`` shows them): the partner's code is
not the place to learn that a customer disconnected, and an error there would only fill
the partner's retry queues with calls nobody can send.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from .. import spec
from ..client import Client
from ..errors import ClientClosed, DeliveryTimeout, EventRejected, QueueFull, QueueUnavailable
from ._relay_keys import RelayKeys
from .api import Service, _tenant
from .store import ConnectionStore
from .tenants import NotConnected, Tenants

__all__ = ["BODY_SECONDS", "RELAY_PATHS", "Relay", "RelayStats", "keys_router"]

log = logging.getLogger(__name__)

# Path -> the call's type (None: a batch of typed calls). /v1/import is Segment's old name for batch.
RELAY_PATHS: dict[str, str | None] = {
    "/v1/track": "track",
    "/v1/identify": "identify",
    "/v1/page": "page",
    "/v1/screen": "screen",
    "/v1/group": "group",
    "/v1/alias": "alias",
    "/v1/batch": None,
    "/v1/import": None,
}
KINDS = frozenset(kind for kind in RELAY_PATHS.values() if kind is not None)
# A whole body must arrive within this many seconds: a slow sender cannot hold a worker.
BODY_SECONDS = 10.0
# Seconds a sender should wait when the queue is full (Segment's libraries honour it on 429).
RETRY_AFTER_SECONDS = 2

# Segment's field -> the Customer call's keyword, per call type; then the common ones.
_OWN: dict[str, dict[str, str]] = {
    "track": {"event": "event", "properties": "properties"},
    "identify": {"traits": "traits"},
    "page": {"name": "name", "properties": "properties"},
    "screen": {"name": "name", "properties": "properties"},
    "group": {"groupId": "group_id", "traits": "traits"},
    "alias": {"previousId": "previous_id"},
}
_COMMON = {
    "userId": "user_id",
    "anonymousId": "anonymous_id",
    "context": "context",
    "timestamp": "timestamp",
    "messageId": "message_id",
    "integrations": "integrations",
}
_IDS = frozenset({"userId", "anonymousId", "groupId", "previousId"})
_OBJECTS = frozenset({"properties", "traits", "context", "integrations"})
_STRINGS = frozenset({"event", "name", "timestamp", "messageId"})


@dataclass(frozen=True)
class RelayStats:
    """What the relay did with the calls it was given (this process, since it started)."""

    accepted: int  # handed to the client
    refused: int  # broke a rule: answered 400
    skipped: int  # turned off by the tenant: answered 200, not sent
    dropped: int  # no connection, or a disabled one: answered 200, not sent
    unauthorized: int  # requests with an unknown credential


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class Relay:
    """Checks and hands on the calls of Segment libraries, for the tenant their credential names."""

    def __init__(
        self,
        store: ConnectionStore,
        client: Client | None = None,
        *,
        endpoint: str | None = None,
        endpoints: Mapping[str, str] | None = None,
        strict: bool = False,
        spool_path: str | None = None,
        redis_url: str | None = None,
        max_queued_events: int = 100_000,
        flush_interval: float = 0.5,
        flush_drops_seconds: float = 1.0,
        body_seconds: float = BODY_SECONDS,
    ) -> None:
        """Build the relay over ``store``.

        Args:
            store: The connection store (keys, regions, toggles, relay credentials).
            client: The client calls are handed to (default: one built from the options
                below, closed with the relay). Its ``on_full`` should be "raise".
            endpoint: Base URL instead of Segment's hosts (loopback http for tests).
            endpoints: The same per region.
            strict: Refuse calls whose names break the naming rules (400) instead of warning.
            spool_path: Keep accepted calls in this SQLite file until delivered (a 200
                then means "on disk").
            redis_url: Append accepted calls to this Redis queue (``SEGMENT_QUEUE_SECRET``);
                the fleet's workers deliver them and relays keep no state.
            max_queued_events: Bound of the client's queue: beyond it, calls get 429.
            flush_interval: Longest wait of a call before its batch is due (the client's
                option): longer merges more libraries' small batches into each request.
            flush_drops_seconds: How often the drop counters are written to the store.
            body_seconds: Longest wait for a whole request body (a slow sender gets 408).
        """
        self.store = store
        self.body_seconds = body_seconds
        self.owns_client = client is None
        self.client = client or Client(
            endpoint=endpoint,
            endpoints=endpoints,
            strict=strict,
            spool_path=spool_path,
            redis_url=redis_url,
            max_queued_events=max_queued_events,
            flush_interval=flush_interval,
            on_full="raise",
        )
        self.tenants = Tenants(self.client, store)
        self.keys = RelayKeys(store.engine)
        self._counts = [0, 0, 0, 0, 0]
        self._drops: dict[str, tuple[int, str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher = threading.Thread(
            target=self._flush_drops_loop, args=(flush_drops_seconds,), name="relay-drops", daemon=True
        )
        self._flusher.start()

    def __repr__(self) -> str:
        return f"Relay({self.store!r}, {self.client!r})"

    @property
    def router(self) -> APIRouter:
        """The relay's routes: ``POST /v1/track`` ... ``/v1/batch``, ``/v1/import``."""
        router = APIRouter(tags=["relay (Segment's HTTP API)"])
        for path, kind in RELAY_PATHS.items():
            what = "a batch of calls" if kind is None else f"one {kind} call"
            router.add_api_route(
                path,
                self._endpoint,
                methods=["POST"],
                summary=f"Relay {what} to the tenant's Segment source",
                description="Basic auth: a relay credential as the username (the write key of Segment's libraries).",
                response_model=None,
            )
        return router

    def stats(self) -> RelayStats:
        """Return the counters of this process."""
        with self._lock:
            return RelayStats(*self._counts)

    def close(self, timeout: float = 30.0) -> None:
        """Write the last drop counts; close the client when the relay built it.

        Args:
            timeout: Seconds the client may take to deliver what it holds; what is left
                then stays in the spool, or goes to the dead-letter log (Redis keeps its own).
        """
        self._stop.set()
        self._flusher.join(5)
        self._flush_drops()
        if self.owns_client:
            try:
                self.client.close(timeout)
            except DeliveryTimeout as late:
                log.error("relay: %s", late)

    # One request ---------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        kind = RELAY_PATHS[request.url.path]
        try:
            limit = spec.MAX_BATCH_BYTES if kind is None else spec.MAX_EVENT_BYTES
            raw = await _read_body(request, limit, self.body_seconds)
            status, answer = await run_in_threadpool(self.handle, kind, request.headers.get("authorization"), raw)
        except _Refused as refused:
            if refused.status == 401:
                self._count(4)
            body = {"success": False, "code": refused.code, "message": refused.message}
            return Response(json.dumps(body), refused.status, refused.headers, media_type="application/json")
        return Response(json.dumps(answer), status, media_type="application/json")

    def handle(self, kind: str | None, authorization: str | None, raw: bytes) -> tuple[int, dict[str, Any]]:
        """Check and accept the calls of one request body (decompressed); return the answer.

        Raises:
            _Refused: For an answer other than 200 or a per-call 400.
        """
        credential = _basic_user(authorization)  # checked before the body is parsed
        tenant = None if credential is None else self.keys.tenant_of(credential)
        payload = {} if credential is not None and tenant is None else _parse(raw)
        if credential is None and isinstance(payload.get("writeKey"), str):  # the API's other way
            tenant = self.keys.tenant_of(payload["writeKey"])
        if tenant is None:
            raise _Refused(
                401,
                "unauthorized",
                "unknown relay credential: send a credential from POST /v1/connections/{tenant}/relay-keys "
                "as the write key (Basic auth username)",
            )
        calls = _calls(kind, payload)
        try:
            handle = self.tenants.for_tenant(tenant)
        except NotConnected:
            return self._dropped(tenant, len(calls), "no Segment connection: the customer has not saved a write key")
        if not handle.enabled:
            return self._dropped(tenant, len(calls), "the connection is disabled")
        refused: list[dict[str, Any]] = []
        accepted = skipped = 0
        for index, (call_kind, call) in enumerate(calls):
            try:
                sent = getattr(handle, call_kind)(**_arguments(call_kind, call))
            except (QueueFull, QueueUnavailable, ClientClosed) as exc:
                self._count(0, accepted)
                status = 429 if isinstance(exc, QueueFull) else 503
                raise _Refused(
                    status,
                    "queue_full" if status == 429 else "unavailable",
                    f"the relay cannot take calls now ({type(exc).__name__}); retry after {RETRY_AFTER_SECONDS} s",
                    {"Retry-After": str(RETRY_AFTER_SECONDS)},
                ) from None
            except (EventRejected, _Refused, ValueError, TypeError) as exc:
                reason = exc.message if isinstance(exc, _Refused) else str(exc)
                refused.append({"index": index, "messageId": _message_id(call), "reason": reason[:300]})
                continue
            if sent is None:
                skipped += 1
            else:
                accepted += 1
        self._count(0, accepted)
        self._count(1, len(refused))
        self._count(2, skipped)
        if refused:
            first = refused[0]["reason"]
            return 400, {
                "success": False,
                "code": "invalid_calls",
                "message": f"{len(refused)} of {len(calls)} calls refused (the others were accepted): {first}",
                "refused": refused[:100],
            }
        return 200, {"success": True}

    # Counters ------------------------------------------------------------------------

    def _count(self, which: int, n: int = 1) -> None:
        if n:
            with self._lock:
                self._counts[which] += n

    def _dropped(self, tenant: str, calls: int, reason: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self._counts[3] += calls
            before = self._drops.get(tenant, (0, reason))[0]
            self._drops[tenant] = (before + calls, reason)
        return 200, {"success": True}

    def _flush_drops_loop(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self._flush_drops()
            except Exception:  # the database is away: keep the counts for the next try
                log.exception("relay: could not write drop counters")

    def _flush_drops(self) -> None:
        with self._lock:
            drops, self._drops = self._drops, {}
        if not drops:
            return
        try:
            self.keys.add_drops(drops)
        except BaseException:
            with self._lock:
                for tenant, (calls, reason) in drops.items():
                    self._drops[tenant] = (self._drops.get(tenant, (0, reason))[0] + calls, reason)
            raise


# Reading a request, bounded ----------------------------------------------------------


async def _read_body(request: Request, limit: int, seconds: float) -> bytes:
    """Read the body, gzip or not, refusing more than ``limit`` bytes or ``seconds`` of waiting."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise _Refused(400, "too_large", f"the body is over {limit} bytes, Segment's limit for this call")
    gzipped = request.headers.get("content-encoding", "").strip().lower() == "gzip"
    unzip = zlib.decompressobj(wbits=31) if gzipped else None
    parts: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(seconds):
            async for chunk in request.stream():
                if unzip is not None:
                    chunk = unzip.decompress(chunk, limit + 1 - size)
                    if unzip.unconsumed_tail:
                        size = limit + 1
                size += len(chunk)
                if size > limit:
                    raise _Refused(400, "too_large", f"the body is over {limit} bytes, Segment's limit for this call")
                parts.append(chunk)
    except TimeoutError:
        raise _Refused(408, "timeout", f"the body did not arrive within {seconds:g} s") from None
    except zlib.error:
        raise _Refused(400, "bad_gzip", "Content-Encoding is gzip but the body is not valid gzip") from None
    if unzip is not None and not unzip.eof:
        raise _Refused(400, "bad_gzip", "the gzip body ends early")
    return b"".join(parts)


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw)
    except RecursionError:
        raise _Refused(400, "too_deep", "the JSON body is nested too deeply") from None
    except UnicodeDecodeError:
        raise _Refused(400, "invalid_utf8", "the body is not UTF-8 JSON") from None
    except ValueError as exc:
        raise _Refused(400, "invalid_json", f"the body is not JSON: {str(exc)[:100]}") from None
    if not isinstance(payload, dict):
        raise _Refused(400, "invalid_json", "the body must be a JSON object")
    return payload


def _basic_user(authorization: str | None) -> str | None:
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def _calls(kind: str | None, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The request's calls as (type, Segment fields); a batch's top-level context and integrations merged in."""
    if kind is not None:
        return [(kind, payload)]
    batch = payload.get("batch")
    if not isinstance(batch, list):
        raise _Refused(400, "invalid_batch", 'a batch body is {"batch": [calls...]}')
    if len(batch) > spec.MAX_BATCH_EVENTS:
        raise _Refused(400, "too_many", f"{len(batch)} calls in one batch, over Segment's {spec.MAX_BATCH_EVENTS}")
    shared = {name: payload[name] for name in ("context", "integrations") if isinstance(payload.get(name), dict)}
    calls = []
    for item in batch:
        call = item if isinstance(item, dict) else {}
        for name, value in shared.items():
            if isinstance(call.get(name), dict):
                call[name] = {**value, **call[name]}
            elif name not in call:
                call[name] = value
        calls.append((str(call.get("type", "")), call))
    return calls


def _arguments(kind: str, call: dict[str, Any]) -> dict[str, Any]:
    """Segment's fields of one call as the :class:`Customer` call's keywords, type-checked."""
    if kind not in KINDS:
        raise _Refused(400, "invalid_type", f"type {kind[:20]!r} is not one of {sorted(KINDS)}")
    arguments: dict[str, Any] = {}
    for field, keyword in (*_OWN[kind].items(), *_COMMON.items()):
        value = call.get(field)
        if value is None:
            continue
        if field in _IDS:
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise _Refused(400, "invalid_field", f"{field} must be a string")
            value = str(value)
        elif field in _OBJECTS and not isinstance(value, dict):
            raise _Refused(400, "invalid_field", f"{field} must be an object")
        elif field in _STRINGS and not isinstance(value, str):
            raise _Refused(400, "invalid_field", f"{field} must be a string")
        arguments[keyword] = value
    if kind == "track" and "event" not in arguments:
        raise _Refused(400, "invalid_field", "track needs event (a string)")
    if kind == "group":
        arguments.setdefault("group_id", "")
    if kind == "alias":
        arguments.setdefault("previous_id", "")
        arguments.setdefault("user_id", None)
    return arguments


def _message_id(call: dict[str, Any]) -> str | None:
    value = call.get("messageId")
    return value[:100] if isinstance(value, str) else None


# Relay credentials: part of the connections API (bearer token) -------------------------

keys_router = APIRouter(prefix="/v1/connections", tags=["relay credentials"])


def _keys(request: Request, service: Any) -> RelayKeys:
    keys: RelayKeys | None = getattr(request.app.state, "relay_keys", None)
    if keys is None:
        keys = request.app.state.relay_keys = RelayKeys(service.store.engine, cache_seconds=0)
    return keys


@keys_router.post("/{tenant}/relay-keys", status_code=201, summary="Issue a relay credential for a tenant")
def issue_relay_key(tenant: str, request: Request, service: Service) -> dict[str, Any]:
    """Answer a new credential; its ``credential`` value is shown this once (stored hashed)."""
    return _keys(request, service).issue(_tenant(tenant)).to_json()


@keys_router.get("/{tenant}/relay-keys", summary="List a tenant's relay credentials and dropped calls")
def list_relay_keys(tenant: str, request: Request, service: Service) -> dict[str, Any]:
    """Answer the credentials (ids, never values) and the calls the relay answered but could not send."""
    keys = _keys(request, service)
    tenant = _tenant(tenant)
    return {"keys": [key.to_json() for key in keys.list(tenant)], "relay": keys.drops(tenant).to_json()}


@keys_router.delete("/{tenant}/relay-keys/{key_id}", status_code=204, summary="Revoke a relay credential")
def revoke_relay_key(tenant: str, key_id: str, request: Request, service: Service) -> Response:
    """Revoke it: relays refuse it (401) within a second."""
    if not _keys(request, service).revoke(_tenant(tenant), key_id):
        raise HTTPException(404, f"tenant {tenant!r} has no relay credential {key_id[:20]!r}")
    return Response(status_code=204)
