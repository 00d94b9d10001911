"""The service as one ASGI app: the connections API, the settings page, their static files.

    app = create_app()                  # reads SEGMENT_* from the environment
    uvicorn.run(app, host="127.0.0.1")  # or: python -m <package> serve

Mount it in your own FastAPI/Starlette app with ``parent.mount("/segment", app)``.
Routers read the shared parts from ``app.state.service``, so later routes (a relay)
join the same app with ``app.include_router(...)``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__, spec
from . import api, pages
from ._errors import ServiceError
from ._rules import InvalidSetting
from ._state import ServiceState
from .store import ConnectionStore

if TYPE_CHECKING:
    from .relay import Relay

__all__ = ["MAX_BODY_BYTES", "SERVICE_TOKEN_ENV", "ServiceConfigError", "create_app"]

SERVICE_TOKEN_ENV = "SEGMENT_SERVICE_TOKEN"
MAX_BODY_BYTES = 64 * 1024  # a connection is a few hundred bytes; the page's form a few KB


class _HideLinkTokens(logging.Filter):
    """Keep settings-link tokens out of uvicorn's access log (a token opens a customer's page)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) > 2 and "link=" in str(record.args[2]):
            record.args = (*record.args[:2], _LINK_TOKEN.sub("link=<hidden>", str(record.args[2])), *record.args[3:])
        return True


_LINK_TOKEN = re.compile(r"link=[^&\s]*")
_ACCESS_FILTER = _HideLinkTokens()


class ServiceConfigError(ServiceError, ValueError):
    """The service cannot start as configured; the message says what to set."""


def checked_token(service_token: str | None = None) -> str:
    """Return the API's bearer token (default: ``$SEGMENT_SERVICE_TOKEN``), or raise :class:`ServiceConfigError`."""
    token = service_token if service_token is not None else os.environ.get(SERVICE_TOKEN_ENV, "")
    if len(token) < 16:
        raise ServiceConfigError(
            f"{SERVICE_TOKEN_ENV} must be set to a random token of at least 16 characters "
            "(the connections API's bearer token), e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`"
        )
    return token


def create_app(
    store: ConnectionStore | None = None,
    *,
    service_token: str | None = None,
    endpoint: str | None = None,
    endpoints: Mapping[str, str] | None = None,
    frame_ancestors: str = "'self'",
    test_timeout: float = 10.0,
    relay: Relay | None = None,
    settings: bool = True,
) -> FastAPI:
    """Build the service.

    Args:
        store: The connection store (default: from ``SEGMENT_DATABASE_URL`` and ``SEGMENT_SETTINGS_SECRET``).
        service_token: The API's bearer token (default: ``$SEGMENT_SERVICE_TOKEN``; at least 16 characters).
        endpoint: Base URL for test events instead of Segment's hosts (loopback http for tests).
        endpoints: The same per region (``{"us": ..., "eu": ...}``).
        frame_ancestors: Who may embed the settings page in a frame (CSP ``frame-ancestors``),
            e.g. ``"https://app.example.com"``; embedding elsewhere than ``'self'`` needs https
            (the session cookie is then ``SameSite=None; Secure``).
        test_timeout: Seconds a test event may take, retries included.
        relay: Serve Segment's HTTP API for partners' libraries too (``/v1/track``...,
            :class:`~.relay.Relay`; closed with the app).
        settings: Serve the connections API and the settings page (False: the relay alone).

    Raises:
        ServiceConfigError: When the token is missing or short.
        SettingsSecretError: When the store is built here and the secret is missing or malformed.
        StoreNotReady: When the store is built here and the schema needs ``db upgrade``.
    """
    token = checked_token(service_token) if settings else ""
    service = ServiceState(
        store=store or ConnectionStore(),
        owns_store=store is None,
        service_token=token,
        endpoint=endpoint,
        endpoints=endpoints,
        frame_ancestors=frame_ancestors,
        test_timeout=test_timeout,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if relay is not None:
            relay.close()
        service.close()

    app = FastAPI(
        title=f"{spec.INTEGRATION_NAME}: Segment connections",
        version=__version__,
        description="Connections of the partner's customers to Segment: the API for the partner's backend.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_exception_handler(RequestValidationError, api.request_validation_answer)
    app.add_exception_handler(InvalidSetting, api.invalid_setting_answer)
    if settings:
        from .relay import keys_router

        app.include_router(api.router)
        app.include_router(keys_router)
        app.include_router(pages.router)
        app.mount("/settings-static", StaticFiles(directory=pages.STATIC_DIR), name="settings-static")
    unbounded: frozenset[str] = frozenset()
    if relay is not None:
        from .relay import RELAY_PATHS

        app.include_router(relay.router)
        unbounded = frozenset(RELAY_PATHS)  # the relay bounds its bodies itself (500 KB, gzip, time)
    app.add_middleware(_Guard, frame_ancestors=frame_ancestors, unbounded=unbounded)
    logging.getLogger("uvicorn.access").addFilter(_ACCESS_FILTER)  # the same object: added once
    return app


class _Guard:
    """Bound request bodies, and set the security headers (CSP on everything but the API docs)."""

    def __init__(self, app: ASGIApp, frame_ancestors: str, unbounded: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.unbounded = unbounded  # paths that bound their bodies themselves (the relay's)
        self.csp = (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            f"form-action 'self'; base-uri 'none'; frame-ancestors {frame_ancestors}"
        ).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"0")
        unbounded = scope["path"] in self.unbounded
        if not unbounded and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            await _too_large(send)
            return
        docs = scope["path"] in ("/docs", "/redoc", "/docs/oauth2-redirect")
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES and not unbounded:  # a chunked body that did not declare its size
                raise _BodyTooLarge
            return message

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store"),
                ]
                if not docs:  # Swagger UI needs its CDN and inline script; it shows no customer data
                    extra.append((b"content-security-policy", self.csp))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, bounded_receive, secured_send)
        except _BodyTooLarge:
            await _too_large(send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Callable[[Message], Awaitable[None]]) -> None:
    body = b'{"detail": "request body over %d bytes"}' % MAX_BODY_BYTES
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
