"""A freshly generated project passes ``check``; a directory that is not one gets a clear error."""

from __future__ import annotations

import json

import pytest

from generator import GeneratorError, Status, check
from generator._cli import main

from ._check_projects import copy, edit, pristine

EXPECTED_IDS = [
    "catalog.fields",
    "catalog.name",
    "catalog.slug",
    "catalog.description",
    "catalog.website",
    "catalog.categories",
    "catalog.support_email",
    "catalog.maintainer",
    "catalog.regions",
    "catalog.event_families",
    "catalog.docs_links",
    "logos.logo",
    "logos.mark",
    "docs.page",
    "docs.sections",
    "docs.regions",
    "docs.events",
    "docs.markup",
    "docs.dialect",
    "docs.identity",
    "docs.getting_started",
    "docs.lifecycle",
    "spec.names",
    "spec.coverage",
    "client.syntax",
    "client.integration",
    "client.auth",
    "client.regions",
    "secrets.files",
    "secrets.history",
    "project.tests",
    "project.test_account",
]


@pytest.fixture(params=[("us",), ("us", "eu")], ids=["us-only", "us-eu"], scope="module")
def fresh(request, tmp_path_factory):
    return pristine(tmp_path_factory.getbasetemp(), request.param)


def test_fresh_project_is_green_but_the_test_account(fresh):
    """Every item is green but the placeholders, which are yellow: the test account, the docs
    links, the logo and the mark."""
    report = check(fresh)
    assert [item.id for item in report.items] == EXPECTED_IDS
    not_green = {item.id: item.status for item in report.items if item.status is not Status.GREEN}
    assert not_green == {
        "project.test_account": Status.YELLOW,
        "catalog.docs_links": Status.YELLOW,
        "logos.logo": Status.YELLOW,
        "logos.mark": Status.YELLOW,
    }
    assert report.ok
    assert report.exit_code == 0


def test_fresh_project_regions_notice_matches_its_regions(fresh):
    """The docs item says which regions notice the page carries."""
    message = check(fresh).item("docs.regions").message
    assert ("EU section present" in message) == fresh.name.endswith("eu")


def test_cli_text_report_has_one_line_per_item_and_exits_0(fresh, capsys):
    """The text report starts each item's line with its status and id, then a summary."""
    assert main(["check", str(fresh)]) == 0
    out = capsys.readouterr().out
    for item_id in EXPECTED_IDS:
        assert any(
            line.split()[:2] in (["green", item_id], ["yellow", item_id])
            for line in out.splitlines()
        ), item_id
    assert "fix: fill them in catalog/metadata.yml" in out
    assert out.rstrip().splitlines()[-1].startswith("32 items: 28 green, 4 yellow, 0 red")


def test_cli_json_report_is_the_same_report(fresh, capsys):
    """``--json`` prints the items with their statuses, for CI."""
    assert main(["check", str(fresh), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True
    assert data["counts"] == {"green": 28, "yellow": 4, "red": 0}
    assert [item["id"] for item in data["items"]] == EXPECTED_IDS
    assert {i["id"]: i["status"] for i in data["items"]}["project.test_account"] == "yellow"


def test_check_defaults_to_the_current_directory(fresh, monkeypatch, capsys):
    monkeypatch.chdir(fresh)
    assert main(["check"]) == 0
    assert f"Launch readiness of {fresh}" in capsys.readouterr().out


def test_filled_test_account_turns_green(tmp_path, fresh):
    """Once the test account is filled in and the logos replaced, the project is all green."""
    project = copy(fresh, tmp_path / "p")
    edit(project / "catalog/metadata.yml", 'username: "CHANGE-ME"', 'username: "qa@acme.example"')
    edit(
        project / "catalog/metadata.yml",
        'password: "CHANGE-ME"',
        'password: "shared in the Developer Portal"',
    )
    edit(
        project / "catalog/metadata.yml",
        'notes: "CHANGE-ME"',
        'notes: "Send a campaign to yourself."',
    )
    edit(
        project / "catalog/metadata.yml",
        'partner_docs_url: "CHANGE-ME"',
        'partner_docs_url: "https://acme.example/docs/segment"',
    )
    edit(
        project / "catalog/metadata.yml",
        'catalog_url: "CHANGE-ME"',
        'catalog_url: "https://segment.com/catalog/integrations/acme-mail/"',
    )
    for svg in ("logo.svg", "mark.svg"):
        edit(project / "catalog" / svg, "segment-source:placeholder", "Acme's own artwork")
    report = check(project)
    assert report.counts() == {"green": 32, "yellow": 0, "red": 0}


@pytest.mark.parametrize(
    "present",
    [[], [".copier-answers.yml"], ["catalog/metadata.yml"]],
    ids=["empty", "no-catalog", "no-answers"],
)
def test_not_a_project_is_a_clear_error(tmp_path, capsys, present):
    """A directory without the answers file or the catalog is refused, naming path and fix."""
    for name in present:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("name: x\n", encoding="utf-8")
    with pytest.raises(GeneratorError) as caught:
        check(tmp_path)
    assert str(tmp_path) in caught.value.message
    assert "segment-source new" in caught.value.hint
    assert main(["check", str(tmp_path)]) == 1
    assert main(["docs", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(tmp_path) in err and "hint:" in err
