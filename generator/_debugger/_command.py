"""The ``segment-source debugger`` command: a thin layer over :class:`DebuggerServer`.

The main CLI adds it with ``add_parser(subparsers)`` and calls ``run(args)``;
``python -m generator._debugger`` runs it on its own through :func:`main`.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ..errors import GeneratorError
from ._app import DebuggerServer
from ._store import DEFAULT_KEEP, DEFAULT_MAX_BYTES

DEFAULT_PORT = 8765
DEFAULT_KEEP_MB = DEFAULT_MAX_BYTES // (1024 * 1024)
DEFAULT_READ_TIMEOUT = 10.0


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, e.g. 0.2, got {text}")
    return value


def _at_least(minimum: int) -> Any:
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value

    return parse


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be over 0 and at most 3600, e.g. 10, got {text}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0-65535 (0 picks a free port), got {text}")
    return value


def configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the debugger's options to ``parser`` and make it dispatch to :func:`run`."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, loopback only)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to listen on; 0 picks a free one (default: {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--write-key",
        dest="write_keys",
        action="append",
        default=[],
        metavar="KEY",
        help="a write key you expect (repeatable); events with other keys are accepted with "
        "a 200, as Segment does, and marked warn",
    )
    parser.add_argument(
        "--strict-keys",
        action="store_true",
        help="answer 401 to a key that is not a --write-key (Segment itself answers 200)",
    )
    parser.add_argument(
        "--integration", metavar="SLUG", help="the slug every context.integration.name must equal"
    )
    parser.add_argument(
        "--log", metavar="FILE", help="append every event to this JSONL file (write keys masked)"
    )
    parser.add_argument(
        "--fail-rate",
        type=_share,
        default=0.0,
        metavar="F",
        help="answer this share of API requests with 503, e.g. 0.2",
    )
    parser.add_argument(
        "--rate-limit",
        type=_at_least(1),
        metavar="N",
        help="answer 429 with Retry-After above N API requests per second",
    )
    parser.add_argument(
        "--keep",
        type=_at_least(1),
        default=DEFAULT_KEEP,
        metavar="N",
        help=f"events kept for the page; older ones are only counted (default: {DEFAULT_KEEP})",
    )
    parser.add_argument(
        "--keep-mb",
        type=_at_least(1),
        default=DEFAULT_KEEP_MB,
        metavar="MB",
        help="at most this many MB of events kept, oldest dropped first "
        f"(default: {DEFAULT_KEEP_MB})",
    )
    parser.add_argument(
        "--read-timeout",
        type=_seconds,
        default=DEFAULT_READ_TIMEOUT,
        metavar="S",
        help="seconds a client has to send a whole request once it starts "
        f"(default: {DEFAULT_READ_TIMEOUT:g})",
    )
    parser.add_argument(
        "--seed", type=int, metavar="N", help="seed the fault injection, for repeatable runs"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.set_defaults(run=run)
    return parser


def add_parser(subparsers: Any) -> None:
    """Add the ``debugger`` subcommand to the main CLI's subparsers.

    Args:
        subparsers: What ``ArgumentParser.add_subparsers()`` returned.
    """
    parser = subparsers.add_parser(
        "debugger",
        help="run a local Source Debugger for your source's events",
        description="Serve Segment's HTTP API paths on this machine, check every event "
        "against the Spec and the partner rules, and show them live in a web page.",
    )
    configure(parser)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C.

    Args:
        args: The parsed options of :func:`configure`.

    Returns:
        The exit code: 0 after Ctrl-C.

    Raises:
        GeneratorError: The address cannot be listened on.
    """
    debugger = DebuggerServer(
        args.host,
        args.port,
        write_keys=args.write_keys,
        strict_keys=args.strict_keys,
        integration=args.integration,
        log=args.log,
        fail_rate=args.fail_rate,
        rate_limit=args.rate_limit,
        keep=args.keep,
        keep_bytes=args.keep_mb * 1024 * 1024,
        read_timeout=args.read_timeout,
        seed=args.seed,
        verbose=args.verbose,
    )
    try:
        debugger.start()
    except OSError as exc:
        if exc.filename:  # the log file, not the socket
            raise GeneratorError(
                f"cannot write the log {exc.filename}: {exc.strerror or exc}",
                "pass a --log path in a directory that exists and that you can write",
            ) from None
        raise GeneratorError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            "pick another --port, or --port 0 for a free one",
        ) from None
    try:
        _announce(debugger, args)
        # Wait in short steps: a plain wait() would hold off Ctrl-C on some platforms.
        forever = threading.Event()
        while not forever.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("\nstopping the debugger", flush=True)
    finally:
        debugger.stop()
    counts = debugger.store.counts()
    print(f"received {counts['total']} events: " + ", ".join(
        f"{n} {status}" for status, n in counts["by_status"].items()), flush=True)  # fmt: skip
    return 0


def _announce(debugger: DebuggerServer, args: argparse.Namespace) -> None:
    print(f"Source Debugger: {debugger.url}/", flush=True)
    print(f"  point your source at host={debugger.url!r} (SDKs) or {debugger.url}/v1 (HTTP API)")
    if not debugger.write_keys:
        keys = "any write key"
    elif debugger.strict_keys:
        keys = f"only {len(debugger.write_keys)} write key(s), 401 for others"
    else:
        keys = f"any write key, marking those not among the {len(debugger.write_keys)} given"
    print(f"  accepting {keys}; checking integration {args.integration or '(any slug)'}")
    if args.log:
        print(f"  logging events to {args.log}")
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback:
        print(f"  warning: listening on {args.host}, not loopback: others on the network "
              "can send events and read them", file=sys.stderr)  # fmt: skip
    print("  press Ctrl-C to stop", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the debugger on its own, as ``python -m generator._debugger``."""
    parser = configure(argparse.ArgumentParser(prog="python -m generator._debugger"))
    args = parser.parse_args(argv)
    try:
        return run(args)
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
