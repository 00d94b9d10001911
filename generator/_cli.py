"""The ``segment-source`` command: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from . import _answers, _git, _update
from ._about import __version__
from ._debugger import _command as _debugger_command
from ._generate import Result, generate
from .errors import GeneratorError, MissingAnswersError, printable


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _answer_flags(args: argparse.Namespace) -> dict[str, object]:
    """The answers given by --data-file, then --data (which wins)."""
    answers: dict[str, object] = {}
    if args.data_file:
        answers.update(_answers.load_data_file(Path(args.data_file)))
    answers.update(_answers.parse_data_pairs(args.data))
    return answers


def _add_answer_flags(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--data",
        "-d",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"{what}, e.g. slug=acme-mail or regions=us,eu (repeatable)",
    )
    parser.add_argument("--data-file", metavar="FILE", help="a YAML file of answers")


def _gather(args: argparse.Namespace) -> dict[str, object]:
    answers = _answer_flags(args)
    _answers.check_keys(answers)
    if _interactive():
        from . import _prompts  # questionary and prompt_toolkit load only when asking

        return _prompts.ask(answers, only_without_default=args.defaults)
    missing = _answers.missing(answers)
    if missing:
        raise MissingAnswersError(missing)
    return answers


def _next_steps(result: Result) -> str:
    package = next(
        f.split("/")[1] for f in result.files if f.startswith("src/") and f.endswith("/cli.py")
    )
    path = result.path.resolve()
    lines = [
        f"Created the {result.answers['integration_name']} source in {path} ({len(result.files)} "
        "files" + (", first commit made)" if result.committed else ")"),
    ]
    enclosing = _git.enclosing_work_tree(path)
    if enclosing is not None:
        lines.append(
            f"  note: it sits inside the git work tree {enclosing}, which lists it as untracked; "
            f"move it elsewhere or add /{path.relative_to(enclosing).as_posix()}/ to that "
            "repository's .gitignore"
        )
    return "\n".join(
        [
            *lines,
            "Next steps:",
            f"  cd {shlex.quote(str(path))}",
            "  pip install -e '.[test]' && pytest",
            (
                f"  segment-source debugger --integration {result.answers['slug']}"
                "   # in another terminal"
            ),
            f"  SEGMENT_WRITE_KEY=test-key python -m {package} --endpoint http://127.0.0.1:8765",
        ]
    )


def _cmd_new(args: argparse.Namespace) -> int:
    answers = _gather(args)
    dest = args.dest
    if dest is None:
        filled = _answers.complete(answers)
        dest = f"{filled.get('slug', 'segment')}-source"
    result = generate(
        dest, answers, overwrite=args.force, pretend=args.pretend, git=not args.no_git
    )
    if args.pretend:
        print(f"Would write {len(result.files)} files into {result.path}:")
        print("\n".join(f"  {name}" for name in result.files))
    else:
        print(_next_steps(result))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from ._check import check

    report = check(args.project)
    # The report quotes the project's files, which anyone may have edited: no raw escapes.
    print(report.to_json() if args.json else printable(report.to_text(), keep=chr(10)))
    return report.exit_code


def _cmd_docs(args: argparse.Namespace) -> int:
    from ._docs import render_docs

    result = render_docs(args.project, export=args.export)
    for update in filter(None, (result.page, result.export)):
        print(update.summary())
        if update.diff and not update.created:
            print(update.diff, end="")
    return 0


def _cmd_submit(args: argparse.Namespace) -> int:
    from ._submit import submit

    result = submit(args.project, out=args.out, segment_docs=args.segment_docs, force=args.force)
    print(f"wrote {result.out}:")
    print("\n".join(f"  {name}" for name in result.files))
    if not result.evidence_ok:
        print("  note: some sample events did not pass: see evidence/report.md")
    if result.branch is not None:
        print(
            f"committed the page on branch {result.branch.name} in {result.branch.repo}; "
            "to open the pull request:"
        )
        print(f"  {result.branch.pr_command}")
    return 0


def _add_submit(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    submit = commands.add_parser(
        "submit",
        help="write everything Segment's review asks for into one folder",
        description=(
            "Write submission/: portal.md (the Developer Portal's catalog fields), "
            "segment-docs.patch (the page for segment-docs, for `git am`), evidence/ "
            "(the sample scenario checked by an embedded Source Debugger) and checklist.md "
            "(the Public Beta Checklist). Refuses while `segment-source check` is red."
        ),
    )
    submit.add_argument(
        "project", nargs="?", default=".", help="the project directory (default: .)"
    )
    submit.add_argument(
        "--out", metavar="DIR", help="the folder to write (default: PROJECT/submission)"
    )
    submit.add_argument(
        "--segment-docs",
        metavar="PATH",
        help=(
            "a local clone of your segment-docs fork: commit the page on a new branch there "
            "(nothing is pushed)"
        ),
    )
    submit.add_argument(
        "--force", action="store_true", help="write the folder even while check is red"
    )
    submit.set_defaults(run=_cmd_submit)


def _add_check_and_docs(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check",
        help="review a project for Segment's launch review",
        description=(
            "Review a generated project: one line per item, green (ready), yellow (reviewers will "
            "ask) or red (would be rejected). Exits 1 when an item is red."
        ),
    )
    check.add_argument("project", nargs="?", default=".", help="the project directory (default: .)")
    check.add_argument("--json", action="store_true", help="print the report as JSON (for CI)")
    check.set_defaults(run=_cmd_check)

    docs = commands.add_parser(
        "docs",
        help="regenerate the Segment docs page's tables",
        description=(
            "Re-render the generated parts of docs/segment-source.md from catalog/metadata.yml; "
            "text outside the segment-source markers is kept."
        ),
    )
    docs.add_argument("project", nargs="?", default=".", help="the project directory (default: .)")
    docs.add_argument(
        "--export",
        metavar="DIR",
        help=(
            "a segment-docs checkout: write the page to "
            "DIR/src/connections/sources/catalog/cloud-apps/<slug>/index.md"
        ),
    )
    docs.set_defaults(run=_cmd_docs)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _print_check(info: _update.UpdateCheck, as_json: bool) -> int:
    if as_json:
        print(json.dumps(info.as_dict()))
    elif info.project_newer:
        print(
            f"{info.project}: template {info.current_version} is newer than this segment-source's "
            f"{info.latest_version} ({__version__}); upgrade segment-source to the build that "
            "made the project or a later one to update it"
        )
    elif info.update_available:
        print(
            f"{info.project}: template {info.current_version}; {info.latest_version} is available "
            f"(segment-source {__version__}: run segment-source update)"
        )
    else:
        print(
            f"{info.project}: template {info.current_version} is up to date "
            f"(segment-source {__version__})"
        )
    return info.exit_code


def _cmd_update(args: argparse.Namespace) -> int:
    if args.check:
        return _print_check(_update.check_update(args.project), args.json)
    data = _answer_flags(args)
    missing = _update.missing_answers(args.project, data)
    if missing and _interactive():
        from . import _prompts

        data = _prompts.ask_only(missing, data)
    result = _update.update(args.project, data, pretend=args.pretend)
    if not result.updated:
        print(f"{result.project}: already at template {result.to_version}; nothing to do")
        return 0
    verb = "Would update" if result.pretend else "Updated"
    print(
        f"{verb} {result.project} from template {result.from_version} to {result.to_version} "
        f"({_count(len(result.changed), 'file')} changed)"
    )
    for migration in result.migrations:
        print(f"  migrated {migration}")
    if result.diffstat:
        print(result.diffstat.rstrip())
    unresolved = [*result.conflicts, *result.rejects]
    unresolved += [
        c.path for c in result.carried if c.new_path is None and c.path not in unresolved
    ]
    notes = "".join(f"\n  {carried.describe()}" for carried in result.carried)
    if result.pretend:
        if unresolved:
            print("Would conflict: " + ", ".join(unresolved) + notes)
        return 0
    if unresolved:
        print(
            f"error: {_count(len(unresolved), 'conflict')} to resolve: "
            f"{', '.join(unresolved)}{notes}\n  hint: resolve the <<<<<<< / >>>>>>> blocks (and "
            "any .rej hunks), review each carried-over file, then `git add` each file (or `git rm` "
            "a deleted one you do not want) and commit",
            file=sys.stderr,
        )
        return 1
    print("Review the changes with `git diff`, then commit them.")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segment-source",
        description="Generate and maintain a Segment partner Cloud Event Source project.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    new = commands.add_parser(
        "new",
        help="generate a new source project",
        description=(
            "Generate a Segment source project. Asks for the answers in a terminal; without one, "
            "give them with --data / --data-file."
        ),
    )
    new.add_argument(
        "dest", nargs="?", help="the new project's directory (default: ./<slug>-source)"
    )
    _add_answer_flags(new, "an answer")
    new.add_argument(
        "--defaults", action="store_true", help="accept every default instead of asking"
    )
    new.add_argument("--force", action="store_true", help="write into a non-empty directory")
    new.add_argument(
        "--pretend", action="store_true", help="list what would be written; write nothing"
    )
    new.add_argument("--no-git", action="store_true", help="skip git init and the first commit")
    new.set_defaults(run=_cmd_new)
    _add_check_and_docs(commands)
    _add_submit(commands)

    update = commands.add_parser(
        "update",
        help="update a project to this version's template, keeping your edits",
        description=(
            "Update a generated project to the template of this segment-source version with "
            "copier's three-way merge. The project must be a clean git work tree; conflicts are "
            "written inline and make the command exit 1, as do your edits to files the new "
            "template renamed (carried to the new path) or deleted (kept); confirm each with `git "
            "add`. Without a terminal, answer new questions with --data."
        ),
    )
    update.add_argument(
        "project", nargs="?", default=".", help="the project's directory (default: .)"
    )
    _add_answer_flags(update, "an answer to a question this version adds")
    update.add_argument(
        "--pretend", action="store_true", help="show what would change; touch nothing"
    )
    update.add_argument(
        "--check",
        action="store_true",
        help=(
            "only compare versions: exit 0 up to date, 2 update available, 1 project newer than "
            "this segment-source"
        ),
    )
    update.add_argument("--json", action="store_true", help="with --check: print JSON")
    update.set_defaults(run=_cmd_update)

    _debugger_command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except GeneratorError as exc:
        # The one place errors reach the terminal: whatever a message quotes, no raw escape.
        print(f"error: {printable(str(exc), keep=chr(10))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("aborted; nothing was written", file=sys.stderr)
        return 130
    return code
