"""Running copier: the one place that says how the generator calls it.

Every render and update answers from the data given (``defaults=True``: no question is
asked on a terminal), replaces what the template owns (``overwrite=True``), prints
nothing of copier's own (``quiet=True``) and never runs template tasks or migrations
(``unsafe=False``). The template URL is served offline from the bundle
(:func:`generator._source.offline_template`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, TypedDict

from . import _source
from ._answers import ANSWERS_FILE


class Flags(TypedDict):
    """The keyword arguments every copier call of the generator takes."""

    defaults: bool
    overwrite: bool
    quiet: bool
    unsafe: bool


FLAGS: Final[Flags] = {"defaults": True, "overwrite": True, "quiet": True, "unsafe": False}


def copy(dst: Path, data: Mapping[str, Any], tags: Mapping[str, str], vcs_ref: str) -> None:
    """Render the template at ``vcs_ref`` (one of ``tags``: name -> history commit) into ``dst``."""
    import copier  # half a second to import: only when rendering

    with _source.offline_template(tags):
        copier.run_copy(_source.TEMPLATE_URL, dst, data=dict(data), vcs_ref=vcs_ref, **FLAGS)


def update(project: Path, data: Mapping[str, Any], tags: Mapping[str, str], vcs_ref: str) -> None:
    """Update ``project`` to the template at ``vcs_ref``, conflicts written inline.

    Args:
        project: the project, whose ``_commit`` must be among ``tags``.
        data: answers to new questions.
        tags: tag name -> history commit, the only tags copier sees (see
            :func:`generator._source.offline_template`).
        vcs_ref: the tag to update to.

    Raises:
        copier.errors.CopierError: copier refused or failed.
    """
    import copier

    with _source.offline_template(tags):
        copier.run_update(
            project,
            data=dict(data),
            answers_file=ANSWERS_FILE,
            vcs_ref=vcs_ref,
            conflict="inline",
            **FLAGS,
        )
