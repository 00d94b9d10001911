"""The settings page a partner's customer opens through a signed link: ``/settings/{tenant}``.

``GET /settings/<tenant>?link=<token>`` checks the link (signed, unexpired, this
tenant's), keeps it in an HttpOnly cookie scoped to this tenant's path and redirects to
the clean URL, so the token leaves the address bar. Every form carries a CSRF token
derived from the link; every answer has a Content-Security-Policy that allows scripts
and styles from this service's static files only (no inline script), and the template
escapes every value (Jinja2 autoescape). A saved write key is never shown again: its
last 4 characters stand for it.
"""

from __future__ import annotations

import hmac
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from .. import spec
from ._families import FAMILIES
from ._rules import ALL_EVENTS, InvalidSetting, check_tenant
from ._state import ServiceState, state
from .links import LinkRefused, Session, read_token
from .store import Connection
from .testsend import DEBUGGER_HINT, TEST_EVENT

__all__ = ["LABELS", "STATIC_DIR", "router"]

STATIC_DIR = Path(__file__).with_name("static")
COOKIE = "segment_settings"
# The page's labels, as the Segment docs page's "Getting started" quotes them.
LABELS = {
    "write_key": "Segment write key",
    "region": "Region",
    "save": "Save",
    "test": "Send test event",
    "disconnect": "Disconnect",
}
REGION_NAMES = {"us": "US (Oregon)", "eu": "EU (Dublin)"}
_DONE = {
    "saved": "Saved.",
    "disconnected": "Disconnected: the write key is deleted. Paste one again to reconnect.",
}

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    # Where the app is mounted in a partner's app ("" when it runs alone).
    return str(request.scope.get("root_path", "")).rstrip("/")


def _page_url(request: Request, tenant: str) -> str:
    return f"{_root(request)}/settings/{quote(tenant, safe=':')}"


def _error_page(request: Request, message: str, status: int) -> HTMLResponse:
    html = _templates.get_template("refused.html").render(
        message=message, name=spec.INTEGRATION_NAME, static=f"{_root(request)}/settings-static"
    )
    return HTMLResponse(html, status_code=status)


def _session(request: Request, tenant: str) -> Session:
    token = request.cookies.get(COOKIE)
    if not token:
        raise LinkRefused(
            "This page opens from a settings link. Open the Segment settings again from the app you came from."
        )
    return read_token(state(request).store.secret, token, tenant)


def _render(
    request: Request,
    service: ServiceState,
    session: Session,
    connection: Connection | None,
    *,
    done: str | None = None,
    error: InvalidSetting | None = None,
    status: int = 200,
) -> HTMLResponse:
    events = set(connection.events) if connection else set(ALL_EVENTS)
    html = _templates.get_template("settings.html").render(
        name=spec.INTEGRATION_NAME,
        tenant=session.tenant,
        action=_page_url(request, session.tenant),
        static=f"{_root(request)}/settings-static",
        csrf=session.csrf,
        labels=LABELS,
        connection=connection,
        regions=[(key, REGION_NAMES.get(key, key.upper())) for key in spec.SUPPORTED_REGIONS],
        region=connection.region if connection else spec.SUPPORTED_REGIONS[0],
        families=[(title, [(event, event in events) for event in names]) for _key, title, names in FAMILIES],
        enabled=connection.enabled if connection else True,
        done=_DONE.get(done or ""),
        tested=done == "tested",
        test_event=TEST_EVENT,
        debugger_hint=DEBUGGER_HINT,
        error=error,
    )
    return HTMLResponse(html, status_code=status)


def _after_post(request: Request, tenant: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{_page_url(request, tenant)}?done={done}", status_code=303)


async def _form(request: Request, session: Session) -> Any:
    form = await request.form(max_files=0, max_fields=200, max_part_size=64 * 1024)
    given = form.get("csrf")
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), session.csrf.encode()):
        raise LinkRefused("This form expired or did not come from this page: reload the page and try again.")
    return form


@router.get("/settings/{tenant}")
async def settings_page(request: Request, tenant: str) -> Response:
    """Show a tenant's settings; with ``?link=`` first check the link and open a session."""
    try:
        check_tenant(tenant)
        link = request.query_params.get("link")
        if link is not None:
            session = read_token(state(request).store.secret, link, tenant)
            response: Response = RedirectResponse(_page_url(request, tenant), status_code=303)
            response.set_cookie(
                COOKIE,
                link,
                max_age=max(1, int(session.expires - time.time())),
                path=_page_url(request, tenant),
                httponly=True,
                secure=request.url.scheme == "https",
                samesite="lax" if state(request).frame_ancestors in ("'self'", "'none'") else "none",
            )
            return response
        session = _session(request, tenant)
    except InvalidSetting as exc:
        return _error_page(request, str(exc), 404)
    except LinkRefused as exc:
        return _error_page(request, str(exc), exc.status)
    service = state(request)
    connection = await run_in_threadpool(service.store.get, tenant)
    return _render(request, service, session, connection, done=request.query_params.get("done"))


@router.post("/settings/{tenant}")
async def save_settings(request: Request, tenant: str) -> Response:
    """Save the form: a new key (optional once one is saved), region, events, enabled."""
    try:
        check_tenant(tenant)
        session = _session(request, tenant)
        form = await _form(request, session)
    except (InvalidSetting, LinkRefused) as exc:
        return _error_page(request, str(exc), getattr(exc, "status", 404))
    service = state(request)
    key = str(form.get("write_key") or "")
    try:
        await run_in_threadpool(
            lambda: service.store.put(
                tenant,
                write_key=key or None,
                region=str(form.get("region") or ""),
                events=[str(e) for e in form.getlist("events")],
                enabled=form.get("enabled") == "on",
            )
        )
    except InvalidSetting as exc:
        connection = await run_in_threadpool(service.store.get, tenant)
        return _render(request, service, session, connection, error=exc, status=422)
    return _after_post(request, tenant, "saved")


@router.post("/settings/{tenant}/test")
async def send_test(request: Request, tenant: str) -> Response:
    """Send the test event; the page shows Segment's answer as the connection's last outcome."""
    try:
        check_tenant(tenant)
        session = _session(request, tenant)
        await _form(request, session)
    except (InvalidSetting, LinkRefused) as exc:
        return _error_page(request, str(exc), getattr(exc, "status", 404))
    service = state(request)

    def run() -> None:
        creds = service.store.credentials(tenant)
        if creds is not None:
            result = service.sender.send(creds)
            service.store.record_outcome(tenant, result.status, result.reason)

    await run_in_threadpool(run)
    return _after_post(request, tenant, "tested")


@router.post("/settings/{tenant}/disconnect")
async def disconnect(request: Request, tenant: str) -> Response:
    """Delete the connection and its key."""
    try:
        check_tenant(tenant)
        session = _session(request, tenant)
        await _form(request, session)
    except (InvalidSetting, LinkRefused) as exc:
        return _error_page(request, str(exc), getattr(exc, "status", 404))
    await run_in_threadpool(state(request).store.delete, tenant)
    return _after_post(request, tenant, "disconnected")
