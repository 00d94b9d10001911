"""The docs preview's Markdown extension: segment-docs' dialect under mkdocs and Zensical.

A development tool, not part of the package: the wheel ships ``src/<package>/`` only, and
an editable install (``pip install -e '.[docs]'``) puts this file on the path for
``mkdocs`` and ``zensical``.

``docs/segment-source.md`` is written exactly as it goes into Segment's docs repository,
where Jekyll renders it: Liquid first, then kramdown with the premonition callouts. This
extension renders the parts Python-Markdown does not know, so the preview shows what
Segment's site will show:

- ``{% include content/source-region-unsupported.md %}``: Segment's "US only" notice;
  any other ``{% include %}``: a note naming the shared snippet Segment's site inserts;
- ``{% raw %}`` / ``{% endraw %}``: dropped, the text between them kept as it is;
- ``> info "Title"`` callouts (also ``note``, ``success``, ``warning``, ``error``): an
  admonition box, titled when the title is not empty;
- ``{:target="_blank”}`` with a typographic quote (common in Segment's pages): read as
  ``{:target="_blank"}``, which the ``attr_list`` extension applies.

It is a Markdown extension, not an mkdocs hook or plugin, so Zensical (which reads
``mkdocs.yml`` and Markdown extensions but no mkdocs plugins) renders the page the same.
Enable it in ``mkdocs.yml``::

    markdown_extensions:
      - attr_list
      - segment_docs_preview
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Any

from markdown import Markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

REGION_INCLUDE = "content/source-region-unsupported.md"

# Segment's premonition types -> the admonition classes mkdocs-material and Zensical style.
CALLOUT_CLASSES = {"note": "note", "info": "info", "success": "success", "warning": "warning", "error": "danger"}

_RAW_RE = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
_INCLUDE_RE = re.compile(r"^[ ]{0,3}\{%-?\s*include\s+(?P<path>[^\s%]+)[^%]*-?%\}\s*$")
_CURLY_TARGET = '{:target="_blank\u201d}'
_CALLOUT_RE = re.compile(r"^[ ]{0,3}> ?(?P<kind>" + "|".join(CALLOUT_CLASSES) + r')[ ]+"(?P<title>[^"\n]*)"[ ]*$')
_QUOTED_RE = re.compile(r"^[ ]{0,3}>[ ]?")


def _notice(kind: str, title: str, body_html: str) -> str:
    head = f'<p class="admonition-title">{html.escape(title)}</p>' if title else ""
    return f'<div class="admonition {kind}">{head}<p>{body_html}</p></div>'


def _include(path: str) -> str:
    """The preview of one ``{% include %}`` of Segment's shared snippets."""
    if path == REGION_INCLUDE:
        return _notice(
            "warning",
            "Supported in US workspaces only",
            "Only workspaces that process data in Segment's US region can connect this source. See "
            '<a href="/docs/guides/regional-segment/">Regional Segment</a>.',
        )
    return _notice("note", "", f"Segment's site shows its shared snippet <code>{html.escape(path)}</code> here.")


class LiquidPreprocessor(Preprocessor):
    """Render the Liquid segment-docs pages use: ``raw`` blocks and ``include`` lines."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        # Liquid runs before Markdown and leaves what sits in a raw block alone.
        kept: list[str] = []

        def keep(match: re.Match[str]) -> str:
            kept.append(match[1])
            return f"\x02{len(kept) - 1}\x03"

        text = _RAW_RE.sub(keep, text)
        out: list[str] = []
        for line in text.split("\n"):
            match = _INCLUDE_RE.match(line)
            if match:
                out += ["", self.md.htmlStash.store(_include(match["path"])), ""]
            else:
                out.append(line.replace(_CURLY_TARGET, '{:target="_blank"}'))
        text = "\n".join(out)
        text = re.sub("\x02([0-9]+)\x03", lambda m: kept[int(m[1])], text)
        return text.split("\n")


class CalloutProcessor(BlockProcessor):
    """``> info "Title"`` followed by ``> text`` lines: an admonition box."""

    def test(self, parent: ET.Element, block: str) -> bool:
        return bool(_CALLOUT_RE.match(block.split("\n", 1)[0]))

    def run(self, parent: ET.Element, blocks: list[str]) -> bool:
        first, *rest = blocks.pop(0).split("\n")
        match = _CALLOUT_RE.match(first)
        if match is None:  # pragma: no cover - test() matched this very line
            return False
        quoted: list[str] = []
        while rest and _QUOTED_RE.match(rest[0]):
            quoted.append(_QUOTED_RE.sub("", rest.pop(0)))
        if rest:  # lines after the callout start a block of their own
            blocks.insert(0, "\n".join(rest))
        box = ET.SubElement(parent, "div", {"class": f"admonition {CALLOUT_CLASSES[match['kind']]}"})
        if match["title"]:
            ET.SubElement(box, "p", {"class": "admonition-title"}).text = match["title"]
        self.parser.parseChunk(box, "\n".join(quoted))
        return True


class SegmentDocsExtension(Extension):
    """Python-Markdown extension: the segment-docs dialect, for the preview."""

    def extendMarkdown(self, md: Markdown) -> None:
        # After whitespace normalization (30), which would drop the stash's placeholders, and
        # before raw HTML blocks are read (20).
        md.preprocessors.register(LiquidPreprocessor(md), "segment_docs_liquid", 25)
        # Before the blockquote processor (priority 20), which would take the lines first.
        md.parser.blockprocessors.register(CalloutProcessor(md.parser), "segment_docs_callout", 21)


def makeExtension(**kwargs: Any) -> SegmentDocsExtension:
    """Return the extension (Python-Markdown calls this by name)."""
    return SegmentDocsExtension(**kwargs)
