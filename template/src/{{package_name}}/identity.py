"""Who an event is about: the one rule for ``userId`` and ``anonymousId``.

Segment's partner guide asks a source to send a ``userId`` with every call, so a call
without one is refused by default. ``anonymous_fallback="email"`` (a :class:`Client`
option; its default is ``spec.ANONYMOUS_FALLBACK``, the project's answer) does what
approved sources such as Customer.io do: without a ``userId``, the person's email
address (``context.traits.email``, or an identify call's ``traits.email``) is sent as the
``anonymousId``. The docs page's identity sentence says which of the two this source does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from .errors import EventRejected

AnonymousFallback = Literal["none", "email"]
FALLBACKS: tuple[str, ...] = get_args(AnonymousFallback)


def checked_fallback(value: str) -> AnonymousFallback:
    """Return ``value`` as a fallback mode, or raise ValueError naming the choices."""
    if value not in FALLBACKS:
        raise ValueError(f"anonymous_fallback must be one of {FALLBACKS}, not {value!r}")
    return value  # type: ignore[return-value]


def _email(body: Mapping[str, Any], context: Mapping[str, Any]) -> str | None:
    for holder in (context.get("traits"), body.get("traits")):
        if isinstance(holder, Mapping) and isinstance(holder.get("email"), str) and holder["email"].strip():
            return str(holder["email"]).strip()
    return None


def resolve(
    kind: str,
    body: Mapping[str, Any],
    context: Mapping[str, Any],
    *,
    user_id: str | None,
    anonymous_id: str | None,
    fallback: str,
) -> tuple[str | None, str | None]:
    """Return the call's ``(userId, anonymousId)``, or raise :class:`EventRejected`.

    With a ``user_id``, both are sent as given. Without one, ``fallback="email"`` sends
    the email address as the ``anonymousId``; otherwise the call is refused. An
    ``anonymous_id`` alone never identifies a call: it travels only beside a ``user_id``.
    """
    if user_id:
        return str(user_id), (str(anonymous_id) if anonymous_id else None)
    if checked_fallback(fallback) == "email":
        email = _email(body, context)
        if email:
            return None, email
        raise EventRejected(
            f"{kind} needs user_id, or an email address in context.traits.email to send as the anonymousId"
        )
    raise EventRejected(
        f"{kind} needs user_id: Segment asks partner sources for a userId on every call; "
        "build the client with anonymous_fallback='email' to send the email address as the anonymousId instead"
    )
