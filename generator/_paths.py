"""Paths and reads that a tampered project cannot turn against its user.

Every command takes paths from files the user (or an attacker) can edit: the page path in
``catalog/metadata.yml``, the logo paths, the files git tracks. Two helpers guard them:

- :func:`inside` resolves a path under a project root and refuses one that leaves it,
  by ``..``, by being absolute, or through a symlink anywhere along the way;
- :func:`read_text` reads a regular file only, never more than a size cap, and never
  blocks (a FIFO) or streams forever (a symlink to ``/dev/zero``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from .errors import UnsafePathError, show

# Project files we parse (YAML, Markdown, Python, SVG) are kilobytes; a megabyte-scale cap
# leaves room for hand edits while keeping a hostile file from costing gigabytes.
MAX_TEXT_BYTES = 4 * 1024 * 1024


def inside(root: Path, relative: str | os.PathLike[str], what: str) -> Path:
    """Return ``root / relative`` after checking that it stays inside ``root``.

    The check is made on the resolved path, so a symlink at any level (the file or one
    of its parents) that points out of the project is refused like ``../..`` is. The
    path need not exist yet.

    Args:
        root: the project directory.
        relative: a path from a project file, relative to ``root``.
        what: where the path came from, for the error (e.g. ``catalog/metadata.yml docs.page``).

    Raises:
        UnsafePathError: the path is absolute, or resolves outside ``root``.
    """
    text = os.fspath(relative)
    fix = (
        "give a path relative to the project, inside it (e.g. `docs/segment-source.md`),"
        " with no symlink leading out"
    )
    if not text or "\0" in text or PurePosixPath(text).is_absolute() or Path(text).is_absolute():
        raise UnsafePathError(f"{what} {show(text)} is not a relative path inside the project", fix)
    real_root = root.resolve()
    candidate = root / text
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise UnsafePathError(
            f"{what} {show(text)} cannot be resolved (a symlink loop?)", fix
        ) from None
    if resolved != real_root and not resolved.is_relative_to(real_root):
        raise UnsafePathError(
            f"{what} {show(text)} leads outside the project (to {show(str(resolved), 240)})", fix
        )
    return candidate


def read_text(path: Path, what: str, limit: int = MAX_TEXT_BYTES) -> str:
    """Read a UTF-8 text file: a regular file only, at most ``limit`` bytes.

    Opened non-blocking, so a FIFO does not hang the command; checked with ``fstat``
    after opening, so what is read is what was checked.

    Raises:
        UnsafePathError: not a regular file, larger than ``limit``, or not UTF-8 text.
        FileNotFoundError: the file does not exist (callers decide what missing means).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise UnsafePathError(
            f"{what} {show(str(path), 240)} cannot be read: {exc.strerror}",
            "check the file's permissions",
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePathError(
                f"{what} {show(str(path), 240)} is not a regular file", "give a plain text file"
            )
        if info.st_size > limit:
            raise UnsafePathError(
                f"{what} {show(str(path), 240)} is {info.st_size:,} bytes, over the {limit:,}-byte "
                "limit",
                "give the file it should be: it is far larger than any file of a project",
            )
        with os.fdopen(os.dup(fd), "rb") as stream:
            data = stream.read(limit + 1)  # the file may grow after fstat
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UnsafePathError(
            f"{what} {show(str(path), 240)} grew past the {limit:,}-byte limit while read",
            "give a file that is not being written",
        )
    if b"\0" in data:
        raise UnsafePathError(
            f"{what} {show(str(path), 240)} is a binary file, not text", "give a UTF-8 text file"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafePathError(
            f"{what} {show(str(path), 240)} is not UTF-8 text (byte {exc.start})",
            "save it as UTF-8",
        ) from None


def within(root: Path, path: Path) -> bool:
    """True when ``path`` (under ``root``), symlinks resolved, is still inside ``root``."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def leading_out(root: Path, names: list[str]) -> list[str]:
    """The ``names`` (relative to ``root``) that resolve outside it through a symlink.

    A tool that writes those paths (copier, during an update) would write through the link.
    """
    return [name for name in names if name and not within(root, root / name)]


def is_regular(path: Path) -> bool:
    """True when ``path`` itself (not a symlink's target) is a regular file."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False
