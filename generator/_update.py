"""``update()``: move a generated project to this version's template, keeping the user's edits.

copier does the three-way merge (``run_update`` with ``conflict="inline"``); around it the
generator refuses what copier would half-do (a dirty tree, a project that is not ours, a
downgrade, a template version the bundle does not carry, a new question nobody answered),
applies its migrations, carries over the user's edits to files the new template renamed or
deleted (``_carry``: copier drops them silently), and afterwards finds every conflict,
because copier returns normally even when it leaves some.

``catalog/metadata.yml`` is written by ``generate()`` after rendering; it is not a template
file, so copier never sees it and an update never touches it. After generation it is the
user's file (``segment-source check`` reviews it).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import Version
from ruamel.yaml.error import YAMLError

from . import _answers, _carry, _copier, _git, _migrations, _paths, _source
from ._about import __version__
from ._carry import CarriedEdit
from .errors import MissingAnswersError, UpdateError

ANSWERS_FILE = _answers.ANSWERS_FILE
log = logging.getLogger(__name__)
_HINT = "fix git in the project, then run segment-source update again"


@dataclass(frozen=True)
class UpdateCheck:
    """How the project's template version compares with the installed generator's."""

    project: Path
    current_version: str
    latest_version: str
    update_available: bool
    project_newer: bool = False

    @property
    def exit_code(self) -> int:
        """``update --check``'s exit code: 0 up to date, 2 update available, 1 project newer."""
        return 1 if self.project_newer else 2 if self.update_available else 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``copier check-update --output-format json``, plus the project."""
        return {
            "update_available": self.update_available,
            "current_version": self.current_version,
            "latest_version": self.latest_version,
            "project_newer": self.project_newer,
            "project": str(self.project),
        }


@dataclass(frozen=True)
class UpdateResult:
    """What :func:`update` did (or, with ``pretend``, would do) to a project."""

    project: Path
    from_version: str
    to_version: str
    updated: bool
    pretend: bool
    changed: tuple[str, ...]
    conflicts: tuple[str, ...]
    rejects: tuple[str, ...]
    migrations: tuple[str, ...]
    diffstat: str
    carried: tuple[CarriedEdit, ...] = ()


@dataclass(frozen=True)
class _State:
    project: Path
    answers_path: Path
    answers: dict[str, Any]
    commit: str  # `_commit` as the project records it
    template: str | None  # the template commit of the history it names (None: a later build's)
    version: Version
    relation: _source.Relation

    def tags(self, **more: str) -> dict[str, str]:
        """The project's template under its recorded name, plus ``more``, for copier to see."""
        if self.template is None:  # only a newer project has none, and it is refused first
            raise UpdateError(f"{self.project} was made by a later segment-source", "upgrade it")
        return {self.commit: self.template, **more}


def _locate(project: Path, commit: str) -> tuple[str | None, Version, _source.Relation]:
    """Find the project's template in this build's history and compare it with this build's.

    Raises:
        UpdateError: no build in this segment-source's history recorded ``commit`` (a fork,
            a hand-edited ``_commit``); nothing is touched.
    """
    history = _source.history()
    found = history.find(commit)
    named = history.version_named(commit)
    if found is None and named is not None and named > Version(__version__):
        return None, named, "newer"  # made by a later build than this one: its history is ahead
    if found is None:
        shown = ", ".join(history.releases) or "none yet"
        raise UpdateError(
            f"{project} records template `{commit}` (`_commit` in {ANSWERS_FILE}), which no "
            f"build in this segment-source's history ({__version__}) made (releases: {shown})",
            "update with the segment-source that made the project (a build of a fork carries "
            "its own history), or set `_commit` to the release or commit it started from in "
            f"{ANSWERS_FILE}, commit, and run segment-source update again",
        )
    if found.approximate:
        log.warning(
            "%s was made by a build of a modified checkout (%s); its committed template stands in "
            "for the old version, so uncommitted template changes of that build count as "
            "your edits",
            project,
            commit,
        )
    return found.commit, history.version(found.commit), history.relation(found.commit)


def _inspect(project: Path) -> _State:
    try:
        loaded = _answers.read_answers_file(project)
    except FileNotFoundError:
        raise UpdateError(
            f"{project} has no {ANSWERS_FILE}",
            "give the directory of a project made by segment-source new",
        ) from None
    except YAMLError as exc:
        raise UpdateError(
            f"{project / ANSWERS_FILE} is not valid YAML: {exc}",
            f"restore it from git (git checkout -- {ANSWERS_FILE})",
        ) from None
    if not isinstance(loaded, dict):
        raise UpdateError(
            f"{project / ANSWERS_FILE} is not a mapping of answers",
            f"restore it from git (git checkout -- {ANSWERS_FILE})",
        )
    src, commit = loaded.get("_src_path"), loaded.get("_commit")
    if commit is None or not isinstance(commit, str) or not commit.strip():
        raise UpdateError(
            f"{project} records no template version (`_commit`); it predates updatable projects",
            "generate a new project with this segment-source and carry your changes over",
        )
    if src not in (_source.TEMPLATE_URL, *_source.LEGACY_URLS):
        raise UpdateError(
            f"{project} was generated from `{src}`, not from the segment-source template",
            "update it with plain `copier update`",
        )
    answers = {str(k): v for k, v in loaded.items() if not str(k).startswith("_")}
    template, version, relation = _locate(project, commit)
    return _State(project, project / ANSWERS_FILE, answers, commit, template, version, relation)


def _require_clean(project: Path) -> None:
    _git.git(
        project,
        "rev-parse",
        "--show-toplevel",
        hint="updates need git: `git init && git add -A && git commit`, "
        "then run segment-source update again",
    )
    status = _git.git(
        project, "status", "--porcelain", "--untracked-files=all", hint=_HINT
    ).splitlines()
    if status:
        shown = ", ".join(line[3:] for line in status[:5]) + (", ..." if len(status) > 5 else "")
        raise UpdateError(
            f"{project} has uncommitted changes ({shown})",
            "commit or stash them (untracked files count too), "
            "then run segment-source update again",
        )


def check_update(project: str | os.PathLike[str] = ".") -> UpdateCheck:
    """Compare the template of ``project`` with this generator's, both ways.

    Raises:
        UpdateError: ``project`` was not generated by segment-source, or records a build
            this generator's history does not hold (so an update could not run).
    """
    state = _inspect(Path(project).absolute())
    return UpdateCheck(
        state.project,
        state.commit,
        _source.history().describe(_source.history().build),
        state.relation == "older",
        state.relation == "newer",
    )


def _refuse_newer(state: _State) -> None:
    if state.relation == "newer":
        raise UpdateError(
            f"{state.project} uses template `{state.commit}` (version {state.version}), newer than "
            f"this segment-source ({__version__})",
            "upgrade segment-source to the build that made the project or a later one; "
            "downgrades are not supported",
        )


def missing_answers(
    project: str | os.PathLike[str] = ".", data: Mapping[str, Any] | None = None
) -> list[str]:
    """The questions this version adds without a default that the project and ``data`` leave open.

    Raises:
        UpdateError: the project cannot be updated by this generator (see :func:`update`).
    """
    state = _inspect(Path(project).absolute())
    _refuse_newer(state)
    return _missing(state, _migrations.pending(state.version, Version(__version__)), data or {})


def _missing(
    state: _State, migrations: list[_migrations.Migration], data: Mapping[str, Any]
) -> list[str]:
    known = _migrations.renamed(state.answers, migrations, list(_answers.questions()))
    return [key for key in _answers.required_keys() if key not in known and key not in data]


def _conflicts(project: Path, changed: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the (conflicted, rejected) files of ``project`` after an update."""
    listed = _git.git(
        project, "diff", "--name-only", "-z", "--relative", "--diff-filter=U", hint=_HINT
    )
    unmerged = set(filter(None, listed.split("\0")))
    status = _git.git(
        project, "status", "--porcelain", "-z", "--untracked-files=all", "--ignored", hint=_HINT
    )
    rejects = sorted(
        {
            entry[3:]
            for entry in status.split("\0")
            if entry.endswith(".rej") and entry[:2] in ("??", "!!")
        }
    )
    marked = set()
    for name in changed:
        path = project / name
        if path.is_file() and not path.is_symlink():
            lines = path.read_bytes().splitlines()
            if any(x.startswith(b"<<<<<<<") for x in lines) and any(
                x.startswith(b">>>>>>>") for x in lines
            ):
                marked.add(name)
    return tuple(sorted(unmerged | marked)), tuple(rejects)


def _render_old(state: _State) -> dict[str, bytes]:
    """A fresh render of the project's recorded template with its answers (as copier's update)."""
    with tempfile.TemporaryDirectory(prefix="segment-source-old.") as tmp:
        dst = Path(tmp) / "old"
        _copier.copy(dst, state.answers, state.tags(), state.commit)
        return {
            p.relative_to(dst).as_posix(): p.read_bytes()
            for p in dst.rglob("*")
            if p.is_file() and not p.is_symlink()
        }


def _run(
    project: Path,
    state: _State,
    migrations: list[_migrations.Migration],
    data: Mapping[str, Any],
) -> tuple[tuple[str, ...], tuple[CarriedEdit, ...]]:
    """Apply the migrations, copier's update, then carry over dropped edits; undo all on failure."""
    from copier.errors import CopierError  # half a second to import: only when updating

    head = _git.git(project, "rev-parse", "HEAD", hint=_HINT).strip()
    applied: list[str] = []
    try:
        migrated = _migrations.renamed(state.answers, migrations, list(_answers.questions()))
        if _migrations.write_answers(state.answers_path, migrated):
            applied = [f"v{m.version}: {m.summary}" for m in migrations if m.renamed_answers]
            _git.commit(
                project,
                "segment-source update: migrate answers (" + "; ".join(applied) + ")",
                ANSWERS_FILE,
            )
        build = _source.history().build
        target = _source.template_ref()
        _copier.update(project, data, state.tags(**{target: build}), target)
        _source.record_commit(project / ANSWERS_FILE, build)
        # copier removed the files the new template no longer has; only then is a render of
        # the old version needed, to tell the user's edits from the template's own text.
        tracked = _carry.head_files(project, head)
        gone = _carry.vanished(project, tracked)
        carried = []
        if gone:
            old = _render_old(state)
            carried = _carry.carry_over(
                project, head, tracked, gone, old, _migrations.renamed_files()
            )
    except BaseException as exc:
        # The tree was clean before: put it back exactly (the migration commit included).
        _git.git(project, "reset", "--quiet", "--hard", head, hint=_HINT)
        _git.git(project, "clean", "--quiet", "-d", "--force", hint=_HINT)
        if isinstance(exc, (CopierError, ValueError)):
            raise UpdateError(
                f"copier could not update {project}: {exc}",
                "nothing was changed; fix the cause and retry",
            ) from exc
        raise
    return tuple(applied), tuple(carried)


def _pretend(
    state: _State, migrations: list[_migrations.Migration], data: Mapping[str, Any]
) -> UpdateResult:
    top = Path(_git.git(state.project, "rev-parse", "--show-toplevel", hint=_HINT).strip())
    with tempfile.TemporaryDirectory(prefix="segment-source-pretend.") as tmp:
        clone_top = Path(tmp) / "project"
        _git.git(
            Path(tmp), "clone", "--quiet", "--no-hardlinks", str(top), str(clone_top), hint=_HINT
        )
        clone = clone_top / state.project.resolve().relative_to(top.resolve())
        head = _git.git(clone, "rev-parse", "HEAD", hint=_HINT).strip()
        moved = _State(
            clone,
            clone / ANSWERS_FILE,
            state.answers,
            state.commit,
            state.template,
            state.version,
            state.relation,
        )
        return _updated(state, clone, head, *_run(clone, moved, migrations, data), pretend=True)


def _updated(
    state: _State,
    worktree: Path,
    head: str,
    applied: tuple[str, ...],
    carried: tuple[CarriedEdit, ...],
    *,
    pretend: bool,
) -> UpdateResult:
    """The result of an update that ran in ``worktree`` (the project, or its pretend clone)."""
    diffstat, changed = _git.worktree_diff(worktree, head)
    conflicts, rejects = _conflicts(worktree, changed)
    to = _source.history().describe(_source.history().build)
    return UpdateResult(
        state.project,
        state.commit,
        to,
        True,
        pretend,
        changed,
        conflicts,
        rejects,
        applied,
        diffstat,
        carried,
    )


def update(
    project: str | os.PathLike[str] = ".",
    data: Mapping[str, Any] | None = None,
    *,
    pretend: bool = False,
) -> UpdateResult:
    """Update ``project`` to the template of this segment-source version, keeping the user's edits.

    The changes are left uncommitted for review (migrations, if any, are committed first, so
    that copier finds a clean tree). Conflicts are written inline (``<<<<<<< before updating``)
    and the files are marked unmerged in git. A file the user edited that the new template
    renamed or deleted is carried to its new path or kept, and marked unmerged too
    (``result.carried``).

    Args:
        project: the generated project (a clean git work tree).
        data: answers to questions this version adds, e.g. ``{"license": "MIT"}``.
        pretend: update a temporary clone instead, and report what would change.

    Returns:
        An :class:`UpdateResult`; its ``conflicts``, ``rejects`` and ``carried`` list what
        awaits the user.

    Raises:
        UpdateError: the project is dirty, not a segment-source project, newer than this
            generator, or made from a template version this generator does not carry;
            nothing is changed.
        MissingAnswersError: this version adds a question without a default that ``data``
            does not answer; nothing is changed.
        AnswerError: an answer in ``data`` breaks a rule; nothing is changed.
    """
    state = _inspect(Path(project).absolute())
    _require_clean(state.project)
    linked_out = _paths.leading_out(
        state.project, _git.git(state.project, "ls-files", "-z", hint=_HINT).split("\0")
    )
    if linked_out:
        raise UpdateError(
            f"{state.project} has files that lead outside it through symlinks: "
            f"{', '.join(linked_out[:5])}",
            "copier would write through them: replace each link with the file itself, commit, "
            "then update",
        )
    target = Version(__version__)
    _refuse_newer(state)
    given = dict(data or {})
    _answers.check_keys(given)
    given = _answers.validate(given)
    migrations = _migrations.pending(state.version, target)
    missing = _missing(state, migrations, given)
    if missing:
        raise MissingAnswersError(missing, defaults_flag=False)  # update has no --defaults
    if state.relation == "same" and not given:
        return UpdateResult(
            state.project, state.commit, state.commit, False, pretend, (), (), (), (), ""
        )
    if pretend:
        return _pretend(state, migrations, given)
    head = _git.git(state.project, "rev-parse", "HEAD", hint=_HINT).strip()
    applied, carried = _run(state.project, state, migrations, given)
    return _updated(state, state.project, head, applied, carried, pretend=False)
