"""Sending one batch: one try, and the whole retry loop for a caller that owns its thread.

This is the part of the client that speaks to Segment and nothing else: no buffer, no
scheduling. The in-process client calls :func:`attempt` and schedules the retries itself
(its workers never sleep through a backoff); a sender that only has one batch at hand
(say, a worker that took it from a shared queue) calls :func:`send_batch`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..regions import endpoint_for
from .batcher import Batch
from .keys import basic_auth, key_id, redact
from .ratelimit import RateLimiter, Slot
from .retry import RetryPolicy, is_retryable
from .transport import NETWORK_ERRORS, Transport

log = logging.getLogger(__name__.partition(".")[0])

# How much of an answer's body a reason shows (after the write key is redacted).
REASON_BODY_CHARS = 200


@dataclass(frozen=True)
class Attempt:
    """The outcome of one try.

    Attributes:
        status: The HTTP status, or None when no answer came (network error, deadline).
        retry_after: The server's ``Retry-After`` in seconds, if it sent one.
        why: What happened, fit for a log line: never carries the write key.
    """

    status: int | None
    retry_after: float | None
    why: str

    @property
    def delivered(self) -> bool:
        """True when the server answered 2xx."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def final(self) -> bool:
        """True when trying again cannot help (delivered, or a status not retried)."""
        return self.status is not None and (self.delivered or not is_retryable(self.status))


@dataclass(frozen=True)
class Delivery:
    """How :func:`send_batch` ended: delivered, or the reason it was given up."""

    delivered: bool
    status: int | None
    reason: str | None
    tries: int


def attempt(transport: Transport, url: str, batch: Batch, write_key: str, *, slot: Slot | None = None) -> Attempt:
    """Send ``batch`` once to ``url`` (``.../v1/batch``) as ``write_key``; count the try.

    Args:
        transport: Sends the request.
        url: The ``/v1/batch`` URL of the customer's region.
        batch: The events; ``batch.tries`` is sent as ``X-Retry-Count`` and incremented.
        write_key: The customer's write key (Basic auth).
        slot: The rate limiter's place for this request: stamped when the request is
            written, given back if it never was.

    Returns:
        The status (None on a network error), ``Retry-After`` and a redacted reason.
    """
    headers = {"Content-Type": "application/json", "Authorization": basic_auth(write_key)}
    if batch.tries:
        headers["X-Retry-Count"] = str(batch.tries)
    on_sent = None if slot is None else slot.sent
    try:
        response = transport.post(url, batch.body(), headers, on_sent=on_sent)
    except NETWORK_ERRORS as exc:
        if slot is not None:  # part of it may have reached the server: count it
            slot.sent()
        result = Attempt(None, None, f"network error {type(exc).__name__}")
    else:
        body = redact(response.text, write_key)[:REASON_BODY_CHARS]
        result = Attempt(response.status, response.retry_after, f"HTTP {response.status} {body!r}")
    finally:
        if slot is not None:
            slot.cancel()  # no-op once sent(): only a request never written gives it back
    batch.tries += 1
    return result


def send_batch(
    transport: Transport,
    batch: Batch,
    write_key: str,
    region: str,
    *,
    endpoint: str | None = None,
    retry: RetryPolicy | None = None,
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Send ``batch`` with retries until it is delivered or given up; block meanwhile.

    Args:
        transport: Sends the requests.
        batch: The events (all for ``write_key`` and ``region``).
        write_key: The customer's write key.
        region: The customer's region (``"us"``, ``"eu"``).
        endpoint: A base URL instead of the region's host (tests, a local debugger).
        retry: Backoff and time budget (default :class:`RetryPolicy`).
        limiter: A request ceiling to respect, if any.
        sleep: Waits between tries (tests pass a fake).

    Returns:
        Delivered, or the status and reason of the give-up (dead-letter it).
    """
    policy = retry or RetryPolicy()
    who = f"customer {key_id(write_key)} ({region})"
    try:
        url = endpoint_for(region, endpoint) + "/batch"
    except ValueError as exc:
        return Delivery(False, None, f"{who}: {exc}", batch.tries)
    while True:
        slot = limiter.acquire() if limiter is not None else None
        if batch.first_try is None:
            batch.first_try = time.monotonic()
        result = attempt(transport, url, batch, write_key, slot=slot)
        if result.delivered:
            return Delivery(True, result.status, None, batch.tries)
        reason, delay = next_step(result, batch, policy, who)
        if reason is not None:
            return Delivery(False, result.status, reason, batch.tries)
        sleep(delay)


def next_step(result: Attempt, batch: Batch, policy: RetryPolicy, who: str) -> tuple[str | None, float]:
    """After a try that did not deliver: why to give up (None: try again) and when to retry.

    Args:
        result: The try's outcome.
        batch: The batch (its ``tries`` and ``first_try`` count against the budget).
        policy: Backoff and time budget.
        who: How reasons name the customer (never by its key).

    Returns:
        ``(reason, 0.0)`` to dead-letter the batch, or ``(None, seconds)`` to retry.
    """
    if result.final:
        return f"{who}: {result.why} is not retryable", 0.0
    delay = policy.delay(batch.tries, result.retry_after)
    first = batch.first_try if batch.first_try is not None else time.monotonic()
    if time.monotonic() + delay - first > policy.max_seconds:
        return (
            f"{who}: retry budget of {policy.max_seconds:g} s spent after {batch.tries} tries; last: {result.why}"
        ), 0.0
    return None, delay
