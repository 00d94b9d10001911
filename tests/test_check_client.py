"""``client.*`` read the package's code, not its text: a comment naming what is needed is not it.

Each case takes the code that satisfies an item out of a fresh project and leaves a comment
or a docstring that names it. The files are found by what they hold, not by their names,
so the cases survive a rearranged package.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import Status, check

from ._check_projects import PACKAGE, commit, copy, pristine


def package_files(project: Path) -> list[Path]:
    return sorted(p for p in (project / "src" / PACKAGE).rglob("*.py") if p.name != "spec.py")


def replace_in_package(project: Path, old: str, new: str) -> int:
    """Replace ``old`` in every module of the package (spec.py aside); return how many held it."""
    held = 0
    for path in package_files(project):
        text = path.read_text(encoding="utf-8")
        if old in text:
            held += 1
            path.write_text(text.replace(old, new), encoding="utf-8")
    assert held, f"no module of the package holds {old!r}"
    return held


def header_named_in_a_comment(project: Path) -> None:
    replace_in_package(project, '"Authorization": ', '"X-Write-Key": ')
    first = package_files(project)[0]
    first.write_text(
        first.read_text(encoding="utf-8")
        + '\n# headers["Authorization"] = "Basic " + ...\n\n\ndef _note() -> None:\n'
        '    """Sends "Authorization" with every request."""\n',
        encoding="utf-8",
    )


def colon_encoding_in_a_comment(project: Path) -> None:
    replace_in_package(
        project,
        'b64encode(f"{write_key}:".encode())',
        'b64encode(f"{write_key}".encode())  # was b64encode(f"{write_key}:".encode())',
    )


def integration_in_a_comment(project: Path) -> None:
    replace_in_package(
        project,
        'ctx["integration"] = _INTEGRATION',
        'pass  # ctx["integration"] = {"name": spec.INTEGRATION_SLUG}',
    )


def endpoints_in_a_comment(project: Path) -> None:
    spec = project / "src" / PACKAGE / "spec.py"
    spec.write_text(
        spec.read_text(encoding="utf-8") + "\nENDPOINTS = REGION_ENDPOINTS\n", encoding="utf-8"
    )
    replace_in_package(project, "spec.REGION_ENDPOINTS", "spec.ENDPOINTS")
    first = package_files(project)[0]
    first.write_text(
        first.read_text(encoding="utf-8") + "\n# posts to spec.REGION_ENDPOINTS[region]\n",
        encoding="utf-8",
    )


CASES = {
    "client.auth header": (header_named_in_a_comment, "client.auth"),
    "client.auth colon": (colon_encoding_in_a_comment, "client.auth"),
    "client.integration": (integration_in_a_comment, "client.integration"),
    "client.regions": (endpoints_in_a_comment, "client.regions"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_comment_naming_the_code_does_not_satisfy_the_item(case, tmp_path, tmp_path_factory):
    breaks, item_id = CASES[case]
    project = copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "project")
    assert check(project).item(item_id).status is Status.GREEN
    breaks(project)
    commit(project, "Only a comment names it")
    report = check(project)
    assert report.item("client.syntax").status is Status.GREEN  # the edit still compiles
    assert report.item(item_id).status is Status.RED, report.item(item_id)
