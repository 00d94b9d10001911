"""The ``segment-source`` command: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from . import _answers
from ._generate import Result, generate
from ._about import __version__
from .errors import GeneratorError, MissingAnswersError


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _gather(args: argparse.Namespace) -> dict[str, object]:
    answers: dict[str, object] = {}
    if args.data_file:
        answers.update(_answers.load_data_file(Path(args.data_file)))
    answers.update(_answers.parse_data_pairs(args.data))
    _answers.check_keys(answers)
    if _interactive():
        from . import _prompts  # questionary and prompt_toolkit load only when asking

        return _prompts.ask(answers, only_without_default=args.defaults)
    missing = _answers.missing(answers)
    if missing:
        raise MissingAnswersError(missing)
    return answers


def _next_steps(result: Result) -> str:
    package = next(f.split("/")[1] for f in result.files if f.startswith("src/") and f.endswith("/cli.py"))
    return "\n".join([
        f"Created the {result.answers['integration_name']} source in {result.path} ({len(result.files)} files"
        + (", first commit made)" if result.committed else ")"),
        "Next steps:",
        f"  cd {shlex.quote(str(result.path))}",
        "  pip install -e '.[test]' && pytest",
        f"  SEGMENT_WRITE_KEY=test-key python -m {package} --endpoint http://127.0.0.1:8088",
    ])


def _cmd_new(args: argparse.Namespace) -> int:
    answers = _gather(args)
    dest = args.dest
    if dest is None:
        filled = _answers.complete(answers)
        dest = f"{filled.get('slug', 'segment')}-source"
    result = generate(dest, answers, overwrite=args.force, pretend=args.pretend, git=not args.no_git)
    if args.pretend:
        print(f"Would write {len(result.files)} files into {result.path}:")
        print("\n".join(f"  {name}" for name in result.files))
    else:
        print(_next_steps(result))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segment-source",
        description="Generate and maintain a Segment partner Cloud Event Source project.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    new = commands.add_parser("new", help="generate a new source project", description=(
        "Generate a Segment source project. Asks for the answers in a terminal; without "
        "one, give them with --data / --data-file."))
    new.add_argument("dest", nargs="?", help="the new project's directory (default: ./<slug>-source)")
    new.add_argument("--data", "-d", action="append", default=[], metavar="KEY=VALUE",
                     help="an answer, e.g. slug=acme-mail or regions=us,eu (repeatable)")
    new.add_argument("--data-file", metavar="FILE", help="a YAML file of answers")
    new.add_argument("--defaults", action="store_true", help="accept every default instead of asking")
    new.add_argument("--force", action="store_true", help="write into a non-empty directory")
    new.add_argument("--pretend", action="store_true", help="list what would be written; write nothing")
    new.add_argument("--no-git", action="store_true", help="skip git init and the first commit")
    new.set_defaults(run=_cmd_new)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("aborted; nothing was written", file=sys.stderr)
        return 130
    return code
