"""The sample command: send the sample scenario (:mod:`.sample`) to an endpoint.

    <command> [sample] --endpoint http://127.0.0.1:8765 --write-key KEY

The write key comes from ``--write-key``, the ``SEGMENT_WRITE_KEY`` environment
variable, or a ``.env`` file in the working directory (see ``_engine.dotenv``), and is
never printed. Exit codes: 0 when every event was delivered; 1 when the endpoint refused
the key, dead-lettered an event, or could not be reached within ``--timeout``; 2 for a
usage error; 130 when interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import spec
from ._engine import dotenv
from ._engine.retry import RetryPolicy
from .client import Client
from .errors import DeliveryTimeout
from .sample import SAMPLE_EMAIL, SAMPLE_USER_ID, scenario

DEFAULT_TIMEOUT = 30.0
_REFUSED = frozenset({401, 403})  # the key is wrong, or not allowed to write


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, e.g. 30, not {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3600 seconds, not {text}")
    return value


def _sample_parser(prog: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=f"Send the {spec.INTEGRATION_NAME} sample scenario to Segment's HTTP API (or --endpoint).",
        epilog="Settings also come from the environment or a .env file here: SEGMENT_WRITE_KEY, SEGMENT_ENDPOINT.",
    )
    parser.add_argument(
        "--endpoint",
        help="HTTP API base URL, e.g. http://127.0.0.1:8765 (default: $SEGMENT_ENDPOINT, else the region's host)",
    )
    parser.add_argument("--region", default=spec.SUPPORTED_REGIONS[0], choices=spec.SUPPORTED_REGIONS)
    parser.add_argument("--write-key", help="the source's write key (default: $SEGMENT_WRITE_KEY)")
    parser.add_argument("--user-id", default=SAMPLE_USER_ID)
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up when the events are not delivered within about this long (default: {DEFAULT_TIMEOUT:g})",
    )
    return parser


class _DeadLetters:
    """What the client could not deliver, collected from its worker threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.batches: list[tuple[int, int | None, str]] = []

    def __call__(self, events: list[dict[str, Any]], status: int | None, reason: str) -> None:
        with self.lock:
            self.batches.append((len(events), status, reason))


def _failure(dead: _DeadLetters, total: int, endpoint: str) -> str:
    lost = sum(count for count, _status, _reason in dead.batches)
    _count, status, reason = dead.batches[0]
    if status in _REFUSED:
        return (
            f"error: {endpoint} refused the write key (HTTP {status}); {lost} of {total} events were not delivered\n"
            "  hint: use the write key of the source in your Segment workspace (--write-key or SEGMENT_WRITE_KEY)"
        )
    if status is None:
        return (
            f"error: {lost} of {total} events were not delivered: {endpoint} did not answer ({reason})\n"
            "  hint: check that the endpoint is running and the URL is right (--endpoint or SEGMENT_ENDPOINT)"
        )
    return f"error: {lost} of {total} events were not delivered to {endpoint} (HTTP {status}): {reason}"


def run(argv: Sequence[str], prog: str | None = None) -> int:
    """Send the sample scenario; return the exit code (0 only when every event was delivered)."""
    parser = _sample_parser(prog)
    args = parser.parse_args(argv)
    try:
        found = dotenv.read(Path(".env"))
    except dotenv.DotenvError as exc:
        parser.error(str(exc))
    write_key = args.write_key or dotenv.setting("SEGMENT_WRITE_KEY", os.environ, found)
    if not write_key:
        parser.error("no write key: pass --write-key, or set SEGMENT_WRITE_KEY (in the environment or in .env)")
    endpoint = args.endpoint or dotenv.setting("SEGMENT_ENDPOINT", os.environ, found)
    # Each try waits at most a third of the budget, so an endpoint that never answers is
    # tried again; retries stop when the budget is spent, and close() waits no longer.
    request_timeout = min(10.0, args.timeout / 3)
    dead = _DeadLetters()
    try:
        client = Client(
            endpoint=endpoint,
            timeout=request_timeout,
            retry=RetryPolicy(max_seconds=args.timeout, base_delay=min(0.5, args.timeout / 10), max_delay=5.0),
            on_dead_letter=dead,
            exit_timeout=0.1,
        )
        customer = client.customer(write_key, region=args.region)
    except ValueError as exc:
        parser.error(str(exc))
    shown = endpoint or spec.REGION_ENDPOINTS[args.region]
    events = scenario()
    try:
        for event in events:
            customer.track(user_id=args.user_id, event=event, context={"traits": {"email": SAMPLE_EMAIL}})
        print(f"sending {len(events)} events to {shown} (waiting up to {args.timeout:g} s)", flush=True)
        client.close(timeout=args.timeout + request_timeout)
    except DeliveryTimeout:
        if not dead.batches:
            print(f"error: {shown} did not confirm the events within {args.timeout:g} s", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        _abandon(client)
        print("interrupted: events not confirmed by the endpoint may not have arrived", file=sys.stderr)
        return 130
    if dead.batches:
        print(_failure(dead, len(events), shown), file=sys.stderr)
        return 1
    print(f"sent {len(events)} events: " + ", ".join(e.spec_name for e in events))
    return 0


def _abandon(client: Client) -> None:
    # Ctrl-C: stop now. The workers are daemon threads, so nothing waits for a slow endpoint.
    with contextlib.suppress(DeliveryTimeout, KeyboardInterrupt):
        client.close(timeout=0)
