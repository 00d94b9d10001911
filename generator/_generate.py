"""``generate()``: render the template into a new project, atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _answers, _git, _metadata, _source
from ._about import __version__
from .errors import AnswerError, DestinationError, MissingAnswersError


@dataclass(frozen=True)
class Result:
    """What :func:`generate` did: the project path, its answers and the files written."""

    path: Path
    answers: dict[str, Any]
    files: tuple[str, ...]
    committed: bool


def _listing(root: Path) -> tuple[str, ...]:
    return tuple(sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    ))


def _check_destination(dst: Path, overwrite: bool) -> None:
    if dst.exists() and not dst.is_dir():
        raise DestinationError(f"destination `{dst}` is a file", "give a directory path that does not exist yet")
    if dst.is_dir() and any(dst.iterdir()) and not overwrite:
        raise DestinationError(
            f"destination `{dst}` is not empty",
            "choose a new directory, or pass --force to write into it (files the template owns are replaced)",
        )


def _render(staging: Path, answers: Mapping[str, Any]) -> None:
    # Imported here: copier takes about half a second to import, and --help should not wait.
    import copier

    # The public URL and the version tag are what the answers file records, so a later
    # update (ours or plain `copier update`) finds this exact template again; the bundle
    # serves them offline (generator/_source.py).
    with _source.offline_template():
        copier.run_copy(
            _source.TEMPLATE_URL,
            staging,
            data=dict(answers),
            vcs_ref=_source.template_ref(),
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
        )
    _metadata.write(staging, answers)


def _existing_ancestor(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _move_into(staging: Path, dst: Path) -> None:
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staging, dst)  # a rename: staging sits on dst's filesystem
        return
    for item in staging.iterdir():
        target = dst / item.name
        if target.is_dir() and not target.is_symlink() and item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        else:
            if target.is_dir():
                shutil.rmtree(target)
            shutil.move(str(item), target)


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
        answers: the answers (see design.md); missing ones with a default get it.
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
            raise AnswerError("slug", filled["slug"], "(suggested from integration_name) breaks the slug rule",
                              "give one with --data slug=..., e.g. `acme-mail`") from None
        raise
    _check_destination(dst, overwrite)

    # Render in dst's nearest existing ancestor (its filesystem, so the final move is a
    # rename), and never leave the staging copy behind, whatever fails.
    staging_root = Path(tempfile.mkdtemp(prefix=".segment-source-", dir=_existing_ancestor(dst.parent)))
    try:
        staging = staging_root / "project"
        _render(staging, valid)
        files = _listing(staging)
        if pretend:
            return Result(dst, valid, files, committed=False)
        commit = git and not (dst / ".git").exists()
        if commit:
            _git.init_and_commit(staging, f"Generate {valid['integration_name']} source (segment-source {__version__})")
        _move_into(staging, dst)
        return Result(dst, valid, files, committed=commit)
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)
