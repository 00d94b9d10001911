"""``checklist.md``: Segment's Public Beta Checklist, each item with its status.

The items and their order are segment-docs' ``src/partners/checklist.md``
(tests/reference/developer-portal.json names the commit). An item the project can show
takes the worst status of the `check` items it maps to (or the evidence's verdict); the
others are steps only the partner (or Segment) can take, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._check import Report, Status
from .._markdown import markdown_text

PARTNER = "partner"  # a step only the partner can take
SEGMENT = "segment"  # Segment's own step
EVIDENCE = "evidence"  # shown by evidence/report.md


@dataclass(frozen=True)
class Entry:
    """One checklist item: its section, its words, and what shows its status."""

    section: str
    text: str
    shown_by: tuple[str, ...]  # `check` id prefixes, or PARTNER / SEGMENT / EVIDENCE
    note: str = ""


ENTRIES = (
    Entry(
        "1. Partner Access", "Create Segment account and request access for Dev Center", (PARTNER,)
    ),
    Entry("1. Partner Access", "Complete partner survey", (PARTNER,)),
    Entry(
        "1. Partner Access",
        "Agree to the Segment Partner Program Agreement and Privacy Policy",
        (PARTNER,),
    ),
    Entry("2. Segment Access Approval", "Segment reviews the partner company", (SEGMENT,)),
    Entry("3. Segment → Partner Communications", "Emails from the Dev Center team", (SEGMENT,)),
    Entry(
        "4. Partner Build",
        "Create a Segment App for your company name",
        (PARTNER,),
        "for a source: Developer Portal > Build integration > Build a source, "
        "with the name and slug of portal.md",
    ),
    Entry(
        "4. Partner Build",
        "Build one or more components",
        ("client.", "spec.", "project.tests"),
        "the source's client and Spec builders",
    ),
    Entry(
        "4. Partner Build",
        "Test component with the Dev Center Test Suite and get all green or yellow tests",
        (EVIDENCE,),
        "the local Source Debugger's verdicts; run it once more against your test workspace",
    ),
    Entry(
        "4. Partner Build",
        "Implement one-click set up using Enable with Segment / OAuth",
        (PARTNER,),
        "optional",
    ),
    Entry(
        "5. Partner Test",
        "Add your Component to a Workspace",
        (PARTNER,),
        "Developer Portal > Settings > Add to workspace; add the test workspace ID to your source",
    ),
    Entry("5. Partner Test", "Login to your service and verify data", (PARTNER,)),
    Entry(
        "5. Partner Test",
        "Test your Component with the Segment SDK",
        (EVIDENCE,),
        "the sample scenario through the generated client; "
        "repeat it with the test workspace's write key",
    ),
    Entry("5. Partner Test", "Login to your service and verify data", (PARTNER,)),
    Entry(
        "6. Partner Docs",
        "Write docs for your docs site about the Segment integration",
        ("catalog.docs_links",),
    ),
    Entry(
        "6. Partner Docs",
        "Write docs for https://segment.com/docs/ about your integration",
        ("docs.",),
        "segment-docs.patch",
    ),
    Entry(
        "6. Partner Docs",
        "Write docs for https://segment.com/catalog/ about your integration",
        ("catalog.name", "catalog.description", "catalog.website", "catalog.categories"),
        "portal.md",
    ),
    Entry(
        "6. Partner Docs",
        "Write launch marketing content",
        (PARTNER,),
        "a blog post or an email announcement",
    ),
    Entry(
        "7. Partner Metadata",
        "Catalog metadata: description, website, categories, logos",
        ("catalog.description", "catalog.website", "catalog.categories", "logos."),
        "portal.md",
    ),
    Entry(
        "7. Partner Metadata",
        "Docs links: for your docs, for Segment's docs, for Segment's public catalog",
        ("catalog.docs_links",),
    ),
    Entry(
        "7. Partner Metadata",
        "Provision a test account in your service",
        (PARTNER,),
        "the QA account",
    ),
    Entry(
        "7. Partner Metadata",
        "Login metadata: username, password, notes for logging in and testing",
        ("project.test_account",),
        "give the password in the Developer Portal, never in a file",
    ),
    Entry(
        "8. Partner Submission",
        "Finish the developer center in-app checklist items",
        (PARTNER,),
        "screenshots, if the Portal asks for them, are yours to take",
    ),
    Entry(
        "8. Partner Submission",
        'Click "Submit for Review"',
        (PARTNER,),
        "with the link to the segment-docs pull request",
    ),
    Entry(
        "9. Segment Public Beta Approval",
        "Segment tests the source, its docs and its catalog entry",
        (SEGMENT,),
    ),
)


def status(entry: Entry, report: Report, evidence_ok: bool) -> tuple[str, str]:
    """The entry's status word and its reason."""
    if entry.shown_by == (PARTNER,):
        return "partner", "a step only you can take"
    if entry.shown_by == (SEGMENT,):
        return "segment", "Segment's step"
    if entry.shown_by == (EVIDENCE,):
        return (
            ("green", "every sample event passed (evidence/report.md)")
            if evidence_ok
            else ("red", "some sample events did not pass (evidence/report.md)")
        )
    items = [
        i
        for i in report.items
        if any(i.id == p or (p.endswith(".") and i.id.startswith(p)) for p in entry.shown_by)
    ]
    if not items:
        return "yellow", "no `check` item covers it"
    worst = max(items, key=lambda i: i.status.rank)
    if worst.status is Status.GREEN:
        return "green", "; ".join(i.id for i in items)
    bad = [i for i in items if i.status is worst.status]
    return worst.status.value, "; ".join(f"{i.id}: {i.message}" for i in bad)


def render(report: Report, evidence_ok: bool) -> str:
    """Return checklist.md."""
    lines = [
        "# Public Beta Checklist",
        "",
        (
            "Segment's checklist, in its own order. `green`/`yellow`/`red` come from "
            "`segment-source check` (and the evidence); `partner` marks a step only you can take, "
            "`segment` one Segment takes."
        ),
    ]
    section = ""
    for entry in ENTRIES:
        if entry.section != section:
            section = entry.section
            lines += ["", f"## {section}", ""]
        word, reason = status(entry, report, evidence_ok)
        box = "x" if word == "green" else " "
        note = f" ({markdown_text(entry.note)})" if entry.note else ""
        lines.append(
            f"- [{box}] **{word}** {markdown_text(entry.text)}{note} — {markdown_text(reason)}"
        )
    lines.append("")
    return "\n".join(lines)
