"""``segment-source docs``: regenerate the marked parts of the Segment page, keep the rest."""

from __future__ import annotations

import pytest

from generator import GeneratorError, Status, _segment, check, render_docs
from generator._cli import main

from ._check_projects import copy, edit, pristine

PAGE = "docs/segment-source.md"
META = "catalog/metadata.yml"
OWN = (
    "Acme Mail also sends a weekly digest; see [the digest guide](https://acme.example/digest).\n\n"
)
EXPORTED = "src/connections/sources/catalog/cloud-apps/acme-mail/index.md"


@pytest.fixture
def project(tmp_path, tmp_path_factory):
    return copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "project")


def add_live_chat(project):
    edit(project / META, '  - "email"\n', '  - "email"\n  - "live_chat"\n')


def test_fresh_page_is_up_to_date(project, capsys):
    """The generator's plain-Jinja render is the page copier wrote: nothing to change."""
    before = (project / PAGE).read_bytes()
    assert main(["docs", str(project)]) == 0
    assert capsys.readouterr().out == f"{project / PAGE} is up to date\n"
    assert (project / PAGE).read_bytes() == before


def test_family_change_updates_tables_and_keeps_hand_written_text(project, capsys):
    """A family added to the catalog shows up in the tables; the partner's paragraph stays."""
    edit(project / PAGE, "## Stream\n\n", "## Stream\n\n" + OWN)
    add_live_chat(project)
    assert check(project).item("docs.events").status is Status.RED

    assert main(["docs", str(project)]) == 0
    out = capsys.readouterr().out
    assert (
        f"updated {project / PAGE}: regenerated events, properties; the rest of the page is kept"
        in out
    )
    chat = _segment.families()["live_chat"]
    described = {event["name"]: event["description"] for event in chat["events"]}
    assert (
        f"+| Live Chat Conversation Started | {described['Live Chat Conversation Started']} |"
        in out
    )

    page = (project / PAGE).read_text(encoding="utf-8")
    assert OWN in page
    assert f"| Live Chat Message Sent | {described['Live Chat Message Sent']} |" in page
    assert f"| `conversation_id` | {chat['properties']['conversation_id']} |" in page
    assert "| Email Opened | The recipient opened the email. |" in page
    report = check(project)
    assert report.item("docs.events").status is Status.GREEN
    assert report.item("spec.coverage").status is Status.YELLOW  # no Live Chat builders yet


def test_regions_change_updates_the_notice(project):
    """Declaring EU in the catalog swaps the US-only warning for the regional notice, and the
    Getting started step now asks the customer to pick the Region on the settings page."""
    edit(
        project / META,
        'us: "https://api.segment.io/v1"',
        'us: "https://api.segment.io/v1"\n  eu: "https://events.eu1.segmentapis.com/v1"',
    )
    assert check(project).item("docs.regions").status is Status.RED
    result = render_docs(project)
    assert result.page.changed == ("regions", "connect")
    page = (project / PAGE).read_text(encoding="utf-8")
    assert "choose your workspace's region under **Region**" in page
    assert (
        "`https://events.eu1.segmentapis.com/v1`" in page
        and "source-region-unsupported" not in page
    )
    assert check(project).item("docs.regions").status is Status.GREEN


def test_edits_inside_markers_are_replaced_and_reported(project):
    """The marked parts belong to the generator: a hand edit there is put back, with a diff."""
    edit(project / PAGE, "| Email Opened |", "| Email Seen |")
    result = render_docs(project)
    assert result.page.changed == ("events",)
    assert "-| Email Seen |" in result.page.diff and "+| Email Opened |" in result.page.diff
    assert "| Email Seen |" not in (project / PAGE).read_text(encoding="utf-8")


def test_region_without_markers_is_left_alone_with_a_note(project, capsys):
    """A part whose markers the partner removed is theirs: it is not touched, and they are told."""
    edit(project / PAGE, "<!-- segment-source:begin events -->\n", "")
    edit(project / PAGE, "<!-- segment-source:end events -->\n", "")
    edit(project / PAGE, "| Email Opened |", "| Email Seen |")
    add_live_chat(project)
    assert main(["docs", str(project)]) == 0
    out = capsys.readouterr().out
    assert "regenerated properties" in out
    assert "no `segment-source:begin/end` markers for events, so left alone" in out
    assert "| Email Seen |" in (project / PAGE).read_text(encoding="utf-8")


def test_page_without_any_marker_is_not_overwritten(project):
    """A fully hand-written page is never overwritten: an error says what to do."""
    (project / PAGE).write_text("# Acme Mail\n\nOur own page.\n", encoding="utf-8")
    with pytest.raises(GeneratorError, match="has no `segment-source:begin/end` markers"):
        render_docs(project)
    assert (project / PAGE).read_text(encoding="utf-8") == "# Acme Mail\n\nOur own page.\n"


def test_missing_page_is_written(project, capsys):
    (project / PAGE).unlink()
    assert check(project).item("docs.page").status is Status.RED
    assert main(["docs", str(project)]) == 0
    assert capsys.readouterr().out == f"wrote {project / PAGE}\n"
    assert check(project).item("docs.page").status is Status.GREEN


def test_export_writes_where_segment_docs_wants_it(project, tmp_path, capsys):
    """``--export DIR`` puts the page at DIR/src/connections/sources/catalog/cloud-apps/<slug>/
    index.md (where segment-docs keeps cloud-app pages)."""
    edit(project / PAGE, "## Stream\n\n", "## Stream\n\n" + OWN)
    docs_repo = tmp_path / "segment-docs"
    assert main(["docs", str(project), "--export", str(docs_repo)]) == 0
    assert f"wrote {docs_repo / EXPORTED}" in capsys.readouterr().out
    assert (docs_repo / EXPORTED).read_text(encoding="utf-8") == (project / PAGE).read_text(
        encoding="utf-8"
    )
    assert [p.relative_to(docs_repo).as_posix() for p in docs_repo.rglob("*") if p.is_file()] == [
        EXPORTED
    ]


def test_export_keeps_edits_made_in_segment_docs(project, tmp_path):
    """An exported page that Segment's editors changed gets only its marked parts refreshed."""
    docs_repo = tmp_path / "segment-docs"
    render_docs(project, export=docs_repo)
    edit(
        docs_repo / EXPORTED,
        "## Getting started\n\n",
        "## Getting started\n\n{% include content/beta-note.md %}\n\n",
    )
    add_live_chat(project)
    result = render_docs(project, export=docs_repo)
    assert result.export is not None and result.export.changed == ("events", "properties")
    exported = (docs_repo / EXPORTED).read_text(encoding="utf-8")
    assert "{% include content/beta-note.md %}" in exported
    assert "| Live Chat Message Sent |" in exported


def test_export_refuses_an_invalid_slug(project, tmp_path):
    """The slug becomes a path: one that breaks the slug rule is refused, nothing written."""
    edit(project / META, 'slug: "acme-mail"', 'slug: "../../escape"')
    before = (project / PAGE).read_bytes()
    with pytest.raises(GeneratorError, match="slug"):
        render_docs(project, export=tmp_path / "segment-docs")
    assert not (tmp_path / "segment-docs").exists()
    assert (project / PAGE).read_bytes() == before


CUSTOM_BUILDER = '''

@dataclass(frozen=True, kw_only=True)
class CampaignScheduled(SpecEvent):
    """A campaign was scheduled to send.

    Not a Spec event: Acme Mail's own.
    """

    spec_name: ClassVar[str] = "Campaign Scheduled"
    campaign_id: str | None = None
    send_at: str | None = None  # When the campaign will send (ISO-8601).
'''


def test_custom_builder_is_documented_from_its_docstring_and_comments(project):
    """The integration's own builder in events.py joins the tables: docstring and field comments."""
    events = project / "src/acme_mail_source/events.py"
    events.write_text(events.read_text(encoding="utf-8") + CUSTOM_BUILDER, encoding="utf-8")
    item = check(project).item("docs.events")
    assert item.status is Status.RED
    assert "+| Campaign Scheduled | A campaign was scheduled to send. |" in item.details

    render_docs(project)
    page = (project / PAGE).read_text(encoding="utf-8")
    assert "| Campaign Scheduled | A campaign was scheduled to send. |" in page
    assert "| `send_at` | When the campaign will send (ISO-8601). |" in page
    assert page.count("| `campaign_id` |") == 1  # a Spec property is listed once
    report = check(project)
    assert report.item("docs.events").status is Status.GREEN
    assert report.item("spec.names").status is Status.GREEN


def test_literal_track_of_an_undocumented_event_is_yellow(project):
    """An event name sent literally elsewhere in src, and missing from the page, is flagged."""
    (project / "src/acme_mail_source/digest.py").write_text(
        'def send(customer):\n    customer.track(user_id="u1", event="Digest Sent", '
        'properties={"digest_id": "d1"})\n',
        encoding="utf-8",
    )
    item = check(project).item("docs.events")
    assert item.status is Status.YELLOW
    assert "Digest Sent" in item.message
