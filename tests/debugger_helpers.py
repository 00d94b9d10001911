"""Helpers for the debugger tests: real HTTP on 127.0.0.1, through the standard library."""

from __future__ import annotations

import base64
import contextlib
import gzip
import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from generator._debugger import DebuggerServer

WRITE_KEY = "wk_test_4f1d9c2be7a84a0e"
SLUG = "acme-mail"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    json: Any


def basic(key: str, colon: bool = True) -> str:
    return "Basic " + base64.b64encode(f"{key}{':' if colon else ''}".encode()).decode()


def good_event(**overrides: Any) -> dict[str, Any]:
    """A track call that passes every check."""
    event: dict[str, Any] = {
        "userId": "user-1",
        "event": "Email Opened",
        "properties": {"email_id": "e-1", "campaign_name": "Spring"},
        "context": {"integration": {"name": SLUG, "version": "1.0.0"}},
        "timestamp": "2025-01-02T03:04:05.678Z",
        "messageId": "msg-1",
    }
    event.update(overrides)
    return {k: v for k, v in event.items() if v is not None}


@contextlib.contextmanager
def running(**kwargs: Any) -> Iterator[DebuggerServer]:
    """A debugger on a free loopback port, stopped afterwards."""
    kwargs.setdefault("port", 0)
    with DebuggerServer(**kwargs) as debugger:
        yield debugger


def request(
    url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> Answer:
    """Send one request; reuse ``conn`` when given (keep-alive), else open and close one."""
    own = conn is None
    if conn is None:
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        content_type = response.getheader("Content-Type") or ""
        parsed = json.loads(data) if "json" in content_type and data else data
        return Answer(response.status, dict(response.getheaders()), parsed)
    finally:
        if own:
            conn.close()


def post(
    url: str,
    path: str,
    payload: Any = None,
    *,
    key: str | None = WRITE_KEY,
    raw: bytes | None = None,
    compress: bool = False,
    headers: dict[str, str] | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> Answer:
    """POST JSON (or ``raw`` bytes) to the debugger, with Basic auth when ``key`` is set."""
    body = raw if raw is not None else json.dumps(payload).encode()
    sent = {"Content-Type": "application/json"}
    if key is not None:
        sent["Authorization"] = basic(key)
    if compress:
        body = gzip.compress(body)
        sent["Content-Encoding"] = "gzip"
    sent.update(headers or {})
    return request(url, "POST", path, body, sent, conn)


def events(url: str, **query: Any) -> dict[str, Any]:
    """GET /api/events with optional filters."""
    path = "/api/events" + (f"?{urlencode(query)}" if query else "")
    answer = request(url, "GET", path)
    assert answer.status == 200
    result: dict[str, Any] = answer.json
    return result


def only_event(url: str) -> dict[str, Any]:
    """The single stored event."""
    found = events(url)["events"]
    assert len(found) == 1, found
    return found[0]


def messages(record: dict[str, Any], level: str | None = None) -> list[str]:
    return [r["message"] for r in record["reasons"] if level is None or r["level"] == level]
