"""The [service] extra as rendered: its docs sections, and the page labels they quote."""

from __future__ import annotations

import ast

import pytest

from .conftest import SCENARIO_NAMES


def _labels(project) -> dict[str, str]:
    pages = next(project.glob("src/*/service/pages.py")).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(pages)):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "LABELS":
            return ast.literal_eval(node.value)
    raise AssertionError("pages.py has no LABELS")


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_readme_and_site_describe_the_page_with_its_own_labels(rendered, name):
    project = rendered(name).path
    labels = _labels(project)
    assert set(labels.values()) == {
        "Segment write key",
        "Region",
        "Save",
        "Send test event",
        "Disconnect",
    }
    for doc in ("README.md", "docs/index.md"):
        text = (project / doc).read_text(encoding="utf-8")
        section = text.split("## Connect your customers\n", 1)[1]
        for label in labels.values():
            assert f"**{label}**" in section, (doc, label)
    template = next(project.glob("src/*/service/templates/settings.html")).read_text(
        encoding="utf-8"
    )
    for key in labels:
        assert f"labels.{key}" in template or f"labels[{key!r}]" in template, key
