"""The command line: one registry of every command, for ``python -m <package>`` and the console script.

    <command> [sample] [--endpoint URL] ...     send the sample scenario (the default)
    <command> worker --redis-url URL ...        the Redis fleet ([redis] extra): worker,
    <command> stats | dead-letters | queue-secret   stats, dead-letters, queue-secret

A command is a module's function ``(argv, prog) -> exit code``, imported only when it
runs, so a command that needs an extra never makes the others import it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from . import spec

_REDIS_EXTRA = ("redis", "cryptography")


@dataclass(frozen=True)
class Command:
    """Where a command's function lives, what it does, and the extra it needs."""

    module: str  # relative to this package
    function: str
    summary: str
    needs: tuple[str, ...] = ()  # top-level modules of its extra


# Command name -> its entry. The sample runs when the arguments name no command.
COMMANDS: dict[str, Command] = {
    "sample": Command("sample", "run", "send the sample scenario to an endpoint (the default)"),
    "worker": Command("fleet._commands", "worker", "send queued events from Redis", _REDIS_EXTRA),
    "stats": Command("fleet._commands", "stats", "counters of the whole Redis fleet", _REDIS_EXTRA),
    "dead-letters": Command("fleet._commands", "dead_letters", "list or requeue dead letters", _REDIS_EXTRA),
    "queue-secret": Command("fleet._commands", "queue_secret", "print a new SEGMENT_QUEUE_SECRET", _REDIS_EXTRA),
}
DEFAULT = "sample"


def _function(name: str) -> Callable[[Sequence[str], str | None], int]:
    entry = COMMANDS[name]
    module = importlib.import_module(f".{entry.module}", __package__)
    return cast("Callable[[Sequence[str], str | None], int]", getattr(module, entry.function))


def _missing(entry: Command) -> list[str]:
    return [name for name in entry.needs if importlib.util.find_spec(name) is None]


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Run a command (default: ``sample``); return the exit code.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
        prog: The program name shown in usage and errors, e.g. ``python -m <package>``.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    prog = prog or Path(sys.argv[0]).name
    if args and args[0] in COMMANDS:
        name, args, prog = args[0], args[1:], f"{prog} {args[0]}"
    else:
        name = DEFAULT
    missing = _missing(COMMANDS[name])
    if missing:
        extra = f"pip install '{spec.INTEGRATION_SLUG}-source[redis]'"
        print(f"error: `{name}` needs the [redis] extra ({', '.join(missing)} missing): {extra}", file=sys.stderr)
        return 1
    try:
        return _function(name)(args, prog)
    except SystemExit as exc:  # argparse: --help, or a usage error
        if name == DEFAULT and args[:1] in (["-h"], ["--help"]) and not exc.code:
            print("\ncommands (`<command> --help` for each):")
            for command, entry in COMMANDS.items():
                print(f"  {command:<14}{entry.summary}")
        raise
    except KeyboardInterrupt:  # before the command could handle it (e.g. while parsing)
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
