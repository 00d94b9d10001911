"""The service's commands: ``python -m <package> serve | settings-secret | rotate-secret | settings-link | db``.

Thin: each parses its flags and calls the service's Python API. This module imports
nothing of the ``[service]`` extra until a command runs, so the package's command line
works without it.

    python -m <package> settings-secret                     # a new SEGMENT_SETTINGS_SECRET
    python -m <package> db upgrade                          # create or upgrade the schema
    python -m <package> serve --port 8000                   # the API, the settings page, the relay
    python -m <package> settings-link acct_42 --ttl 15m     # a link for one customer
    python -m <package> rotate-secret --old OLD --new NEW   # re-seal every key
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence

from ._errors import ServiceError

__all__ = ["db", "rotate_secret", "serve", "settings_link", "settings_secret"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


Command = Callable[[Sequence[str], str | None], int]


def _reported(command: Command) -> Command:
    """Print a :class:`ServiceError` as one ``error:`` line and exit 1 (the registry in cli.py runs these)."""

    def run(argv: Sequence[str], prog: str | None = None) -> int:
        try:
            return command(argv, prog)
        except ServiceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

    run.__doc__ = command.__doc__
    return run


def _duration(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"must be a duration such as 900, 15m, 2h or 1d, not {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def _attached(argv: Sequence[str], options: tuple[str, ...]) -> list[str]:
    """Write ``--old VALUE`` as ``--old=VALUE``: a Fernet key may start with "-" (1 in 64),
    which argparse would take for an option and refuse."""
    out: list[str] = []
    pending: str | None = None
    for arg in argv:
        if pending is not None:
            out.append(f"{pending}={arg}")
            pending = None
        elif arg in options:
            pending = arg
        else:
            out.append(arg)
    if pending is not None:
        out.append(pending)  # argparse reports the missing value
    return out


def _parser(prog: str | None, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog="Settings: SEGMENT_DATABASE_URL (default sqlite:///segment-connections.db), "
        "SEGMENT_SETTINGS_SECRET, SEGMENT_SERVICE_TOKEN.",
    )


@_reported
def serve(argv: Sequence[str], prog: str | None) -> int:
    """Run the API, the settings page and the relay under uvicorn."""
    parser = _parser(prog, "Serve the connections API, the settings page and the relay (uvicorn).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--endpoint", help="send test events to this base URL instead of Segment (tests, debugger)")
    parser.add_argument("--frame-ancestors", default="'self'", help="who may embed the page (CSP frame-ancestors)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--relay-only", action="store_true", help="serve the relay (/v1/track...) alone")
    only.add_argument("--settings-only", action="store_true", help="serve the API and the settings page alone")
    parser.add_argument("--redis-url", help="relay: append calls to this Redis queue (the fleet's workers send)")
    parser.add_argument("--spool", help="relay: keep accepted calls in this SQLite file until delivered")
    parser.add_argument("--strict", action="store_true", help="relay: refuse calls that break the naming rules")
    parser.add_argument(
        "--flush-interval", type=float, default=0.5, help="relay: longest wait of a call before its batch is due"
    )
    args = parser.parse_args(argv)
    import uvicorn

    from .app import checked_token, create_app
    from .relay import Relay
    from .store import ConnectionStore

    if not args.relay_only:
        checked_token()  # before the store: a missing token is the first thing to say
    store = ConnectionStore()
    relay = None
    if not args.settings_only:
        relay = Relay(
            store,
            endpoint=args.endpoint,
            strict=args.strict,
            spool_path=args.spool,
            redis_url=args.redis_url,
            flush_interval=args.flush_interval,
        )
    app = create_app(
        store,
        endpoint=args.endpoint,
        frame_ancestors=args.frame_ancestors,
        relay=relay,
        settings=not args.relay_only,
    )
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    finally:
        store.close()
    return 0


@_reported
def settings_secret(argv: Sequence[str], prog: str | None) -> int:
    """Print a new secret for SEGMENT_SETTINGS_SECRET."""
    _parser(prog, "Print a new SEGMENT_SETTINGS_SECRET (a Fernet key).").parse_args(argv)
    from ._secrets import new_secret

    print(new_secret())
    return 0


@_reported
def rotate_secret(argv: Sequence[str], prog: str | None) -> int:
    """Re-seal every stored key with a new secret."""
    parser = _parser(
        prog,
        "Re-seal every stored write key with NEW. Run the services with SEGMENT_SETTINGS_SECRET=NEW,OLD "
        "first: they read both while this runs; then set it to NEW alone.",
    )
    parser.add_argument("--old", required=True, help="the secret the keys are sealed with now")
    parser.add_argument("--new", required=True, help="the secret to seal them with")
    args = parser.parse_args(_attached(argv, ("--old", "--new")))
    from .store import ConnectionStore, InvalidToken

    store = ConnectionStore(secret=f"{args.new},{args.old}")
    try:
        count = store.rotate(args.old, args.new)
    except InvalidToken:
        print(
            "error: a stored key opens with neither --old nor --new: check the secrets",
            file=sys.stderr,
        )
        return 1
    finally:
        store.close()
    print(f"re-sealed {count} write keys; set SEGMENT_SETTINGS_SECRET to the new secret alone")
    return 0


@_reported
def settings_link(argv: Sequence[str], prog: str | None) -> int:
    """Print a signed, expiring link to one tenant's settings page."""
    parser = _parser(prog, "Print a signed, expiring link to one customer's settings page.")
    parser.add_argument("tenant", help="your id for the customer (1-128 of A-Z a-z 0-9 . _ : -)")
    parser.add_argument("--ttl", type=_duration, default=900.0, help="how long it works (default: 15m)")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("SEGMENT_SERVICE_URL", "http://127.0.0.1:8000"),
        help="where the service answers (default: $SEGMENT_SERVICE_URL, else http://127.0.0.1:8000)",
    )
    args = parser.parse_args(argv)
    from .links import settings_link as make_link

    try:
        print(make_link(args.tenant, args.base_url, args.ttl))
    except ValueError as exc:
        parser.error(str(exc))
    return 0


@_reported
def db(argv: Sequence[str], prog: str | None) -> int:
    """Create or upgrade the schema (Alembic), or show its revision."""
    parser = _parser(prog, "Manage the connection database's schema (Alembic migrations shipped in the package).")
    parser.add_argument("action", choices=["upgrade", "current"])
    parser.add_argument("--url", default=None, help="database URL (default: $SEGMENT_DATABASE_URL)")
    args = parser.parse_args(argv)
    from . import _migrate
    from .store import DATABASE_ENV, DEFAULT_DATABASE_URL, make_engine

    url = args.url or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE_URL
    engine = make_engine(url)
    try:
        if args.action == "upgrade":
            _migrate.upgrade(engine)
        print(f"{engine.url.render_as_string(hide_password=True)}: revision {_migrate.current_revision(engine)}")
    finally:
        engine.dispose()
    return 0
