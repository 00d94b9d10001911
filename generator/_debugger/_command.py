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

DEFAULT_PORT = 8765
DEFAULT_KEEP = 1000


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
        help="accept only this write key (repeatable); others get 401. Default: accept any key",
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
        integration=args.integration,
        log=args.log,
        fail_rate=args.fail_rate,
        rate_limit=args.rate_limit,
        keep=args.keep,
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
    keys = f"{len(debugger.write_keys)} write key(s)" if debugger.write_keys else "any write key"
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
