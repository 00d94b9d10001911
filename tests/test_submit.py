"""``segment-source submit``: the folder a partner sends with Segment's review."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from generator import render_docs
from generator._cli import main
from generator._submit import submit
from generator.errors import GeneratorError

from ._check_projects import commit, copy, edit, git, pristine

KEY = "9q1ZpR4vS2mX7bN3kL8dF5hJ0wQ6tY1u"  # shaped like a real write key
PAGE = "src/connections/sources/catalog/cloud-apps/acme-mail/index.md"
REFERENCE = json.loads((Path(__file__).parent / "reference" / "developer-portal.json").read_text())


@pytest.fixture
def project(tmp_path_factory, tmp_path):
    return copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "acme-mail-source")


def segment_docs_fixture(root: Path) -> Path:
    """A git repository laid out like segment-docs' default branch, with one cloud-app page."""
    other = root / "src/connections/sources/catalog/cloud-apps/other-app"
    other.mkdir(parents=True)
    (other / "index.md").write_text("---\ntitle: Other App Source\n---\n", encoding="utf-8")
    (root / "src/_includes/content").mkdir(parents=True)
    (root / "src/_includes/content/beta-note.md").write_text("beta\n", encoding="utf-8")
    git(root, "init", "--quiet", "--initial-branch=develop")
    commit(root, "segment-docs as it is")
    return root


def written(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_the_patch_applies_with_git_am_and_holds_the_exported_page(project, tmp_path):
    """`git am` applies segment-docs.patch on a segment-docs layout; its page is
    `docs --export`'s."""
    out = submit(project, out=tmp_path / "submission").out
    docs = segment_docs_fixture(tmp_path / "segment-docs")
    git(docs, "am", "--quiet", str(out / "segment-docs.patch"))
    assert git(docs, "log", "-1", "--format=%s").strip() == "Add the Acme Mail source (acme-mail)"
    exported = render_docs(project, export=tmp_path / "export").export
    assert exported is not None
    assert (docs / PAGE).read_bytes() == exported.path.read_bytes()
    assert git(docs, "status", "--porcelain") == ""


def test_a_referenced_image_travels_with_the_page(project, tmp_path):
    """An image the page references is added beside it in segment-docs, byte for byte."""
    image = bytes(range(256)) * 4
    (project / "docs/images").mkdir()
    (project / "docs/images/settings.png").write_bytes(image)
    page = project / "docs/segment-source.md"
    page.write_text(
        page.read_text() + "\n![The settings page](images/settings.png)\n", encoding="utf-8"
    )
    out = submit(project, out=tmp_path / "submission").out
    docs = segment_docs_fixture(tmp_path / "segment-docs")
    git(docs, "am", "--quiet", str(out / "segment-docs.patch"))
    assert (docs / PAGE).parent.joinpath("images/settings.png").read_bytes() == image


def test_an_image_outside_the_docs_folder_is_refused(project, tmp_path):
    """A page that references ../ is refused with the fix, and nothing is written."""
    page = project / "docs/segment-source.md"
    page.write_text(page.read_text() + "\n![x](../catalog/logo.svg)\n", encoding="utf-8")
    with pytest.raises(GeneratorError, match="outside its own folder"):
        submit(project, out=tmp_path / "submission")
    assert not (tmp_path / "submission").exists()


def test_portal_lists_every_catalog_field_in_the_portals_order(project, tmp_path):
    """portal.md has one row per Developer Portal field, in Segment's order, valued from the
    catalog."""
    text = (submit(project, out=tmp_path / "s").out / "portal.md").read_text()
    rows = [line.split(" | ") for line in text.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [row[1] for row in rows] == REFERENCE["portal_fields"]["labels"]
    values = {row[1]: row[2] for row in rows}
    assert values["Name"] == "Acme Mail" and values["Slug"] == "acme-mail"
    assert values["Description"] == "Email for teams."
    assert values["Website"] == "https://acme.example"
    assert values["Primary category"] == "Email Marketing"
    assert values["Customer support email"] == "support@acme.example"
    assert values["Logo"] == "catalog/logo.svg" and values["Mark"] == "catalog/mark.svg"
    lengths = {row[1]: row[3] for row in rows}
    assert lengths["Description"] == "16 (at most 500)"
    assert "SVG, 120x120" in lengths["Mark"] and "square" in lengths["Mark"]


def test_portal_shows_a_description_over_segments_limit(project, tmp_path):
    """A description over 500 characters is counted and marked over (with --force: check is red)."""
    edit(project / "catalog/metadata.yml", 'description: "Email for teams."',
         'description: "' + "x" * 501 + '"')  # fmt: skip
    text = (submit(project, out=tmp_path / "s", force=True).out / "portal.md").read_text()
    assert "| 501 (at most 500) OVER |" in text


def test_a_wide_mark_is_reported_not_square(project, tmp_path):
    """The mark's facts say it is not square when its drawing is wider than tall."""
    edit(project / "catalog/mark.svg", 'viewBox="0 0 120 120"', 'viewBox="0 0 240 120"')
    edit(project / "catalog/mark.svg", 'width="120"', 'width="240"')
    text = (submit(project, out=tmp_path / "s", force=True).out / "portal.md").read_text()
    assert "SVG, 240x120" in text and "NOT square" in text


def test_the_evidence_lists_every_sample_event_passing(project, tmp_path):
    """evidence/ holds each sample call's JSON and verdict, and a report saying all passed."""
    out = submit(project, out=tmp_path / "s").out
    names = ["Email Delivered", "Email Opened", "Email Link Clicked", "Unsubscribed"]
    events = [json.loads(p.read_text()) for p in sorted((out / "evidence/events").glob("*.json"))]
    assert [e["name"] for e in events] == names
    assert {e["status"] for e in events} == {"pass"}
    assert all(e["payload"]["context"]["integration"]["name"] == "acme-mail" for e in events)
    report = (out / "evidence/report.md").read_text()
    assert "Every one of the 4 sample events passed" in report
    for name in names:
        assert re.search(rf"\| {name} \| \*\*pass\*\* \|", report)
    html = (out / "evidence/report.html").read_text()
    assert "Every one of the 4 sample events passed" in html and html.count('class="pass"') == 4


def test_an_event_that_fails_the_debugger_is_named_in_the_report(project, tmp_path):
    """A sample that sends a look-alike of a Spec name gets a fail verdict and the report says
    which."""
    sample = next(project.glob("src/*/events.py"))
    edit(sample, '"Email Opened"', '"EMAIL OPENED"', count=10)
    out = submit(project, out=tmp_path / "s", force=True).out
    report = (out / "evidence/report.md").read_text()
    assert "1 of 4 sample events did not pass" in report
    assert re.search(r"\| EMAIL OPENED \| \*\*fail\*\* \| .*Email Opened", report)
    assert "**red** Test component" in (out / "checklist.md").read_text()


def test_the_checklist_follows_segments_order_with_a_status_each(project, tmp_path):
    """checklist.md has Segment's items in its order, each green/yellow/red or a partner step."""
    text = (submit(project, out=tmp_path / "s").out / "checklist.md").read_text()
    items = re.findall(r"^- \[[ x]\] \*\*(\w+)\*\* (.+?)(?: \(| — )", text, re.MULTILINE)
    assert [t for _, t in items] == REFERENCE["checklist"]["items"]
    status = {t: s for s, t in items}
    assert status["Create Segment account and request access for Dev Center"] == "partner"
    assert status["Provision a test account in your service"] == "partner"
    assert (
        status["Login metadata: username, password, notes for logging in and testing"] == "yellow"
    )
    assert status["Build one or more components"] == "green"
    assert status["Add your Component to a Workspace"] == "partner"  # the test workspace ID


def test_a_red_check_refuses_and_writes_nothing(project, tmp_path, capsys):
    """While check is red, submit exits 1 naming the red item and writes nothing; --force writes."""
    (project / "catalog/logo.svg").unlink()
    out = tmp_path / "submission"
    assert main(["submit", str(project), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "logos.logo" in err and "--force" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [project]
    assert main(["submit", str(project), "--out", str(out), "--force"]) == 0
    assert (out / "portal.md").is_file()


def test_no_secret_lands_in_the_folder(project, tmp_path, monkeypatch):
    """A write key in the environment and in .env appears in no file written, nor the
    debugger's key."""
    monkeypatch.setenv("SEGMENT_WRITE_KEY", KEY)
    (project / ".env").write_text(
        f"SEGMENT_WRITE_KEY={KEY}\nSEGMENT_QUEUE_SECRET=s3cr3t-queue-value\n"
    )
    out = submit(project, out=tmp_path / "s").out
    files = written(out)
    assert len(files) >= 9
    for name, data in files.items():
        assert KEY.encode() not in data, name
        assert b"s3cr3t-queue-value" not in data, name
        assert not re.search(rb"submit[0-9a-f]{32}", data), name


def test_a_folder_not_written_by_submit_is_never_replaced(project, tmp_path):
    """An existing folder of the user's is refused; one an earlier submit wrote is replaced."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(GeneratorError, match="not written by `segment-source submit`"):
        submit(project, out=mine)
    assert (mine / "notes.txt").read_text() == "mine"
    out = submit(project, out=tmp_path / "s").out
    (out / "portal.md").write_text("old")
    submit(project, out=out)
    assert (out / "portal.md").read_text() != "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-mail-source", "mine", "s"]


def test_submission_is_git_ignored_in_a_generated_project(project):
    """The default folder, inside the project, is ignored by the project's .gitignore."""
    submit(project)
    assert git(project, "status", "--porcelain") == ""
    assert (project / "submission/portal.md").is_file()
    # Made like any folder (the umask's mode), not the staging directory's private 0700.
    mask = os.umask(0o022)
    os.umask(mask)
    assert (project / "submission").stat().st_mode & 0o777 == 0o777 & ~mask


def test_segment_docs_clone_gets_a_branch_and_the_pr_command(project, tmp_path, capsys):
    """--segment-docs commits the page on a new branch and prints `gh pr create`; nothing is
    pushed."""
    docs = segment_docs_fixture(tmp_path / "fork")
    assert (
        main(["submit", str(project), "--out", str(tmp_path / "s"), "--segment-docs", str(docs)])
        == 0
    )
    printed = capsys.readouterr().out
    assert (
        "gh pr create --repo segmentio/segment-docs --base develop --head acme-mail/source"
        in printed
    )
    assert git(docs, "branch", "--show-current").strip() == "acme-mail/source"
    assert (docs / PAGE).read_bytes() == (project / "docs/segment-source.md").read_bytes()
    assert git(docs, "status", "--porcelain") == "" and git(docs, "remote") == ""
    # A second run refuses: the page is there now.
    assert (
        main(["submit", str(project), "--out", str(tmp_path / "s"), "--segment-docs", str(docs)])
        == 1
    )
    assert "already has" in capsys.readouterr().err


def test_hostile_answers_are_escaped_in_every_report(rendered, tmp_path):
    """Quotes, markup and Liquid in the answers stay text in portal.md and report.html."""
    project = copy(rendered("tricky").path, tmp_path / "tricky")
    out = submit(project, out=tmp_path / "s", force=True).out
    html = (out / "evidence/report.html").read_text()
    assert "&quot;Mail&quot;" in html and '"Mail"' not in html
    portal = (out / "portal.md").read_text()
    assert "{{" not in portal and "&#123;&#123; 7\\*7 &#125;&#125;" in portal
    subprocess.run(["git", "apply", "--check", "--directory=x", str(out / "segment-docs.patch")],
                   cwd=tmp_path, check=True)  # fmt: skip
