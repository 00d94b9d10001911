"""The connections API for the partner's own backend: ``/v1/connections``, bearer token.

Every route needs ``Authorization: Bearer $SEGMENT_SERVICE_TOKEN`` (compared in constant
time; 401 otherwise). Answers never hold a write key: its last 4 characters
(``key_hint``) and a keyed fingerprint stand for it. A value that breaks a rule is a 422
whose ``detail`` names the field, the problem and the fix.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from ._rules import InvalidSetting, check_tenant
from ._state import ServiceState, state
from .links import DEFAULT_TTL, MAX_TTL, settings_link
from .store import Connection

__all__ = ["invalid_setting_answer", "request_validation_answer", "router"]

_bearer = HTTPBearer(auto_error=False, description="SEGMENT_SERVICE_TOKEN")


def _authorized(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> ServiceState:
    service = state(request)
    given = b"" if credentials is None else credentials.credentials.encode()
    if not hmac.compare_digest(given, service.service_token.encode()):
        raise HTTPException(
            401,
            "send Authorization: Bearer <SEGMENT_SERVICE_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return service


Service = Annotated[ServiceState, Depends(_authorized)]
router = APIRouter(prefix="/v1/connections", tags=["connections"])


class ConnectionIn(BaseModel):
    """A connection as the partner's backend sets it."""

    model_config = ConfigDict(extra="forbid")

    write_key: str = Field(description="the customer's Segment write key (never returned)")
    region: str = Field(description="`us`, or `eu` when the source supports it")
    events: list[str] | None = Field(None, description="the turned-on events (default: all of the source's)")
    enabled: bool = Field(True, description="false keeps the connection but sends nothing")


def _tenant(tenant: str) -> str:
    try:
        return check_tenant(tenant)
    except InvalidSetting as exc:
        raise _unprocessable(exc, "path") from None


def _unprocessable(exc: InvalidSetting, where: str = "body") -> HTTPException:
    return HTTPException(422, [{"loc": [where, exc.field], "field": exc.field, "msg": exc.problem, "fix": exc.fix}])


def _found(connection: Connection | None, tenant: str) -> Connection:
    if connection is None:
        raise HTTPException(404, f"tenant {tenant!r} has no connection")
    return connection


@router.put("/{tenant}", summary="Create or replace a tenant's connection")
def put_connection(tenant: str, body: ConnectionIn, service: Service) -> dict[str, Any]:
    """Store the write key (sealed), region, events and enabled flag of a tenant."""
    tenant = _tenant(tenant)
    try:
        connection = service.store.put(
            tenant,
            write_key=body.write_key,
            region=body.region,
            events=body.events,
            enabled=body.enabled,
        )
    except InvalidSetting as exc:
        raise _unprocessable(exc) from None
    return connection.to_json()


@router.get("/{tenant}", summary="A tenant's connection, without its key")
def get_connection(tenant: str, service: Service) -> dict[str, Any]:
    """Return the connection: region, events, enabled, key hint and fingerprint, status, last outcome."""
    tenant = _tenant(tenant)
    return _found(service.store.get(tenant), tenant).to_json()


@router.get("", summary="Every connection, a page at a time")
def list_connections(
    service: Service,
    after: Annotated[str | None, Query(max_length=128, description="the last tenant of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Return up to ``limit`` connections in tenant order; ``next`` is the ``after`` of the next page."""
    page = service.store.page(after=after, limit=limit)
    return {
        "connections": [c.to_json() for c in page],
        "next": page[-1].tenant if len(page) == limit else None,
    }


@router.delete("/{tenant}", status_code=204, summary="Remove a tenant's connection and its key")
def delete_connection(tenant: str, service: Service) -> Response:
    """Delete the connection; the key is gone for good."""
    tenant = _tenant(tenant)
    if not service.store.delete(tenant):
        raise HTTPException(404, f"tenant {tenant!r} has no connection")
    return Response(status_code=204)


@router.post("/{tenant}/test", summary="Send one test event with the stored key")
def test_connection(tenant: str, service: Service) -> dict[str, Any]:
    """Send a track call to the tenant's region with its key; answer what Segment answered."""
    tenant = _tenant(tenant)
    creds = service.store.credentials(tenant)
    if creds is None:
        raise HTTPException(404, f"tenant {tenant!r} has no connection")
    result = service.sender.send(creds)
    service.store.record_outcome(tenant, result.status, result.reason)
    return result.to_json()


@router.post("/{tenant}/settings-link", summary="A signed, expiring link to the tenant's settings page")
def make_settings_link(
    tenant: str,
    request: Request,
    service: Service,
    ttl: Annotated[int, Query(ge=1, le=MAX_TTL, description="seconds the link works")] = DEFAULT_TTL,
) -> dict[str, Any]:
    """Return the URL to redirect the customer to (or to embed)."""
    tenant = _tenant(tenant)
    return {
        "url": settings_link(tenant, str(request.base_url), ttl, secret=service.store.secret),
        "ttl": ttl,
    }


def request_validation_answer(_request: Request, exc: Exception) -> JSONResponse:
    """Answer a malformed body with the fields and fixes, never echoing values (a key may be one)."""
    assert isinstance(exc, RequestValidationError)
    detail = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        field = loc[-1] if loc else "body"
        detail.append(
            {
                "loc": loc,
                "field": field,
                "msg": error.get("msg", "invalid"),
                "fix": _FIXES.get(field, ""),
            }
        )
    return JSONResponse({"detail": detail}, status_code=422)


def invalid_setting_answer(_request: Request, exc: Exception) -> JSONResponse:
    """Answer an :class:`InvalidSetting` raised past a route as a 422."""
    assert isinstance(exc, InvalidSetting)
    return JSONResponse(
        {"detail": [{"loc": ["body", exc.field], "field": exc.field, "msg": exc.problem, "fix": exc.fix}]},
        status_code=422,
    )


_FIXES = {
    "write_key": "a string: the write key of the source in the customer's Segment workspace",
    "region": "a string: us, or eu when the source supports it",
    "events": "a list of the source's event names, or leave it out for all of them",
    "enabled": "true or false",
    "body": 'a JSON object: {"write_key": "...", "region": "us"}',
}
