"""Rendering the template: the tree, the answers, the catalog entry, the page, the logos."""

from __future__ import annotations

import subprocess
import tomllib
import xml.etree.ElementTree as ET

import pytest
from ruamel.yaml import YAML

from generator import _segment
from generator._answers import complete, validate
from generator._metadata import read

from .conftest import SCENARIO_NAMES, load_scenario

US_EMAIL_TREE = [
    ".copier-answers.yml",
    ".env.example",
    ".github/workflows/ci.yml",
    ".gitignore",
    "Dockerfile",
    "README.md",
    "catalog/logo.svg",
    "catalog/mark.svg",
    "catalog/metadata.yml",
    "docs/index.md",
    "docs/segment-source.md",
    "docs/stylesheets/preview.css",
    "mkdocs.yml",
    "pyproject.toml",
]


def _expected(name):
    return validate(complete(load_scenario(name)))


def test_tree_of_a_us_email_project(rendered):
    files = rendered("us-email").files
    assert [f for f in files if not f.startswith(("src/", "tests/"))] == US_EMAIL_TREE
    package = [f for f in files if f.startswith("src/")]
    assert (
        "src/acme_mail_source/client.py" in package and "src/acme_mail_source/events.py" in package
    )
    assert "src/acme_mail_source/py.typed" in package
    assert any(f.startswith("tests/test_") for f in files)
    assert not any("__pycache__" in f or f.endswith(".jinja") for f in files)


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_answers_file_round_trips(rendered, name):
    result = rendered(name)
    saved = YAML(typ="safe").load((result.path / ".copier-answers.yml").read_text(encoding="utf-8"))
    expected = _expected(name)
    assert {k: v for k, v in saved.items() if not k.startswith("_")} == expected
    assert result.answers == expected


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_catalog_entry_matches_answers(rendered, name):
    entry = read(rendered(name).path)
    expected = _expected(name)
    assert entry["name"] == expected["integration_name"]
    assert entry["description"] == expected["description"]
    assert dict(entry["regions"]) == {
        k: _segment.regions()[k]["endpoint"] for k in expected["regions"]
    }


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_docs_page_lists_the_chosen_spec_events_and_region_support(rendered, name):
    expected = _expected(name)
    page = (rendered(name).path / "docs" / "segment-source.md").read_text(encoding="utf-8")
    front, body = page.split("---\n")[1:3]
    # A new source is in beta until Segment lists it as GA (the lifecycle answer).
    assert YAML(typ="safe").load(front) == {
        "title": f"{expected['integration_name']} Source",
        "beta": True,
    }
    headings = [line for line in body.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Getting started",
        "## Stream",
        "## Events",
        "## Event Properties",
        "## Adding Destinations",
    ]
    assert f"maintained by {expected['maintainer']}" in body
    assert f"mailto:{expected['support_email']}" in body
    events_table = body.split("## Events")[1].split("## Event Properties")[0]
    rows = [
        line.split("|")[1].strip()
        for line in events_table.splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    assert rows[1:] == [e.name for e in _segment.spec_events(expected["event_families"])]
    eu = _segment.regions()["eu"]["endpoint"]
    # segment-docs' pages put the region include right after the front matter (the
    # generated-part marker comments aside) and nothing for sources that send to the EU.
    first = next(line for line in body.splitlines() if line and not line.startswith("<!--"))
    if "eu" in expected["regions"]:
        assert eu in body and "source-region-unsupported" not in body
        assert first == '> info ""'
    else:
        assert eu not in body
        assert first == "{% include content/source-region-unsupported.md %}"


def test_email_page_uses_the_exact_spec_names(rendered):
    page = (rendered("us-email").path / "docs" / "segment-source.md").read_text(encoding="utf-8")
    for name in [
        "Email Bounced",
        "Email Delivered",
        "Email Link Clicked",
        "Email Marked as Spam",
        "Email Opened",
        "Unsubscribed",
    ]:
        assert f"| {name} |" in page
    assert "`link_url`" in page and "Email Clicked" not in page


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_logo_and_mark_are_svg_and_the_mark_is_square(rendered, name):
    catalog = rendered(name).path / "catalog"
    for svg in ("logo.svg", "mark.svg"):
        root = ET.parse(catalog / svg).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.get("aria-label") == _expected(name)["integration_name"]
    mark = ET.parse(catalog / "mark.svg").getroot()
    assert mark.get("width") == mark.get("height")


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_project_metadata_files_parse(rendered, name):
    path = rendered(name).path
    pyproject = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == f"{_expected(name)['slug']}-source"
    assert _expected(name)["integration_name"] in pyproject["project"]["description"]
    mkdocs = YAML(typ="safe").load((path / "mkdocs.yml").read_text(encoding="utf-8"))
    assert mkdocs["theme"]["name"] == "material"
    assert {"attr_list", "admonition"} <= {
        e if isinstance(e, str) else next(iter(e)) for e in mkdocs["markdown_extensions"]
    }


def test_slug_starting_with_a_digit_gets_an_importable_package(rendered):
    files = rendered("tricky").files
    assert "src/source_1_acme_mail_source/__init__.py" in files


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_project_is_one_clean_commit(rendered, name):
    path = rendered(name).path
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=path, capture_output=True, text=True, check=True
    ).stdout
    assert log.count("\n") == 1 and log.startswith("Generate ")
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=path, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_no_generated_file_holds_an_unrendered_template_tag(rendered):
    for name in SCENARIO_NAMES:
        root = rendered(name).path
        for file in rendered(name).files:
            text = (root / file).read_text(encoding="utf-8")
            if name == "tricky" and file in {".copier-answers.yml", "catalog/metadata.yml"}:
                continue  # the answers themselves contain "{{ 7*7 }}"
            if file == "src/segment_docs_preview.py":
                continue  # copied as it is (no .jinja suffix); it documents segment-docs' Liquid
            if "/service/templates/" in file:
                continue  # the settings page: Jinja2 templates the service renders at run time
            # The page is in segment-docs' dialect: Liquid's region and beta includes are
            # meant to stay.
            text = text.replace("{% include content/source-region-unsupported.md %}", "")
            text = text.replace("{% include content/beta-note.md %}", "")
            assert "{%" not in text, file
