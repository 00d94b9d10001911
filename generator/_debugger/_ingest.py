"""Turn one HTTP API request into Segment's answer and the debugger's event records.

This is the HTTP API's behaviour without the HTTP: size limits, gzip, JSON, write keys,
batch expansion. It answers as Segment does (HTTP API docs, "Errors" and "Max request
size"): 400 for invalid JSON and over-size bodies, including one event over 32 KB inside
a batch, and 200 for everything else, including calls Segment would drop later (those
show up as ``fail`` in the page) and write keys the debugger was not told about (Segment
does not check keys when it takes a call in; they show up as ``warn``). Only with
``strict_keys`` does an unknown key get a 401.

Two bounds are the debugger's own, not Segment's: JSON nested deeper than
:data:`MAX_DEPTH` levels is refused with a 400 (it could not be encoded again for the
page), and ``X-Retry-Count`` is read only when it is a small number.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .. import _segment
from .._write_key import mask
from ._keys import Credentials, WriteKeys, credentials
from ._store import PAYLOAD_JSON
from ._validate import CALL_TYPES, FAIL, WARN, Reason, check_event, reason, status_of


class Headers(Protocol):
    """Request headers, looked up case-insensitively (as ``http.server`` gives them)."""

    def get(self, name: str, /) -> str | None:
        """Return the header's value, or None."""


PATHS = tuple(f"/v1/{call}" for call in (*CALL_TYPES, "batch"))
# The calls /v1/batch documents (HTTP API docs, "Batch"); alias is not among them,
# although analytics-python sends it that way, so it is a warning, not a failure.
BATCH_CALLS = ("identify", "group", "track", "page", "screen")
# Ours, not Segment's: real events nest a few levels; a thousand breaks re-encoding.
MAX_DEPTH = 64
_RETRY_COUNT = re.compile(r"[0-9]{1,6}")
_NOT_BRACKETS_OR_QUOTES = bytes(sorted(set(range(256)) - set(b'"[]{}')))
_ALIAS_IN_BATCH: list[Reason] = [
    reason(WARN, f"alias is not a call /v1/batch lists ({', '.join(BATCH_CALLS)}): "
           "send it to /v1/alias")
]  # fmt: skip


# One event of a request: the call, its own reasons, and its JSON text if unchanged.
_Item = tuple[dict[str, Any], list[Reason], str | None]


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


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Tell whether UTF-8 JSON ``raw`` nests objects and arrays more than ``limit`` deep.

    It reads only the brackets outside strings, with bytes methods that run in C: far
    cheaper than walking the parsed value (UTF-8 never puts these ASCII bytes inside a
    multi-byte character), and it never recurses, so a deep value cannot exhaust the
    stack.
    """
    # Drop escaped backslashes, then escaped quotes (pairs, left to right, as JSON reads
    # them): each quote left opens or closes a string, so every other piece is outside.
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    pieces = unescaped.translate(None, _NOT_BRACKETS_OR_QUOTES).split(b'"')
    brackets = b"".join(pieces[::2])
    if len(brackets) <= 2 * limit:  # too few containers to nest that deep
        return False
    depth = 0
    for char in brackets:
        depth += 1 if char in b"[{" else -1
        if depth > limit:
            return True
    return False


def _as_utf8(raw: bytes) -> bytes:
    """JSON bytes in UTF-8; json.loads also reads UTF-16 and UTF-32, told by the first bytes."""
    encoding = json.detect_encoding(raw)
    if encoding.startswith("utf-8"):
        return raw
    return raw.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")


def retry_count(value: str | None) -> tuple[int, list[Reason]]:
    """Read ``X-Retry-Count`` (Segment's SDKs number their retries); bounded, never raises."""
    if value is None:
        return 0, []
    if _RETRY_COUNT.fullmatch(value):
        return int(value), []
    shown = value[:20] + ("…" if len(value) > 20 else "")
    return 0, [reason(WARN, f"X-Retry-Count {shown!r} is not a number of retries; send 1, 2, ...")]


def ingest(
    path: str,
    headers: Headers,
    raw: bytes,
    *,
    write_keys: WriteKeys,
    integration: str | None = None,
    strict_keys: bool = False,
) -> Outcome:
    """Answer one request to an HTTP API path.

    Args:
        path: One of :data:`PATHS`.
        headers: The request headers, looked up case-insensitively.
        raw: The request body, possibly gzip-compressed.
        write_keys: The write keys the debugger was told about; empty means any.
        integration: The slug every ``context.integration.name`` must equal, if any.
        strict_keys: Answer 401 to a key not in ``write_keys`` (Segment answers 200).

    Returns:
        The outcome: status, JSON answer and the records to store.
    """
    decoded = decode_body(raw, headers.get("Content-Encoding"), size_limit(path))
    if isinstance(decoded, Outcome):
        return decoded
    try:
        body = json.loads(decoded)
    except RecursionError:
        body = None  # nested far too deep for the parser: the check below says so
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, "invalid_request", f"the body is not valid JSON: {exc}")
    if too_deep(_as_utf8(decoded)):
        return _error(400, "invalid_request",
                      f"the JSON is nested over {MAX_DEPTH} levels deep; flatten it")  # fmt: skip
    if not isinstance(body, dict):
        return _error(400, "invalid_request", "the body must be a JSON object")

    creds = credentials(headers.get("Authorization"), body.get("writeKey"))
    known = write_keys.accepts(creds.key) if write_keys else None
    if strict_keys and known is False:
        shown = f"write key {creds.masked!r}" if creds.key else "no write key"
        return _error(401, "unauthorized", f"{shown} is not one this debugger accepts")

    shared = _request_reasons(headers, creds, known)
    if path == "/v1/batch":
        batch = _batch_items(body, shared)
        if isinstance(batch, Outcome):
            return batch
        items, shared = batch
    else:
        items = [({**body, "type": path.rsplit("/", 1)[1]}, [], None)]
    retry, retry_reasons = retry_count(headers.get("X-Retry-Count"))
    shared = [*shared, *retry_reasons]
    received = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    records = [
        _record(item, path, creds, [*shared, *own], received, integration, text)
        for item, own, text in items
    ]  # fmt: skip
    for record in records:
        record["retry"] = retry
        record["key_known"] = known
    return Outcome(200, {"success": True}, records)


def _request_reasons(headers: Headers, creds: Credentials, known: bool | None) -> list[Reason]:
    """Reasons that come from the request itself and apply to each of its events."""
    reasons: list[Reason] = []
    if creds.key is None:
        reasons.append(
            reason(FAIL, "no write key: send Authorization: Basic base64('<writeKey>:')")
        )
    else:
        if creds.problem:
            reasons.append(reason(WARN, creds.problem))
        if creds.source == "body":
            # The HTTP API takes a body writeKey, but the partner guide requires the header
            # (partners/sources.md, "writeKey"); check's client.auth asks for it too.
            reasons.append(reason(WARN, "the write key is only in the body: Segment's partner "
                                  "guide requires it in the header; send Authorization: "
                                  "Basic base64('<writeKey>:')"))  # fmt: skip
        if known is False:
            reasons.append(
                reason(
                    WARN,
                    f"write key {creds.masked!r} is not one this debugger "
                    "was told about (--write-key): Segment answers 200 to any "
                    "key, and its events go to whichever source owns it",
                )
            )
    content_type = headers.get("Content-Type") or ""
    if content_type.split(";")[0].strip().lower() != "application/json":
        reasons.append(reason(WARN, "Content-Type must be application/json"))
    return reasons


def _batch_items(
    body: dict[str, Any], shared: list[Reason]
) -> tuple[list[_Item], list[Reason]] | Outcome:
    """Expand a batch, merging its top-level ``context`` and ``integrations`` into items.

    Returns:
        Each item with its own reasons and its JSON text (when the merge left it as it
        was), and the reasons shared by all of them; or the 400 outcome when an item is
        over the per-event size limit.
    """
    batch = body.get("batch")
    if not isinstance(batch, list):
        return [], [*shared, reason(FAIL, "a batch body needs a 'batch' list")]
    limits = _segment.limits()
    texts = [json.dumps(item, separators=(",", ":")) for item in batch]  # ASCII: len = bytes
    for index, text in enumerate(texts):
        size = len(text)
        if size > limits["max_event_bytes"]:
            return _error(400, "request_too_large",
                          f"batch[{index}] is {size} bytes, over {limits['max_event_bytes']} "
                          "per event; Segment refuses the whole batch")  # fmt: skip
    if len(batch) > limits["max_batch_events"]:
        shared = [
            *shared,
            reason(FAIL, f"the batch has {len(batch)} events, over {limits['max_batch_events']}: "
                   "Segment answers 200 but drops them; split it"),
        ]  # fmt: skip
    top_context = body.get("context") if isinstance(body.get("context"), dict) else {}
    top_integrations = body.get("integrations")
    items: list[_Item] = []
    for item, text in zip(batch, texts, strict=True):
        unchanged: str | None = text
        if not isinstance(item, dict):
            item, unchanged = {"type": None, "value": item}, None
        if top_context:
            own = item.get("context")
            item_context = own if isinstance(own, dict) else {}
            item, unchanged = {**item, "context": {**top_context, **item_context}}, None
        if isinstance(top_integrations, dict) and "integrations" not in item:
            item, unchanged = {**item, "integrations": top_integrations}, None
        items.append((item, _ALIAS_IN_BATCH if item.get("type") == "alias" else [], unchanged))
    return items, shared


def _record(
    item: dict[str, Any],
    path: str,
    creds: Credentials,
    reasons: list[Reason],
    received: str,
    integration: str | None,
    text: str | None = None,
) -> dict[str, Any]:
    """Build the stored record of one event; the full write key never enters it.

    ``text`` is the item's JSON when already encoded; the store then reuses it rather
    than encoding the payload a second time (see :func:`._store.encode_record`).
    """
    reasons = [*reasons, *check_event(item, integration=integration)]
    if "writeKey" in item:
        item, text = {**item, "writeKey": mask(str(item["writeKey"]))}, None
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
        **({PAYLOAD_JSON: text} if text is not None else {}),
    }
