"""Running git: the one way the generator calls it (outside the template's bundle build).

:func:`run` returns the finished process whatever its exit code; :func:`git` and
:func:`git_bytes` raise :class:`GeneratorError` with git's own message when it fails;
:func:`stream` hands over a long output (``git log -p``) to read as it comes.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import GeneratorError

# Used only when the user has no git identity, so the first commit never fails.
_FALLBACK_IDENTITY = ["-c", "user.name=segment-source", "-c", "user.email=segment-source@localhost"]
_MISSING_HINT = "install git, then run the command again"
_MAX_STDERR = 4096  # what an error quotes of git's stderr


def _cannot_start(project: Path, exc: OSError) -> GeneratorError:
    if isinstance(exc, FileNotFoundError) and exc.filename in ("git", None):
        return GeneratorError("git is not installed (no `git` on PATH)", _MISSING_HINT)
    return GeneratorError(  # a missing or unreadable directory, an unrunnable git
        f"cannot run git in {project}: {exc.strerror or exc}",
        "check that the directory exists and that you may run git there",
    )


def _failed(project: Path, args: Sequence[str], stderr: bytes, hint: str) -> GeneratorError:
    said = stderr[:_MAX_STDERR].decode(errors="replace").strip() or "no message"
    return GeneratorError(f"`git {' '.join(args)}` failed in {project}: {said}", hint)


def run(
    project: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run git in ``project`` and return the finished process, whatever its exit code.

    Raises:
        GeneratorError: git is not installed, or did not finish within ``timeout`` seconds.
    """
    try:
        return subprocess.run(
            ["git", *args],
            cwd=project,
            input=stdin,
            capture_output=True,
            check=False,
            env={**os.environ, **env} if env else None,
            timeout=timeout,
        )
    except OSError as exc:
        raise _cannot_start(project, exc) from None
    except subprocess.TimeoutExpired:
        raise GeneratorError(
            f"`git {' '.join(args)}` did not finish in {timeout:g} s in {project}",
            "check the repository (a lock file, a hung hook or filter), then run again",
        ) from None


def git_bytes(
    project: Path,
    *args: str,
    hint: str = "fix git, or pass --no-git",
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Run git in ``project``; return its stdout as bytes or raise :class:`GeneratorError`."""
    done = run(project, *args, stdin=None if stdin is None else stdin.encode(), env=env)
    if done.returncode != 0:
        raise _failed(project, args, done.stderr, hint)
    return done.stdout


def git(
    project: Path,
    *args: str,
    hint: str = "fix git, or pass --no-git",
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run git in ``project``; return its stdout or raise :class:`GeneratorError`."""
    return git_bytes(project, *args, hint=hint, stdin=stdin, env=env).decode(
        errors="surrogateescape"
    )


@contextmanager
def stream(project: Path, *args: str, hint: str = "fix git in the project") -> Iterator[IO[bytes]]:
    """Run git in ``project``; yield its stdout, to be read to the end as it comes.

    For outputs too long to hold (``git log -p --all``). git's stderr goes to a temporary
    file, so a chatty git cannot block on a full pipe.

    Raises:
        GeneratorError: git is missing, or exits non-zero (raised once the reading is
            done, quoting git's stderr).
    """
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                ["git", *args], cwd=project, stdout=subprocess.PIPE, stderr=errors
            )
        except OSError as exc:
            raise _cannot_start(project, exc) from None
        with process:
            assert process.stdout is not None  # stdout=PIPE
            yield process.stdout
        if process.returncode != 0:
            errors.seek(0)
            raise _failed(project, args, errors.read(_MAX_STDERR), hint)


def worktree_diff(project: Path, base: str = "HEAD") -> tuple[str, tuple[str, ...]]:
    """The diffstat and changed paths of ``project``'s work tree against ``base``.

    Counted the way a commit of everything would be (new files included, renames found),
    through a throwaway index, so the real one, with its unmerged entries, is untouched and
    no "Unmerged" line shows.
    """
    with tempfile.TemporaryDirectory(prefix="segment-source-index.") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        hint = "fix git in the project"
        git(project, "read-tree", base, hint=hint, env=env)
        git(project, "add", "--all", "--", ".", hint=hint, env=env)
        diff = ["diff", "--cached", "--relative", "-M", base]
        stat = git(project, *diff, "--stat", hint=hint, env=env)
        listed = git(project, *diff, "--name-only", "-z", hint=hint, env=env)
    return stat, tuple(filter(None, listed.split("\0")))


def _has_identity(project: Path) -> bool:
    return run(project, "config", "user.email").returncode == 0


def init_and_commit(project: Path, message: str) -> None:
    """Make ``project`` a git repository holding one commit of everything in it."""
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "--all")
    identity = [] if _has_identity(project) else _FALLBACK_IDENTITY
    git(project, *identity, "commit", "--quiet", "--no-verify", "-m", message)


def commit(project: Path, message: str, *paths: str) -> None:
    """Commit ``paths`` in ``project`` (with a fallback identity when the user has none)."""
    identity = [] if _has_identity(project) else _FALLBACK_IDENTITY
    git(project, "add", "--", *paths, hint="fix git in the project")
    git(
        project,
        *identity,
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        message,
        "--",
        *paths,
        hint="fix git in the project",
    )


def enclosing_work_tree(path: Path) -> Path | None:
    """Return the top of another git work tree in which ``path`` shows as untracked.

    A project generated inside a clone (say, of this generator) is its own repository,
    and the enclosing one lists it as untracked unless its ``.gitignore`` covers it.

    Returns:
        The enclosing work tree's top directory, or None when there is none, git is
        missing, or the enclosing repository ignores ``path``.
    """

    def ask(*args: str) -> subprocess.CompletedProcess[bytes] | None:
        try:
            return run(path.parent, *args, timeout=30)
        except GeneratorError:  # no git, or a hung one: there is nothing to warn about
            return None

    top = ask("rev-parse", "--show-toplevel")
    if top is None or top.returncode != 0 or not top.stdout.strip():
        return None
    ignored = ask("check-ignore", "--quiet", "--", path.name)
    if ignored is None or ignored.returncode == 0:
        return None
    return Path(os.fsdecode(top.stdout.strip()))
