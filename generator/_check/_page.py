"""The Segment docs page (``docs/segment-source.md``) against a fresh render of it."""

from __future__ import annotations

import re

from .. import _code, _dialect, _page_facts, _paths, _segment
from .._docs import generated_regions, render_page, unified_diff
from .._markdown import markdown_text
from .._page_facts import intro_misses, maintained_by
from .._project import Project
from ..errors import GeneratorError
from ._report import Item, Status, green, red, worst, yellow

_HEADING_RE = re.compile(r"^## +(.+?)\s*#*\s*$", re.MULTILINE)
_REGION_INCLUDE = "{% include content/source-region-unsupported.md %}"
_FIX_TABLES = (
    "run `segment-source docs` to regenerate the tables"
    " (hand-written text outside the markers is kept)"
)


def _sections(text: str) -> dict[str, str]:
    """``''`` (the intro) and each H2 heading -> the text under it."""
    body = _page_facts.body(text)
    matches = list(_HEADING_RE.finditer(body))
    sections = {"": body[: matches[0].start()] if matches else body}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
        sections.setdefault(match[1], body[match.end() : end])
    return sections


def _table(section: str) -> list[str]:
    return [line.rstrip() for line in section.splitlines() if line.lstrip().startswith("|")]


def _first_cells(table: list[str]) -> list[str]:
    rows = table[2:]  # after the header and the --- line
    return [row.strip().strip("|").split("|")[0].strip().strip("`") for row in rows]


def _structure(project: Project, page: str, rendered: str) -> Item:
    expected = [h for h in _sections(rendered) if h]
    found = _sections(page)
    headings = [h for h in found if h]
    problems: list[tuple[Status, str, str]] = []
    missing = [h for h in expected if h not in found]
    if missing:
        problems.append(
            (
                Status.RED,
                "missing " + ", ".join(f"`## {h}`" for h in missing),
                "add the section(s) back (Segment's source page template has them, in this order: "
                + ", ".join(expected)
                + ")",
            )
        )
    present = [h for h in headings if h in expected]
    if not missing and present != expected:
        problems.append(
            (
                Status.YELLOW,
                "sections out of Segment's order: " + ", ".join(present),
                "order them: " + ", ".join(expected),
            )
        )
    facts = project.docs_context()
    missing_facts = intro_misses(project, page)
    if "maintainer" in missing_facts:
        problems.append(
            (
                Status.RED,
                f"the intro does not name the maintainer `{facts['maintainer']}`",
                f"say in the intro: {maintained_by(markdown_text(facts['maintainer']))}",
            )
        )
    if "support_email" in missing_facts:
        email = facts["support_email"]
        problems.append(
            (
                Status.RED,
                f"the intro has no support contact (mailto:{email})",
                f"link the support email in the intro: [contact the support team](mailto:{email})",
            )
        )
    return worst(
        "docs.sections",
        problems,
        "intro with maintainer and support contact, then " + ", ".join(expected),
    )


def _regions(project: Project, page: str, rendered: str) -> Item:
    eu = _segment.regions()["eu"]
    eu_host = eu["host"].split("://", 1)[-1]
    supported = "eu" in project.regions
    mentioned = eu_host in page
    if supported and not mentioned:
        return red(
            "docs.regions",
            f"the catalog declares EU, but the page has no EU section (no `{eu['endpoint']}`)",
            "run `segment-source docs` to restore the regions notice, or tell EU workspaces which "
            "endpoint to choose",
        )
    if not supported and mentioned:
        return red(
            "docs.regions",
            "the page mentions the EU endpoint, but the catalog declares US only",
            "run `segment-source docs`, or declare `regions.eu` once the source sends to the EU "
            "endpoint",
        )
    # segment-docs tells EU workspaces a source is US-only with this include, and only then.
    included = _REGION_INCLUDE in page
    if not supported and not included:
        return red(
            "docs.regions",
            "the catalog declares US only, but the page lacks segment-docs' US-only notice",
            f"run `segment-source docs`, or put `{_REGION_INCLUDE}` right after the front matter",
        )
    if supported and included:
        return red(
            "docs.regions",
            "the catalog declares EU, but the page says the source is US-only",
            f"run `segment-source docs`, or remove `{_REGION_INCLUDE}`",
        )
    ours, fresh = generated_regions(page).get("regions"), generated_regions(rendered).get("regions")
    if ours is not None and fresh is not None and ours != fresh:
        return yellow(
            "docs.regions",
            "the regions notice differs from the catalog's regions",
            _FIX_TABLES,
            unified_diff(ours, fresh, "page", "rendered").splitlines(),
        )
    return green(
        "docs.regions",
        "EU section present (EU supported)"
        if supported
        else "US-only notice, no EU section (US only)",
    )


def _events(project: Project, page: str, rendered: str) -> Item:
    ours, fresh = _sections(page), _sections(rendered)
    our_regions = generated_regions(page)
    problems: list[tuple[Status, str, str]] = []
    details: list[str] = []
    for name, body in generated_regions(rendered).items():
        want = _table(body)
        heading = next((h for h, text in fresh.items() if body in text), "")
        if not want or not heading:
            continue
        # Inside the markers when the page has them: rows the partner adds outside stay theirs.
        have = _table(our_regions[name]) if name in our_regions else _table(ours.get(heading, ""))
        if have != want:
            problems.append(
                (
                    Status.RED,
                    f"the {heading} table differs from the catalog and the Spec",
                    _FIX_TABLES,
                )
            )
            details += unified_diff(
                "\n".join(have) + "\n",
                "\n".join(want) + "\n",
                f"{heading} (page)",
                f"{heading} (rendered)",
            ).splitlines()
    documented = set(_first_cells(_table(ours.get("Events", ""))))
    undocumented = sorted(
        {
            d.name
            for d in _code.event_definitions(project)
            if markdown_text(d.name) not in documented and _segment.spec_lookalike(d.name) is None
        }
    )
    if undocumented:
        problems.append(
            (
                Status.YELLOW,
                "the source sends events the page does not list: " + ", ".join(undocumented),
                (
                    "document them in a second table under `## Events`, outside the generated "
                    "one's markers"
                ),
            )
        )
    count = len(_first_cells(_table(fresh.get("Events", ""))))
    return worst(
        "docs.events",
        problems,
        f"Events ({count}) and Event Properties tables match the catalog",
        details,
    )


def _shown(findings: list[_dialect.Finding]) -> list[str]:
    return [f"line {f.line}: {f.what}: {f.text[:120]!r}" for f in findings]


def _markup(page: str) -> Item:
    """Raw HTML on the page would be live on Segment's site (and in the preview)."""
    found = _dialect.raw_html(page)
    if found:
        tags = ", ".join(sorted({f.what for f in found}))
        return red(
            "docs.markup",
            f"raw HTML on the page ({tags}), which Segment's site would render as it is",
            "write it in Markdown, or escape `<` as `&lt;`; `segment-source docs` escapes the "
            "generated parts",
            _shown(found),
        )
    return green("docs.markup", "no raw HTML")


def _dialect_item(page: str) -> Item:
    """The page goes into segment-docs unchanged: no syntax only mkdocs renders."""
    found = _dialect.mkdocs_only(page)
    blocks = [f for f in found if "heading" not in f.what]
    if blocks:
        return red(
            "docs.dialect",
            f"mkdocs-only syntax that Segment's site shows as plain text ({len(blocks)} line(s))",
            'use segment-docs\' callouts instead: `> info ""` (or `warning`, `success`) on one'
            " line, then the text on lines starting with `> `",
            _shown(found),
        )
    if found:
        return yellow(
            "docs.dialect",
            "attribute lists on headings, which segment-docs' pages do not use",
            "remove the `{...}` after the heading text",
            _shown(found),
        )
    return green(
        "docs.dialect", "segment-docs' dialect (callouts, Liquid include), no mkdocs-only syntax"
    )


def check(project: Project) -> list[Item]:
    """``docs.page``, then its sections, its regions notice, its tables and its markup."""
    try:
        path = project.docs_page
        shown = path.relative_to(project.root).as_posix()
        if not path.is_file():
            return [
                red("docs.page", f"{shown} is missing", "run `segment-source docs` to write it")
            ]
        page = _paths.read_text(path, "the docs page")
    except GeneratorError as exc:  # a page path out of the project, a FIFO, a huge file
        return [red("docs.page", exc.message, exc.hint)]
    rendered = render_page(project)
    return [
        green(
            "docs.page", f"{shown} (goes to segment-docs as index.md of cloud-apps/{project.slug})"
        ),
        _structure(project, page, rendered),
        _regions(project, page, rendered),
        _events(project, page, rendered),
        _markup(page),
        _dialect_item(page),
    ]
