"""Turn one HTTP API request into Segment's answer and the debugger's event records.

This is the HTTP API's behaviour without the HTTP: size limits, gzip, JSON, write keys,
batch expansion. It answers as Segment does: 400 for invalid JSON and over-size bodies,
401 for a write key the debugger was not told to accept, and 200 for everything else,
including calls Segment would drop later (those show up as ``fail`` in the page).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from .. import _segment
from ._keys import Credentials, WriteKeys, credentials, mask
from ._validate import CALL_TYPES, FAIL, WARN, Reason, check_event, reason, status_of


class Headers(Protocol):
    """Request headers, looked up case-insensitively (as ``http.server`` gives them)."""

    def get(self, name: str, /) -> str | None:
        """Return the header's value, or None."""


PATHS = tuple(f"/v1/{call}" for call in (*CALL_TYPES, "batch"))


@dataclass
class Outcome:
    """Segment's answer to one request, and the events it carried.

    Attributes:
        status: The HTTP status code.
        body: The JSON answer (``{"success": true}`` or ``{"code", "message"}``).
        records: One record per event, ready for the store; empty unless accepted.
    """

    status: int
    body: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)


def _error(status: int, code: str, message: str) -> Outcome:
    # analytics-python reads {"code": ..., "message": ...} from error answers.
    return Outcome(status, {"code": code, "message": message})


def decode_body(raw: bytes, encoding: str | None, limit: int) -> bytes | Outcome:
    """Undo ``Content-Encoding: gzip`` and enforce the size limit on the JSON itself.

    Args:
        raw: The request body as received.
        encoding: The ``Content-Encoding`` header, if any.
        limit: The largest JSON body allowed, in bytes.

    Returns:
        The JSON bytes, or the 400 outcome to answer with.
    """
    encoding = (encoding or "identity").strip().lower()
    if encoding == "gzip":
        # Stop one byte past the limit, so a small gzip bomb cannot fill the memory.
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, limit + 1)
        except zlib.error as exc:
            return _error(400, "invalid_request", f"the gzip body cannot be read: {exc}")
    elif encoding != "identity":
        return _error(400, "invalid_request", f"Content-Encoding {encoding!r} is not supported")
    if len(raw) > limit:
        return _error(400, "request_too_large", f"the body is over {limit} bytes")
    return raw


def size_limit(path: str) -> int:
    """Return the HTTP API's body limit for ``path`` (per call, or per batch)."""
    limits = _segment.limits()
    return limits["max_batch_bytes"] if path == "/v1/batch" else limits["max_event_bytes"]


def ingest(
    path: str,
    headers: Headers,
    raw: bytes,
    *,
    write_keys: WriteKeys,
    integration: str | None = None,
) -> Outcome:
    """Answer one request to an HTTP API path.

    Args:
        path: One of :data:`PATHS`.
        headers: The request headers, looked up case-insensitively.
        raw: The request body, possibly gzip-compressed.
        write_keys: The accepted write keys; empty accepts any.
        integration: The slug every ``context.integration.name`` must equal, if any.

    Returns:
        The outcome: status, JSON answer and the records to store.
    """
    decoded = decode_body(raw, headers.get("Content-Encoding"), size_limit(path))
    if isinstance(decoded, Outcome):
        return decoded
    try:
        body = json.loads(decoded)
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, "invalid_request", f"the body is not valid JSON: {exc}")
    if not isinstance(body, dict):
        return _error(400, "invalid_request", "the body must be a JSON object")

    creds = credentials(headers.get("Authorization"), body.get("writeKey"))
    if write_keys and not write_keys.accepts(creds.key):
        shown = f"write key {creds.masked!r}" if creds.key else "no write key"
        return _error(401, "unauthorized", f"{shown} is not one this debugger accepts")

    shared = _request_reasons(headers, creds)
    if path == "/v1/batch":
        items, shared = _batch_items(body, shared)
    else:
        items = [{**body, "type": path.rsplit("/", 1)[1]}]
    received = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    # Segment's SDKs number their retries; showing it lets partners watch their backoff.
    retry = headers.get("X-Retry-Count") or ""
    records = [
        _record(item, path, creds, shared, received, integration) for item in items
    ]  # fmt: skip
    for record in records:
        record["retry"] = int(retry) if retry.isdigit() else 0
    return Outcome(200, {"success": True}, records)


def _request_reasons(headers: Headers, creds: Credentials) -> list[Reason]:
    """Reasons that come from the request itself and apply to each of its events."""
    reasons: list[Reason] = []
    if creds.key is None:
        reasons.append(
            reason(FAIL, "no write key: send Authorization: Basic base64('<writeKey>:')")
        )
    elif creds.problem:
        reasons.append(reason(WARN, creds.problem))
    content_type = headers.get("Content-Type") or ""
    if content_type.split(";")[0].strip().lower() != "application/json":
        reasons.append(reason(WARN, "Content-Type must be application/json"))
    return reasons


def _batch_items(
    body: dict[str, Any], shared: list[Reason]
) -> tuple[list[dict[str, Any]], list[Reason]]:
    """Expand a batch, merging its top-level ``context`` and ``integrations`` into items."""
    batch = body.get("batch")
    if not isinstance(batch, list):
        return [], [*shared, reason(FAIL, "a batch body needs a 'batch' list")]
    limit = _segment.limits()["max_batch_events"]
    if len(batch) > limit:
        shared = [
            *shared,
            reason(FAIL, f"the batch has {len(batch)} events, over {limit}: Segment answers "
                   "200 but drops them; split it"),
        ]  # fmt: skip
    top_context = body.get("context") if isinstance(body.get("context"), dict) else {}
    top_integrations = body.get("integrations")
    items: list[dict[str, Any]] = []
    for item in batch:
        if not isinstance(item, dict):
            item = {"type": None, "value": item}
        if top_context:
            own = item.get("context")
            item_context = own if isinstance(own, dict) else {}
            item = {**item, "context": {**top_context, **item_context}}
        if isinstance(top_integrations, dict) and "integrations" not in item:
            item = {**item, "integrations": top_integrations}
        items.append(item)
    return items, shared


def _record(
    item: dict[str, Any],
    path: str,
    creds: Credentials,
    shared: list[Reason],
    received: str,
    integration: str | None,
) -> dict[str, Any]:
    """Build the stored record of one event; the full write key never enters it."""
    reasons = [*shared, *check_event(item, integration=integration)]
    if path == "/v1/batch":
        limit = _segment.limits()["max_event_bytes"]
        size = len(json.dumps(item, separators=(",", ":")))
        if size > limit:
            reasons.append(reason(FAIL, f"the event is {size} bytes, over {limit} per event"))
    if "writeKey" in item:
        item = {**item, "writeKey": mask(str(item["writeKey"]))}
    call = item.get("type")
    name = item.get("event") if call == "track" else item.get("name")
    reasons.sort(key=lambda r: r["level"] != FAIL)
    return {
        "type": call if isinstance(call, str) else None,
        "name": name if isinstance(name, str) else None,
        "write_key": creds.masked,
        "status": status_of(reasons),
        "reasons": reasons,
        "path": path,
        "received_at": received,
        "payload": item,
    }
