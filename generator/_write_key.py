"""Write keys as the generator shows them: masked, never whole.

A write key lets anyone send data into a workspace. The debugger (its page, JSON API, log
file and reprs) and ``check``'s secrets report show keys only through :func:`mask`.
"""

from __future__ import annotations

ELLIPSIS = "…"


def mask(key: str | None) -> str | None:
    """Return ``key`` cut to its first four characters and an ellipsis (``abcd…``).

    Short keys show at most half of their characters, so no key is ever shown whole.

    Returns:
        The masked key, or None when ``key`` is None or empty.
    """
    if not key:
        return None
    return key[: min(4, len(key) // 2)] + ELLIPSIS
