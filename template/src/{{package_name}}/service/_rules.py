"""What a connection may hold: one place for the rules the API, the page and the store share.

Each check raises :class:`InvalidSetting` naming the field, the value (never a write key)
and the fix; the API answers it as a 422, the page shows it next to the form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import spec
from ._errors import ServiceError
from ._families import FAMILIES

__all__ = [
    "ALL_EVENTS",
    "InvalidSetting",
    "check_events",
    "check_region",
    "check_tenant",
    "check_write_key",
]

ALL_EVENTS: tuple[str, ...] = tuple(event for _key, _title, events in FAMILIES for event in events)

_TENANT = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Segment's write keys are letters and digits (32 today); partners' stand-ins in tests
# may use - and _. Anything with whitespace or other characters is a paste gone wrong.
_WRITE_KEY = re.compile(r"[A-Za-z0-9_-]{6,64}")


class InvalidSetting(ServiceError, ValueError):
    """A connection setting breaks a rule.

    Attributes:
        field: The field's name (``tenant``, ``write_key``, ``region``, ``events``...).
        fix: What to send instead.
    """

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(f"{field}: {problem}; {fix}")
        self.field = field
        self.problem = problem
        self.fix = fix


def check_tenant(tenant: str) -> str:
    """Return the tenant id, or raise :class:`InvalidSetting`."""
    if not isinstance(tenant, str) or not _TENANT.fullmatch(tenant):
        shown = repr(tenant)[:40]
        raise InvalidSetting(
            "tenant",
            f"{shown} is not a tenant id",
            "use 1 to 128 characters of A-Z a-z 0-9 . _ : -",
        )
    return tenant


def check_write_key(write_key: object) -> str:
    """Return the write key, or raise :class:`InvalidSetting` (which never quotes it)."""
    if not isinstance(write_key, str) or not write_key:
        raise InvalidSetting("write_key", "is missing", "paste the write key of the source in your Segment workspace")
    if write_key != write_key.strip() or any(ch.isspace() for ch in write_key):
        raise InvalidSetting(
            "write_key",
            "contains whitespace",
            "copy the write key again from the source's Settings > API Keys in Segment, without spaces or line breaks",
        )
    if not _WRITE_KEY.fullmatch(write_key):
        raise InvalidSetting(
            "write_key",
            f"does not look like a Segment write key ({len(write_key)} characters)",
            "a write key is 6 to 64 letters and digits: copy it from the source's Settings > API Keys in Segment",
        )
    return write_key


def check_region(region: object) -> str:
    """Return the region, or raise :class:`InvalidSetting` for an unknown or unsupported one."""
    supported = list(spec.SUPPORTED_REGIONS)
    if region not in spec.REGION_ENDPOINTS:
        raise InvalidSetting("region", f"{str(region)[:20]!r} is not a Segment region", f"use one of {supported}")
    if region not in spec.SUPPORTED_REGIONS:
        raise InvalidSetting(
            "region",
            f"{region!r} is not supported by this source",
            f"use one of {supported} (US workspaces)",
        )
    return str(region)


def check_events(events: Iterable[object] | None) -> list[str]:
    """Return the turned-on events in the project's order (None: all of them)."""
    if events is None:
        return list(ALL_EVENTS)
    chosen = list(events)
    unknown = [e for e in chosen if e not in ALL_EVENTS]
    if unknown:
        raise InvalidSetting(
            "events",
            f"{str(unknown[0])[:80]!r} is not an event of this source",
            f"use names from {list(ALL_EVENTS)}",
        )
    return [event for event in ALL_EVENTS if event in chosen]
