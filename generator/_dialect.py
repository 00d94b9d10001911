"""What in a docs page segment-docs would not render as meant.

The Segment page goes into segment-docs unchanged, where Jekyll renders it (Liquid, then
kramdown with premonition callouts). Two kinds of text break there:

- raw HTML: kramdown passes it through, so a tag that came from an answer or a paste
  (``<script>``, ``<img onerror=...>``) would be live on Segment's site;
- mkdocs-only syntax: admonitions (``!!!``), collapsible blocks (``???``), content tabs
  (``=== "..."``) show as plain text there, and attribute lists on headings are not
  used by segment-docs' pages.

Code (fenced blocks and inline spans) and HTML comments are not markup and are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
_FENCE_RE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
_CODE_SPAN_RE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_TAG_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])")
_MKDOCS_BLOCKS = (
    (re.compile(r"^[ ]{0,3}!!![+]?\s"), "an mkdocs admonition (`!!!`)"),
    (re.compile(r"^[ ]{0,3}\?\?\?[+]?\s"), "an mkdocs collapsible block (`???`)"),
    (re.compile(r'^[ ]{0,3}===[+]?\s+"'), 'an mkdocs content tab (`=== "..."`)'),
)
_HEADING_ATTRS_RE = re.compile(r"^[ ]{0,3}#{1,6}\s.*[^)\]]\s*\{\s*[:#.][^}]*\}\s*$")


@dataclass(frozen=True)
class Finding:
    """One piece of markup on one line (1-based) of the page."""

    line: int
    what: str
    text: str


def _markup_lines(page: str) -> list[tuple[int, str]]:
    """The page's lines outside code and comments, code spans blanked, numbered from 1."""
    # A comment becomes as many newlines as it spans, so line numbers stay true.
    page = _COMMENT_RE.sub(lambda m: "\n" * m[0].count("\n"), page)
    lines: list[tuple[int, str]] = []
    fence = ""
    for number, line in enumerate(page.splitlines(), start=1):
        opened = _FENCE_RE.match(line)
        if fence:
            if opened and opened[1][0] == fence[0] and len(opened[1]) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened[1]
            continue
        lines.append((number, _CODE_SPAN_RE.sub("``", line)))
    return lines


def raw_html(page: str) -> list[Finding]:
    """Every raw HTML tag in the page (``<!-- -->`` comments and code aside)."""
    return [
        Finding(number, f"<{match[1].lower()}>", line.strip())
        for number, line in _markup_lines(page)
        for match in _TAG_RE.finditer(line)
    ]


def mkdocs_only(page: str) -> list[Finding]:
    """Every line written in mkdocs-only syntax that segment-docs would show as text."""
    found: list[Finding] = []
    for number, line in _markup_lines(page):
        for pattern, what in _MKDOCS_BLOCKS:
            if pattern.match(line):
                found.append(Finding(number, what, line.strip()))
        if _HEADING_ATTRS_RE.match(line):
            found.append(Finding(number, "an attribute list on a heading", line.strip()))
    return found
