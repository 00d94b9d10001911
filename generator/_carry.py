"""Carry over the edits an update would drop: files the template renamed or deleted.

copier's update removes every file of the old template that the new template no longer
renders, whether or not the user edited it (``_remove_old_files`` in copier's
``_main.py``), and reports nothing. This module runs after copier, while the project's
``HEAD`` still holds the user's files: every tracked file the update removed is compared
with a fresh render of the old template version; if the user had changed it (or the
template never had it), the change is carried over:

* to the file's new path, when the template renamed it (declared in the migrations table,
  or detected by content, as git does: at least half the lines alike), with a three-way
  merge (base: the old template's file, ours: the user's, theirs: the new template's);
* otherwise back to its old path, as the user left it.

Either way git records the file as unmerged (the stages copier uses for its own
conflicts: 1 old template, 2 the user's, 3 the new template), so ``git commit`` refuses
until the user confirms with ``git add`` (or ``git rm`` to accept a deletion).
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import _git

_HINT = (
    "fix git in the project; your files are safe in the last commit (git checkout HEAD -- <file>)"
)
# Rename detection reads whole files; bigger ones are only matched by a declared rename.
_MAX_COMPARE = 512 * 1024
_SIMILAR = 0.5  # git's default rename threshold (`-M50%`)
_ZERO = "0" * 40


@dataclass(frozen=True)
class CarriedEdit:
    """A file the user changed that the new template renamed or deleted, and where it went."""

    path: str
    new_path: str | None
    clean: bool
    how: str = ""

    def describe(self) -> str:
        """One line for the report."""
        if self.new_path is None:
            return (
                f"{self.path}: the template deleted it; your version is kept "
                "(git rm it to accept the deletion)"
            )
        merged = "merged cleanly" if self.clean else "with conflicts marked <<<<<<< / >>>>>>>"
        return (
            f"{self.new_path}: the template renamed {self.path} to it ({self.how}); "
            f"your edits were carried over, {merged}"
        )


@dataclass(frozen=True)
class _Entry:
    mode: str
    sha: str


def head_files(project: Path, head: str) -> dict[str, _Entry]:
    """The files of ``head`` under ``project``, as project-relative path -> (mode, blob)."""
    listed = _git.git(project, "ls-tree", "-r", "-z", head, hint=_HINT)
    entries = {}
    for record in filter(None, listed.split("\0")):
        meta, path = record.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob":
            entries[path] = _Entry(mode, sha)
    return entries


def vanished(project: Path, tracked: Mapping[str, _Entry]) -> list[str]:
    """The files committed at the update's start that are no longer in the work tree."""
    return sorted(path for path in tracked if not os.path.lexists(project / path))


def _declared_target(path: str, renames: Mapping[str, str]) -> str | None:
    """Where a declared rename sends ``path``; ``*`` stands for one path segment."""
    for old, new in renames.items():
        pattern = (
            "^"
            + "/".join("([^/]+)" if part == "*" else re.escape(part) for part in old.split("/"))
            + "$"
        )
        match = re.match(pattern, path)
        if match:
            groups = iter(match.groups())
            return "/".join(next(groups) if part == "*" else part for part in new.split("/"))
    return None


def _similarity(a: bytes, b: bytes) -> float:
    if a == b:
        return 1.0
    if b"\0" in a or b"\0" in b or max(len(a), len(b)) > _MAX_COMPARE:
        return 0.0
    matcher = difflib.SequenceMatcher(None, a.splitlines(), b.splitlines(), autojunk=False)
    return (
        matcher.ratio()
        if matcher.real_quick_ratio() >= _SIMILAR and matcher.quick_ratio() >= _SIMILAR
        else 0.0
    )


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None


def _renamed_to(
    project: Path,
    path: str,
    base: bytes | None,
    renames: Mapping[str, str],
    added: Sequence[str],
    taken: set[str],
) -> tuple[str, str] | None:
    """The new path of ``path`` and how it was found, or None when the template dropped it."""
    declared = _declared_target(path, renames)
    if declared is not None and declared in added:
        return declared, "declared in segment-source's migrations"
    if base is None:
        return None
    scored = []
    for candidate in added:
        content = _read(project / candidate)
        if candidate not in taken and content is not None:
            scored.append((_similarity(base, content), candidate))
    best = max(scored, default=(0.0, ""))
    if best[0] >= _SIMILAR:
        return best[1], f"{round(best[0] * 100)}% alike"
    return None


def _blob(project: Path, content: bytes) -> str:
    with tempfile.NamedTemporaryFile(prefix="segment-source-blob.") as tmp:
        tmp.write(content)
        tmp.flush()
        return _git.git(project, "hash-object", "-w", "--", tmp.name, hint=_HINT).strip()


def _merge(project: Path, ours: bytes, base: bytes, theirs: bytes) -> tuple[bytes, bool] | None:
    """Three-way merge with copier's labels; (result, clean), or None for binary files."""
    with tempfile.TemporaryDirectory(prefix="segment-source-merge.") as tmp:
        names = []
        for name, content in (("ours", ours), ("base", base), ("theirs", theirs)):
            (Path(tmp) / name).write_bytes(content)
            names.append(str(Path(tmp) / name))
        done = _git.run(
            project,
            "merge-file",
            "-p",
            "-L",
            "before updating",
            "-L",
            "last update",
            "-L",
            "after updating",
            *names,
        )
    if done.returncode < 0 or done.returncode > 127:  # git's error (binary files): -1 -> 255
        return None
    return done.stdout, done.returncode == 0


def _mark_unmerged(
    project: Path, path: str, stages: Mapping[int, _Entry], moved_from: str | None = None
) -> None:
    """Record ``path`` as unmerged in the index, with the given stages (copier's numbering).

    ``moved_from`` (a renamed file's old path) leaves the index, as after git's own merge of
    a rename, so ``git status`` shows the move and ``git commit`` needs no ``git rm``.
    """
    prefix = _git.git(project, "rev-parse", "--show-prefix", hint=_HINT).strip()
    full = prefix + path
    lines = [f"0 {_ZERO}\t{prefix + old}" for old in filter(None, [moved_from])]
    lines += [f"0 {_ZERO}\t{full}"] + [
        f"{e.mode} {e.sha} {n}\t{full}" for n, e in sorted(stages.items())
    ]
    top = Path(_git.git(project, "rev-parse", "--show-toplevel", hint=_HINT).strip())
    _git.git(top, "update-index", "--index-info", hint=_HINT, stdin="\n".join(lines) + "\n")


def _file_mode(path: Path) -> str:
    return "100755" if os.access(path, os.X_OK) else "100644"


def carry_over(
    project: Path,
    head: str,
    tracked: Mapping[str, _Entry],
    gone: Sequence[str],
    old: Mapping[str, bytes],
    renames: Mapping[str, str],
) -> list[CarriedEdit]:
    """Put back every edited file in ``gone``; return what was carried where.

    Args:
        project: the project, just updated by copier.
        head: the commit the update started from (it holds the user's files).
        tracked: :func:`head_files` of ``head``.
        gone: :func:`vanished` files.
        old: a fresh render of the project's old template version (path -> content).
        renames: declared file renames of the migrations crossed (old path -> new path).
    """
    added = _git.git(project, "ls-files", "-z", "--others", "--exclude-standard", hint=_HINT).split(
        "\0"
    )
    added = sorted(filter(None, added))
    # Declared targets are spoken for before any file is matched by content.
    taken = {t for t in (_declared_target(path, renames) for path in gone) if t is not None}
    carried = []
    for path in gone:
        entry, base = tracked[path], old.get(path)
        user = _git.git_bytes(project, "cat-file", "blob", entry.sha, hint=_HINT)
        if base is not None and user == base:
            continue  # unedited: the template's rename or deletion stands
        target = (
            _renamed_to(project, path, base, renames, added, taken)
            if entry.mode != "120000"
            else None
        )
        merged = None
        if target is not None:
            theirs = (project / target[0]).read_bytes()
            merged = _merge(project, user, base if base is not None else b"", theirs)
        if target is not None and merged is not None:
            new_path, how = target
            taken.add(new_path)
            (project / new_path).write_bytes(merged[0])
            stages = {2: entry, 3: _Entry(_file_mode(project / new_path), _blob(project, theirs))}
            if base is not None:
                stages[1] = _Entry(entry.mode, _blob(project, base))
            _mark_unmerged(project, new_path, stages, moved_from=path)
            carried.append(CarriedEdit(path, new_path, merged[1], how))
        else:
            # From the commit, so the mode (and a symlink) come back exactly as they were.
            _git.git(project, "checkout", head, "--", path, hint=_HINT)
            stages = {2: entry}
            if base is not None:
                stages[1] = _Entry(entry.mode, _blob(project, base))
            _mark_unmerged(project, path, stages)
            carried.append(CarriedEdit(path, None, False))
    return carried
