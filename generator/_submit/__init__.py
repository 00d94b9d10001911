"""``segment-source submit``: everything Segment's review asks for, in one folder.

``submission/`` (git-ignored in a generated project) holds:

- ``portal.md``: the Developer Portal's catalog fields, in its order (:mod:`._portal`);
- ``segment-docs.patch``: the page as a ``git format-patch`` for segment-docs (:mod:`._patch`);
- ``evidence/``: the sample scenario's Source Debugger verdicts (:mod:`._evidence`);
- ``checklist.md``: the Public Beta Checklist with each status (:mod:`._checklist`).

The folder is built in a staging directory beside it and renamed into place, so a
failure leaves nothing half-written; no write key or other secret goes into it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .._check import Report, check
from .._project import Project
from ..errors import GeneratorError, show
from . import _checklist, _evidence, _patch, _portal
from ._patch import Branch

__all__ = ["SubmitResult", "submit"]

DEFAULT_OUT = "submission"
MARKER = ".segment-source-submission"  # tells a folder submit wrote from a user's own
_SECRET_NAMES = ("KEY", "SECRET", "TOKEN", "PASSWORD")


@dataclass(frozen=True)
class SubmitResult:
    """What :func:`submit` wrote."""

    out: Path
    files: tuple[str, ...]
    report: Report
    evidence_ok: bool
    branch: Branch | None


def _secrets(project: Project) -> list[str]:
    """Secret values this run could know: SEGMENT_* and *KEY/SECRET/TOKEN variables, .env's."""
    pairs = list(os.environ.items())
    env_file = project.root / ".env"
    if env_file.is_file() and not env_file.is_symlink():
        for line in env_file.read_text(encoding="utf-8", errors="replace")[:65536].splitlines():
            name, sep, value = line.partition("=")
            if sep:
                pairs.append((name.strip().removeprefix("export "), value.strip().strip("'\"")))
    return [
        value
        for name, value in pairs
        if len(value) >= 8
        and (name.startswith("SEGMENT_") or any(word in name.upper() for word in _SECRET_NAMES))
    ]


def _refuse_red(report: Report) -> None:
    red = [item for item in report.items if item.status.value == "red"]
    if red:
        listed = "; ".join(f"{item.id}: {item.message}" for item in red)
        raise GeneratorError(
            f"`segment-source check` is red, so nothing was written: {listed}",
            "fix the red items (run `segment-source check`), "
            "or pass --force to write the folder anyway",
        )


def _out_dir(project: Project, out: str | os.PathLike[str] | None) -> Path:
    target = Path(out).absolute() if out is not None else project.root / DEFAULT_OUT
    if target.exists() and not (target.is_dir() and (target / MARKER).is_file()):
        raise GeneratorError(
            f"`{show(str(target))}` exists and was not written by `segment-source submit`",
            "move it away, or pass another folder with --out",
        )
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_tree(root: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def submit(
    project: str | os.PathLike[str] | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    segment_docs: str | os.PathLike[str] | None = None,
    force: bool = False,
) -> SubmitResult:
    """Write the submission folder of the project at ``project`` (default: the current directory).

    Args:
        project: The project directory.
        out: The folder to write (default: ``<project>/submission``); a folder an earlier
            ``submit`` wrote is replaced, any other existing path refused.
        segment_docs: A local clone of a segment-docs fork: the page is also committed on a
            new branch ``<slug>/source`` there (nothing is pushed).
        force: Write even while ``check`` is red.

    Returns:
        A :class:`SubmitResult`.

    Raises:
        GeneratorError: not a project, ``check`` red without ``force``, the output path
            taken, a bad segment-docs clone, or a secret found in what would be written.
    """
    proj = Project.load(project)
    _portal.ensure_fields(proj)
    report = check(proj.root)
    if not force:
        _refuse_red(report)
    target = _out_dir(proj, out)
    change = _patch.change(proj)
    evidence = _evidence.run(proj)
    title = str(proj.meta("name", "integration_name"))
    files: dict[str, bytes] = {
        MARKER: b"Written by segment-source submit; replaced on the next run.\n",
        "portal.md": _portal.render(proj, report).encode(),
        "segment-docs.patch": _patch.format_patch(change),
        "checklist.md": _checklist.render(report, evidence.ok).encode(),
        **{f"evidence/{k}": v.encode() for k, v in _evidence.files(evidence, title).items()},
    }
    for secret in _secrets(proj):
        leaked = [name for name, data in files.items() if secret.encode() in data]
        if leaked:
            raise GeneratorError(
                f"a secret from the environment or .env appears in {', '.join(leaked)}; "
                "nothing was written",
                "remove the secret from catalog/metadata.yml, the docs page or the sample, "
                "then run again",
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it 0700; a folder to share is not
        _write_tree(staging, files)
        made = _patch.branch(change, Path(segment_docs), proj.slug) if segment_docs else None
        old = None
        if target.exists():
            old = target.with_name(f"{staging.name}.old")
            target.rename(old)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return SubmitResult(
        target, tuple(sorted(f for f in files if f != MARKER)), report, evidence.ok, made
    )
