"""One HTTP POST of a JSON body, with the standard library."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .errors import APIError


def post_json(url: str, body: dict[str, Any], basic_auth: str, timeout: float) -> None:
    """POST ``body`` as JSON with Basic auth; raise :class:`APIError` on an error status."""
    data = json.dumps(body, separators=(",", ":")).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Basic {basic_auth}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:200]
        raise APIError(exc.code, "http_error", detail) from None
