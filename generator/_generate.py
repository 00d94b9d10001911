"""``generate()``: render the template into a new project, atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _answers, _copier, _git, _metadata, _source
from ._about import __version__
from .errors import AnswerError, DestinationError, MissingAnswersError, show


@dataclass(frozen=True)
class Result:
    """What :func:`generate` did: the project path, its answers and the files written."""

    path: Path
    answers: dict[str, Any]
    files: tuple[str, ...]
    committed: bool


def _listing(root: Path) -> tuple[str, ...]:
    return tuple(
        sorted(
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(root).parts
        )
    )


def _check_destination(dst: Path, overwrite: bool) -> None:
    if dst.is_symlink():
        target = os.readlink(dst)
        state = "" if dst.exists() else ", which points nowhere"
        raise DestinationError(
            f"destination {show(str(dst))} is a symbolic link (to {show(target)}{state})",
            "give the real directory path, or a new one; a link is never written through",
        )
    if dst.exists() and not dst.is_dir():
        raise DestinationError(
            f"destination {show(str(dst))} is a file",
            "give a directory path that does not exist yet",
        )
    if dst.is_dir() and any(dst.iterdir()) and not overwrite:
        raise DestinationError(
            f"destination {show(str(dst))} is not empty",
            "choose a new directory, or pass --force to write into it (files the template owns are "
            "replaced)",
        )


def _render(staging: Path, answers: Mapping[str, Any]) -> None:
    # The public URL and this build's commit are what the answers file records, so a later
    # update (ours, or plain `copier update` from a clone) finds this exact template again.
    build = _source.history().build
    _copier.copy(staging, answers, {_source.template_ref(): build}, _source.template_ref())
    _source.record_commit(staging / _answers.ANSWERS_FILE, build)
    _metadata.write(staging, answers)


def _existing_ancestor(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _plan(staging: Path, dst: Path, relative: Path = Path()) -> list[tuple[Path, Path]]:
    """The moves that put ``staging`` into an existing ``dst``: (staged path, target path).

    A staged directory whose target is a real directory is merged into it, entry by entry;
    anything else (a file, a symlink, a directory where a file goes) is replaced whole.
    ``lstat`` only: a symlink in ``dst`` is an entry to replace, never a way in, so
    nothing is written outside ``dst``.
    """
    moves = []
    for item in sorted((staging / relative).iterdir()):
        rel = relative / item.name
        target = dst / rel
        if item.is_dir() and not item.is_symlink() and target.is_dir() and not target.is_symlink():
            moves += _plan(staging, dst, rel)
        else:
            moves.append((item, target))
    return moves


def _remove(target: Path) -> None:
    if target.is_symlink() or not target.is_dir():
        target.unlink(missing_ok=True)
    else:
        shutil.rmtree(target)  # a real directory; rmtree unlinks the symlinks inside it


def _move_into(staging: Path, dst: Path) -> None:
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staging, dst)  # staging sits on dst's filesystem
        return
    moves = _plan(staging, dst)
    # Check every move before making the first, so a refusal leaves dst as it was.
    for _, target in moves:
        if not os.access(target.parent, os.W_OK | os.X_OK):
            raise DestinationError(
                f"cannot write in {show(str(target.parent))}: permission denied",
                "make it writable, or give another destination",
            )
    for item, target in moves:
        if target.is_symlink() or target.exists():
            _remove(target)
        os.rename(item, target)


def generate(
    dst: str | os.PathLike[str],
    answers: Mapping[str, Any],
    *,
    overwrite: bool = False,
    pretend: bool = False,
    git: bool = True,
) -> Result:
    """Render a Segment source project into ``dst``.

    Args:
        dst: the new project's directory; it must not exist or be empty, unless ``overwrite``.
        answers: the answers, keyed by the questions of ``copier.yml``; missing ones with
            a default get it.
        overwrite: write into a non-empty ``dst``, replacing the files the template owns.
        pretend: render nothing into ``dst``; return the files that would be written.
        git: ``git init`` and commit the new project (skipped when ``dst`` is already a repo).

    Returns:
        A :class:`Result`.

    Raises:
        AnswerError: an answer breaks a rule; nothing is written.
        MissingAnswersError: a required answer is missing; nothing is written.
        DestinationError: ``dst`` is not empty (and not ``overwrite``) or not a directory.
    """
    dst = Path(dst).absolute()
    _answers.check_keys(answers)
    filled = _answers.complete(answers)
    missing = _answers.missing(filled)
    if missing:
        raise MissingAnswersError(missing)
    try:
        valid = _answers.validate(filled)
    except AnswerError as exc:
        if exc.field == "slug" and "slug" not in answers:
            raise AnswerError(
                "slug",
                filled["slug"],
                "(suggested from integration_name) breaks the slug rule",
                "give one with --data slug=..., e.g. `acme-mail`",
            ) from None
        raise
    _check_destination(dst, overwrite)

    # Render in dst's nearest existing ancestor (its filesystem, so the final move is a
    # rename), and never leave the staging copy behind, whatever fails.
    where = _existing_ancestor(dst.parent)
    try:
        staging_root = Path(tempfile.mkdtemp(prefix=".segment-source-", dir=where))
    except OSError as exc:
        raise DestinationError(
            f"cannot write in {show(str(where))}: {exc.strerror}",
            "give a destination in a directory you can write to",
        ) from None
    try:
        staging = staging_root / "project"
        _render(staging, valid)
        files = _listing(staging)
        if pretend:
            return Result(dst, valid, files, committed=False)
        commit = git and not (dst / ".git").exists()
        if commit:
            _git.init_and_commit(
                staging,
                f"Generate {valid['integration_name']} source (segment-source {__version__})",
            )
        try:
            _move_into(staging, dst)
        except OSError as exc:
            raise DestinationError(
                f"cannot write {show(str(exc.filename or dst))}: {exc.strerror}",
                "check the destination's permissions and free space, then run again",
            ) from None
        return Result(dst, valid, files, committed=commit)
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)
