"""The few git commands the generator runs in a project."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .errors import GeneratorError

# Used only when the user has no git identity, so the first commit never fails.
_FALLBACK_IDENTITY = ["-c", "user.name=segment-source", "-c", "user.email=segment-source@localhost"]


def run(
    project: Path, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run git in ``project`` and return the finished process, whatever its exit code."""
    try:
        return subprocess.run(
            ["git", *args],
            cwd=project,
            input=stdin,
            capture_output=True,
            check=False,
            env={**os.environ, **env} if env else None,
        )
    except FileNotFoundError:
        raise GeneratorError("git is not installed", "install git, or pass --no-git") from None


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
        stderr = done.stderr.decode(errors="replace").strip()
        raise GeneratorError(f"`git {' '.join(args)}` failed in {project}: {stderr}", hint)
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
    probe = subprocess.run(
        ["git", "config", "user.email"], cwd=project, capture_output=True, check=False
    )
    return probe.returncode == 0


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

    def run(*args: str) -> subprocess.CompletedProcess[str] | None:
        try:
            return subprocess.run(
                ["git", *args],
                cwd=path.parent,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None

    top = run("rev-parse", "--show-toplevel")
    if top is None or top.returncode != 0 or not top.stdout.strip():
        return None
    ignored = run("check-ignore", "--quiet", "--", path.name)
    if ignored is None or ignored.returncode == 0:
        return None
    return Path(top.stdout.strip())
