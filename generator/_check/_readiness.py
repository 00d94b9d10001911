"""The project's own readiness: its tests, and the test account Segment's QA logs in with."""

from __future__ import annotations

from collections.abc import Mapping

from .. import _metadata
from .._project import Project
from ._catalog import expected_fields
from ._report import Item, green, yellow

FILE = _metadata.METADATA_PATH.as_posix()


def _tests(project: Project) -> Item:
    found = sorted(p.name for p in (project.root / "tests").glob("test_*.py"))
    if not found:
        return yellow(
            "project.tests",
            "tests/ has no test_*.py files",
            "restore the generated tests (they send to a loopback sink, never to Segment) and run "
            "pytest",
        )
    return green("project.tests", f"{len(found)} test files: {', '.join(found)}")


def _test_account(project: Project) -> Item:
    account = project.metadata.get("test_account")
    fields = [
        path.split(".", 1)[1] for path in expected_fields() if path.startswith("test_account.")
    ]
    values = account if isinstance(account, Mapping) else {}
    unfilled = [f for f in fields if values.get(f) in (None, "", _metadata.PLACEHOLDER)]
    if unfilled:
        return yellow(
            "project.test_account",
            f"test_account {', '.join(unfilled)} still {_metadata.PLACEHOLDER!r} or empty",
            f"fill them in {FILE} (or give them in the Developer Portal): Segment's QA logs in "
            "with this account",
        )
    return green("project.test_account", "test account given for Segment's QA")


def check(project: Project) -> list[Item]:
    """``project.tests`` and ``project.test_account``."""
    return [_tests(project), _test_account(project)]
