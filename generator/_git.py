"""The few git commands the generator runs in a project."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .errors import GeneratorError

# Used only when the user has no git identity, so the first commit never fails.
_FALLBACK_IDENTITY = ["-c", "user.name=segment-source", "-c", "user.email=segment-source@localhost"]


def git(project: Path, *args: str, hint: str = "fix git, or pass --no-git") -> str:
    """Run git in ``project``; return its stdout or raise :class:`GeneratorError`."""
    try:
        done = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise GeneratorError("git is not installed", "install git, or pass --no-git") from None
    if done.returncode != 0:
        raise GeneratorError(f"`git {' '.join(args)}` failed in {project}: {done.stderr.strip()}", hint)
    return done.stdout


def _has_identity(project: Path) -> bool:
    probe = subprocess.run(["git", "config", "user.email"], cwd=project, capture_output=True, check=False)
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
    git(project, *identity, "commit", "--quiet", "--no-verify", "-m", message, "--", *paths, hint="fix git in the project")


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
            return subprocess.run(["git", *args], cwd=path.parent, capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None

    top = run("rev-parse", "--show-toplevel")
    if top is None or top.returncode != 0 or not top.stdout.strip():
        return None
    ignored = run("check-ignore", "--quiet", "--", path.name)
    if ignored is None or ignored.returncode == 0:
        return None
    return Path(top.stdout.strip())
