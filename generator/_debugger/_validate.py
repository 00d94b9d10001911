"""Check one event against the Spec and Segment's partner-source rules.

Every event gets a status, the worst level among its reasons:

======  ==============================================================================
fail    Segment drops the call, or Segment's partner review rejects it: no ``userId`` or
        ``anonymousId``; no ``event`` (track), ``groupId`` (group) or ``previousId`` /
        ``userId`` (alias); an unknown ``type``; no ``context.integration`` or one whose
        name is not the expected slug; a ``messageId`` over the limit; a timestamp that
        is not ISO-8601; a batch over the event limit; an event over the size limit;
        no write key; a look-alike of a Spec event name ("Email Link Click").
warn    Allowed, but against the partner guide: an event name not in Proper Case, a
        property not in snake_case, a name that may mean a Spec event,
        ``context.integration`` without ``version``, a timestamp without a UTC offset,
        or a request sent in an unusual way (a write key Segment would take but the
        partner guide or ``--write-key`` would not, ``alias`` inside a batch).
pass    None of the above.
======  ==============================================================================

Limits and Spec names come from ``segment.yml`` through :mod:`generator._segment`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from .. import _segment

FAIL, WARN, PASS = "fail", "warn", "pass"
CALL_TYPES = ("identify", "track", "page", "screen", "group", "alias")
TIMESTAMP_FIELDS = ("timestamp", "sentAt", "originalTimestamp")

_ISO_8601 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)

Reason = dict[str, str]


def reason(level: str, message: str) -> Reason:
    """Build one reason: its level (``fail`` or ``warn``) and a sentence with the fix."""
    return {"level": level, "message": message}


def status_of(reasons: list[Reason]) -> str:
    """Return the worst level among ``reasons``, or ``pass`` when there are none."""
    levels = {r["level"] for r in reasons}
    return FAIL if FAIL in levels else WARN if WARN in levels else PASS


@lru_cache(maxsize=4096)
def _naming(event: str | None, properties: tuple[str, ...]) -> tuple[Reason, ...]:
    """Reuse the shared naming rules; cached, since senders repeat the same shapes."""
    problems = _segment.naming_problems(event, properties)
    # Which names are look-alikes (a fail: partners/streams.md says Segment rejects the
    # source) is segment.yml's call, read through _segment.lookalikes(); naming_problems
    # puts that sentence first. Its other sentences (casing, a name that may mean a Spec
    # event) are warnings: the partner guide permits other names when needed.
    lookalike = event is not None and _segment.spec_lookalike(event) is not None
    return tuple(reason(FAIL if lookalike and i == 0 else WARN, p) for i, p in enumerate(problems))


def timestamp_problem(field: str, value: object) -> Reason | None:
    """Check one timestamp field: an ISO-8601 string, ideally with a UTC offset."""
    match = _ISO_8601.match(value) if isinstance(value, str) else None
    if match is None:
        return reason(FAIL, f"{field} {value!r} is not an ISO-8601 timestamp")
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                 int(second or 0))  # fmt: skip
    except ValueError:
        return reason(FAIL, f"{field} {value!r} is not a valid date and time")
    if zone is None:
        return reason(WARN, f"{field} {value!r} has no UTC offset: send UTC, e.g. '...Z'")
    return None


def _present(value: object) -> bool:
    return value is not None and value != ""


def check_event(event: Mapping[str, Any], *, integration: str | None = None) -> list[Reason]:
    """Check one call (a single call, or one item of a batch after merging).

    Args:
        event: The call's JSON object; ``type`` names the call.
        integration: The partner slug ``context.integration.name`` must equal, if any.

    Returns:
        The reasons, worst first; an empty list means the event passes.
    """
    reasons: list[Reason] = []
    call = event.get("type")
    if call not in CALL_TYPES:
        reasons.append(reason(FAIL, f"type {call!r} is not one of {', '.join(CALL_TYPES)}"))

    if call == "alias":
        if not _present(event.get("previousId")):
            reasons.append(reason(FAIL, "alias needs previousId (the old id)"))
        if not _present(event.get("userId")):
            reasons.append(reason(FAIL, "alias needs userId (the new id)"))
    elif not _present(event.get("userId")) and not _present(event.get("anonymousId")):
        reasons.append(reason(FAIL, "no userId or anonymousId: Segment rejects it"))

    name = event.get("event")
    if call == "track" and (not isinstance(name, str) or not name.strip()):
        reasons.append(reason(FAIL, "track needs an event name in 'event'"))
        name = None
    if call == "group" and not _present(event.get("groupId")):
        reasons.append(reason(FAIL, "group needs groupId"))

    reasons.extend(_integration_reasons(event.get("context"), integration))
    reasons.extend(_field_reasons(event))

    if call in ("track", "page", "screen"):
        properties = event.get("properties")
        if properties is not None and not isinstance(properties, dict):
            reasons.append(reason(FAIL, "properties must be a JSON object"))
            properties = None
        keys = tuple(properties) if properties else ()
        reasons.extend(_naming(name if call == "track" else None, keys))
    elif call in ("identify", "group"):
        traits = event.get("traits")
        if traits is not None and not isinstance(traits, dict):
            reasons.append(reason(FAIL, "traits must be a JSON object"))

    reasons.sort(key=lambda r: r["level"] != FAIL)
    return reasons


def _integration_reasons(context: object, expected: str | None) -> list[Reason]:
    """``context.integration`` names the partner tool that sent the call."""
    found = context.get("integration") if isinstance(context, dict) else None
    if not isinstance(found, dict) or not _present(found.get("name")):
        return [
            reason(FAIL, "no context.integration {name, version}: partner sources must "
                   "send it, e.g. {'name': 'your-slug', 'version': '1.0.0'}")
        ]  # fmt: skip
    reasons: list[Reason] = []
    if expected is not None and found["name"] != expected:
        reasons.append(
            reason(FAIL, f"context.integration.name is {found['name']!r}, expected {expected!r}")
        )
    if not _present(found.get("version")):
        reasons.append(reason(WARN, "context.integration has no version (start at '1.0.0')"))
    return reasons


def _field_reasons(event: Mapping[str, Any]) -> list[Reason]:
    """Common fields: ``messageId`` length and ISO-8601 timestamps."""
    reasons: list[Reason] = []
    limit = _segment.limits()["max_message_id_chars"]
    message_id = event.get("messageId")
    if message_id is not None and len(str(message_id)) > limit:
        reasons.append(
            reason(FAIL, f"messageId has {len(str(message_id))} characters, over {limit}")
        )
    for field in TIMESTAMP_FIELDS:
        if field in event:
            problem = timestamp_problem(field, event[field])
            if problem is not None:
                reasons.append(problem)
    return reasons
