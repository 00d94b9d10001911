"""``segment-source check``: review a generated project the way Segment's launch review would.

One module per concern; each returns :class:`Item` objects built with the generator's own
rules (``_rules``, ``_segment``, ``_metadata``), so ``new`` and ``check`` never disagree.
"""

from __future__ import annotations

import os

from .._project import Project
from . import _catalog, _client, _logos, _page, _promises, _readiness, _secrets, _spec
from ._report import Item, Report, Status

__all__ = ["Item", "Report", "Status", "check"]


def check(project: str | os.PathLike[str] | None = None) -> Report:
    """Review the project at ``project`` (default: the current directory).

    Returns:
        A :class:`Report`: one item per concern; ``report.ok`` is False when one is red.

    Raises:
        GeneratorError: ``project`` is not a project made by ``segment-source new``.
    """
    proj = Project.load(project)
    report = Report(proj.root)
    for concern in (_catalog, _logos, _page, _promises, _spec, _client, _secrets, _readiness):
        report.items.extend(concern.check(proj))
    return report
