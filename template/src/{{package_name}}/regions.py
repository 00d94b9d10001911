"""Where each customer's events go: the HTTP API host of its region, or a test override."""

from __future__ import annotations

from urllib.parse import urlsplit

from . import spec

__all__ = ["checked_override", "endpoint_for"]


def endpoint_for(region: str, override: str | None = None) -> str:
    """Return the ``/v1`` base URL for a region, or the checked override.

    Raises:
        ValueError: For an unknown or unsupported region, or an override that is not https
            (plain http is allowed to loopback only, for tests).
    """
    if region not in spec.REGION_ENDPOINTS:
        raise ValueError(f"region {region!r} is unknown: use one of {sorted(spec.REGION_ENDPOINTS)}")
    if region not in spec.SUPPORTED_REGIONS:
        raise ValueError(
            f"region {region!r} is not supported by this source: use one of {list(spec.SUPPORTED_REGIONS)}"
        )
    if override is not None:
        return checked_override(override)
    return spec.REGION_ENDPOINTS[region]


def checked_override(url: str) -> str:
    """Return an override as a ``/v1`` base URL; https only, plain http to loopback only."""
    parts = urlsplit(url)
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError(f"endpoint {url!r} must be https:// (plain http only to loopback, for tests)")
    base = url.rstrip("/")
    return base if base.endswith("/v1") else base + "/v1"
