"""Each launch defect, alone in an otherwise fresh project, is reported on its item."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator import Status, check
from generator._cli import main

from ._check_projects import PACKAGE, commit, copy, edit, git, pristine

KEY = "9q1ZpR4vS2mX7bN3kL8dF5hJ0wQ6tY1u"  # shaped like a real write key: 32 letters and digits
EVENTS = f"src/{PACKAGE}/events.py"
SPEC = f"src/{PACKAGE}/spec.py"
PAGE = "docs/segment-source.md"
META = "catalog/metadata.yml"


def long_description(p: Path) -> None:
    edit(
        p / META,
        'description: "Email for teams."',
        'description: "' + "Email for teams. " * 40 + '"',
    )


def unknown_category(p: Path) -> None:
    edit(p / META, 'primary: "Email Marketing"', 'primary: "Newsletters"')


def old_category_spelling(p: Path) -> None:
    """A catalog written before the source categories: the destination list's `Live chat`."""
    edit(p / META, 'primary: "Email Marketing"', 'primary: "Live chat"')


def http_docs_link(p: Path) -> None:
    edit(
        p / META,
        'partner_docs_url: "CHANGE-ME"',
        'partner_docs_url: "http://acme.example/docs/segment"',
    )


def email_sent_literal_track(p: Path) -> None:
    (p / f"src/{PACKAGE}/sent.py").write_text(
        'def sent(customer):\n    customer.track(user_id="u1", event="Email Sent", '
        'properties={"email_id": "e1"})\n',
        encoding="utf-8",
    )


def http_website(p: Path) -> None:
    edit(p / META, 'website: "https://acme.example"', 'website: "http://acme.example"')


def non_square_mark(p: Path) -> None:
    edit(
        p / "catalog/mark.svg",
        'width="120" height="120" viewBox="0 0 120 120"',
        'width="160" height="120" viewBox="0 0 160 120"',
    )


def invalid_svg(p: Path) -> None:
    (p / "catalog/logo.svg").write_text(
        "<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>\n", encoding="utf-8"
    )


def not_svg_root(p: Path) -> None:
    (p / "catalog/mark.svg").write_text("<html><body>logo</body></html>\n", encoding="utf-8")


def missing_docs_section(p: Path) -> None:
    text = (p / PAGE).read_text(encoding="utf-8")
    start, end = text.index("## Stream"), text.index("## Events")
    (p / PAGE).write_text(text[:start] + text[end:], encoding="utf-8")


def event_renamed_in_docs(p: Path) -> None:
    edit(p / PAGE, "| Email Opened |", "| Email Seen |")


def email_clicked_in_code(p: Path) -> None:
    edit(
        p / EVENTS,
        'spec_name: ClassVar[str] = "Email Link Clicked"',
        'spec_name: ClassVar[str] = "Email Link Click"',
    )


def camel_case_property(p: Path) -> None:
    edit(p / EVENTS, "    link_url: str | None = None", "    linkUrl: str | None = None")


def lookalike_literal_track(p: Path) -> None:
    (p / f"src/{PACKAGE}/checkout.py").write_text(
        'def purchased(customer):\n    customer.track(user_id="u1", event="Purchase", '
        'properties={"order_id": "o1"})\n',
        encoding="utf-8",
    )


def slug_mismatch(p: Path) -> None:
    edit(p / SPEC, 'INTEGRATION_SLUG = "acme-mail"', 'INTEGRATION_SLUG = "acme-mailer"')


def eu_without_eu_section(p: Path) -> None:
    text = (p / PAGE).read_text(encoding="utf-8")
    start = text.index("<!-- segment-source:begin regions -->")
    end = text.index("<!-- segment-source:end regions -->") + len(
        "<!-- segment-source:end regions -->\n\n"
    )
    (p / PAGE).write_text(text[:start] + text[end:], encoding="utf-8")


def write_key_in_history(p: Path) -> None:
    (p / "deploy.env").write_text(f"SEGMENT_WRITE_KEY={KEY}\n", encoding="utf-8")
    commit(p, "Add deploy settings")
    (p / "deploy.env").unlink()  # removed again: the key stays in history


def write_key_in_code(p: Path) -> None:
    (p / f"src/{PACKAGE}/settings.py").write_text(f'write_key = "{KEY}"\n', encoding="utf-8")


def basic_auth_literal(p: Path) -> None:
    import base64

    token = base64.b64encode(f"{KEY}:".encode()).decode()
    (p / "request.http").write_text(
        f"POST https://api.segment.io/v1/track\nAuthorization: Basic {token}\n", encoding="utf-8"
    )


def no_basic_auth(p: Path) -> None:
    edit(
        p / f"src/{PACKAGE}/_engine/send.py",
        '"Authorization": basic_auth(write_key)',
        '"X-Write-Key": basic_auth(write_key)',
    )


def basic_auth_without_colon(p: Path) -> None:
    edit(
        p / f"src/{PACKAGE}/_engine/keys.py",
        'b64encode(f"{write_key}:".encode())',
        'b64encode(f"{write_key}".encode())',
    )


def name_breaks_init_docstring(p: Path) -> None:
    # What the template rendered before answers were kept out of docstrings: `\U` starts an escape.
    init = p / f"src/{PACKAGE}/__init__.py"
    first = init.read_text(encoding="utf-8").splitlines()[0]
    edit(init, first, '"""Acme\\Users Mail source for Segment."""')


@dataclass(frozen=True)
class Defect:
    breaks: Callable[[Path], None]
    item: str
    status: Status
    says: str  # a phrase the item's message must carry
    regions: tuple[str, ...] = ("us",)
    also: tuple[str, ...] = ()  # other items the defect rightly affects


DEFECTS = {
    "long-description": Defect(
        long_description, "catalog.description", Status.YELLOW, "over Segment's guidance of 500"
    ),
    "unknown-category": Defect(
        unknown_category,
        "catalog.categories",
        Status.RED,
        "`Newsletters` is not one of Segment's source categories",
    ),
    "old-category-spelling": Defect(
        old_category_spelling,
        "catalog.categories",
        Status.RED,
        "`Live chat` is not one of Segment's source categories",
    ),
    "http-docs-link": Defect(
        http_docs_link,
        "catalog.docs_links",
        Status.RED,
        "docs.partner_docs_url `http://acme.example/docs/segment` is not an https:// URL",
    ),
    "http-website": Defect(http_website, "catalog.website", Status.RED, "is not an https:// URL"),
    "non-square-mark": Defect(non_square_mark, "logos.mark", Status.RED, "160x120, not square"),
    "invalid-svg": Defect(invalid_svg, "logos.logo", Status.RED, "is not valid SVG"),
    "root-not-svg": Defect(not_svg_root, "logos.mark", Status.RED, "not <svg>"),
    "missing-docs-section": Defect(
        missing_docs_section,
        "docs.sections",
        Status.RED,
        "missing `## Stream`",
        also=("docs.identity",),  # the identity sentence went with the section
    ),
    "event-renamed-in-docs": Defect(
        event_renamed_in_docs, "docs.events", Status.RED, "Events table differs"
    ),
    "email-clicked-in-code": Defect(
        email_clicked_in_code,
        "spec.names",
        Status.RED,
        "'Email Link Click' looks like the Spec event 'Email Link Clicked'",
        also=("spec.coverage",),
    ),
    "camel-case-property": Defect(
        camel_case_property, "spec.names", Status.YELLOW, "'linkUrl' is not snake_case"
    ),
    "similar-literal-track": Defect(
        lookalike_literal_track,
        "spec.names",
        Status.YELLOW,
        "checkout.py:2: event 'Purchase' may mean the Spec event 'Order Completed'",
        also=("docs.events",),
    ),  # not a look-alike, so the page should list it
    "slug-mismatch": Defect(slug_mismatch, "catalog.slug", Status.RED, "`acme-mailer`"),
    "eu-without-eu-section": Defect(
        eu_without_eu_section, "docs.regions", Status.RED, "no EU section", regions=("us", "eu")
    ),
    "write-key-in-history": Defect(
        write_key_in_history, "secrets.history", Status.RED, "write key(s) in the git history"
    ),
    "write-key-in-code": Defect(
        write_key_in_code,
        "secrets.files",
        Status.RED,
        "write key(s) in 1 tracked place",
        also=("secrets.history",),
    ),
    "basic-auth-literal": Defect(
        basic_auth_literal, "secrets.files", Status.RED, "tracked place", also=("secrets.history",)
    ),
    "no-basic-auth": Defect(
        no_basic_auth,
        "client.auth",
        Status.RED,
        "no module of the package sends an `Authorization: Basic` header",
    ),
    "package-does-not-compile": Defect(
        name_breaks_init_docstring, "client.syntax", Status.RED, "do not compile"
    ),
    "basic-auth-without-colon": Defect(
        basic_auth_without_colon, "client.auth", Status.RED, "made from `<write key>:`"
    ),
}


@pytest.fixture(params=list(DEFECTS.values()), ids=list(DEFECTS))
def broken(request, tmp_path, tmp_path_factory):
    defect: Defect = request.param
    project = copy(pristine(tmp_path_factory.getbasetemp(), defect.regions), tmp_path / "project")
    defect.breaks(project)
    commit(project, "Break it")
    return defect, project


def test_defect_is_reported_on_its_item(broken):
    """The item turns yellow or red, says why, says how to fix it, and nothing unrelated moves."""
    defect, project = broken
    report = check(project)
    item = report.item(defect.item)
    assert item.status is defect.status
    assert defect.says in item.message
    assert item.fix
    # A fresh project's placeholders are yellow already; anything else that is not green moved.
    baseline = {
        "project.test_account",
        "logos.logo",
        "logos.mark",
        "catalog.docs_links",
        "docs.getting_started",
    }
    moved = {
        i.id
        for i in report.items
        if i.status is Status.RED or (i.status is Status.YELLOW and i.id not in baseline)
    }
    assert moved == {defect.item, *defect.also}
    assert report.exit_code == (1 if defect.status is Status.RED else 0)


def test_defect_exit_code_and_json_from_the_cli(broken, capsys):
    """``check --json`` exits 1 on red, 0 otherwise, and carries the item's status."""
    defect, project = broken
    code = main(["check", str(project), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == (1 if defect.status is Status.RED else 0)
    assert data["ok"] is (defect.status is not Status.RED)
    assert {i["id"]: i["status"] for i in data["items"]}[defect.item] == defect.status.value
    assert main(["check", str(project)]) == code
    assert f"{defect.status.value:<6}  {defect.item}" in capsys.readouterr().out


def test_renamed_event_shows_the_table_diff(tmp_path, tmp_path_factory):
    """The docs item carries a unified diff of the table, page against render."""
    project = copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "p")
    event_renamed_in_docs(project)
    details = check(project).item("docs.events").details
    assert "--- Events (page)" in details and "+++ Events (rendered)" in details
    assert "-| Email Seen | The recipient opened the email. |" in details
    assert "+| Email Opened | The recipient opened the email. |" in details


@pytest.mark.parametrize(
    "breaks",
    [write_key_in_history, write_key_in_code, basic_auth_literal],
    ids=["history", "code", "basic-auth"],
)
def test_write_key_is_never_printed(tmp_path, tmp_path_factory, capsys, breaks):
    """The report points at the file and commit, and masks the key, in text and JSON."""
    project = copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "p")
    breaks(project)
    commit(project, "Break it")
    main(["check", str(project)])
    main(["check", str(project), "--json"])
    out = capsys.readouterr().out
    assert KEY not in out and KEY[:8] not in out
    assert "9q1Z… (32 characters)" in out


def test_history_leak_names_the_commit(tmp_path, tmp_path_factory):
    project = copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "p")
    write_key_in_history(project)
    commit(project, "Remove the key")
    added = git(project, "log", "--format=%h", "-1", "--diff-filter=A", "--", "deploy.env").strip()
    report = check(project)
    assert report.item("secrets.files").status is Status.GREEN
    assert report.item("secrets.history").details == (
        f"commit {added} deploy.env: 9q1Z… (32 characters)",
    )


@pytest.mark.parametrize(
    "line",
    [
        "SEGMENT_WRITE_KEY=",
        "SEGMENT_WRITE_KEY=test-key python -m acme_mail_source",
        'WRITE_KEY = "wk_test_0123456789abcdef"',
        "write_key = os.environ['SEGMENT_WRITE_KEY']",
        'client.customer(write_key="YOUR_WRITE_KEY_1234567890")',
    ],
    ids=["empty", "test-key", "test-literal", "from-env", "placeholder"],
)
def test_fake_keys_are_not_leaks(tmp_path, tmp_path_factory, line):
    """Placeholders, test values and reads from the environment are not reported."""
    project = copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "p")
    (project / "notes.txt").write_text(line + "\n", encoding="utf-8")
    commit(project, "Notes")
    assert check(project).item("secrets.files").status is Status.GREEN


def test_email_sent_is_a_real_event_not_a_lookalike(tmp_path, tmp_path_factory):
    """`Email Sent` (Vero's and Segment's own source template's event) is not `Email Delivered`."""
    project = copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "p")
    email_sent_literal_track(project)
    commit(project, "Send Email Sent")
    item = check(project).item("spec.names")
    assert item.status is Status.GREEN, item.message
