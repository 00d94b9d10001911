"""Catalog facts written in the page's own text, outside the generated regions.

The page template writes some catalog facts into sentences the partner owns: the
maintainer and the support email in the intro (which ``check`` compares with the
catalog), the name and the website. When a fact changes in ``catalog/metadata.yml``,
``segment-source docs`` rewrites each line that is still exactly what the template wrote
for the old facts; a line the partner has reworded is left alone and reported.

The lines are found by rendering the template with placeholder facts: each line that
holds a placeholder becomes a pattern for "this line, with any value there".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from ._markdown import markdown_text, markdown_url
from ._project import Project

FACTS = ("integration_name", "slug", "description", "maintainer", "support_email", "website")
# The facts segment-docs' source template (templates/partners/source.md) puts in the intro:
# "This source is maintained by <company>", then a mailto link to its support.
INTRO_FACTS = ("maintainer", "support_email")
_MAX_LINE = 2000  # longer lines are the partner's prose, not the template's sentences
_HEADING_RE = re.compile(r"^## +", re.MULTILINE)


def maintained_by(maintainer: str) -> str:
    """The page's sentence naming the maintainer, without a doubled full stop ("Acme Inc.")."""
    return f"This source is maintained by {maintainer}{'' if maintainer.endswith('.') else '.'}"


def body(page: str) -> str:
    """The page without its front matter (the ``---`` block Jekyll reads first)."""
    if page.startswith("---\n"):
        end = page.find("\n---\n", 4)
        if end != -1:
            return page[end + 5 :]
    return page


def intro(page: str) -> str:
    """The page's intro: the text after its front matter and before its first ``##`` heading."""
    text = body(page)
    heading = _HEADING_RE.search(text)
    return text[: heading.start()] if heading else text


def intro_misses(project: Project, page: str) -> list[str]:
    """The :data:`INTRO_FACTS` that ``page``'s intro does not name, in that order.

    The facts are the ones the page is rendered with (:meth:`Project.docs_context`: the
    catalog, then the answers; the maintainer falls back to the integration's name, as
    segment-docs' template writes the company there), looked for in the escaped form the
    page writes them in (``docs_templates/markdown.jinja``); the support email as a
    ``mailto:`` link.
    """
    facts = project.docs_context()
    shown = {
        "maintainer": markdown_text(facts["maintainer"]),
        "support_email": "mailto:" + markdown_url(facts["support_email"]),
    }
    text = intro(page)
    return [fact for fact in INTRO_FACTS if facts[fact] and shown[fact] not in text]


def _placeholder(fact: str) -> str:
    return f"QQ{fact.upper().replace('_', '')}QQ"


def _pattern(probe_line: str) -> re.Pattern[str]:
    """A regex for ``probe_line`` with any value where it holds placeholders."""
    placeholders = {_placeholder(fact): fact for fact in FACTS}
    parts = re.split("(" + "|".join(placeholders) + ")", probe_line)
    seen: set[str] = set()
    regex = ""
    for i, part in enumerate(parts):
        fact = placeholders.get(part)
        if fact is None:
            # A value ending in "." drops the sentence's own full stop (maintained_by).
            after_value = i > 0 and parts[i - 1] in placeholders
            regex += (
                r"\.?" + re.escape(part[1:])
                if after_value and part.startswith(".")
                else re.escape(part)
            )
        elif fact in seen:
            regex += f"(?P={fact})"
        else:
            seen.add(fact)
            regex += f"(?P<{fact}>.+?)"
    return re.compile(regex)


def sync_facts(
    text: str, project: Project, render: Callable[[Project, Mapping[str, str]], str]
) -> tuple[str, list[str], list[str]]:
    """Rewrite the template's fact-bearing lines of ``text`` with the catalog's facts.

    Args:
        text: The page as it is (its generated regions already refreshed).
        project: The project whose catalog holds the facts.
        render: Renders the page with some facts replaced (``_docs.render_page``).

    Returns:
        The new text; the facts that changed in it; and the reviewed facts (maintainer,
        support email) that its intro still does not name, because the partner reworded
        the template's sentence.
    """
    fresh = render(project, {}).splitlines()
    probe = render(project, {fact: _placeholder(fact) for fact in FACTS}).splitlines()
    changed: set[str] = set()
    lines = text.splitlines(keepends=True)
    if len(fresh) == len(probe):  # else a fact steered the template's branches: no line map
        rules = [(_pattern(p), f) for p, f in zip(probe, fresh, strict=True) if "QQ" in p]
        for index, line in enumerate(lines):
            body = line.rstrip("\r\n")
            if len(body) > _MAX_LINE:
                continue
            for pattern, replacement in rules:
                old, new = pattern.fullmatch(body), pattern.fullmatch(replacement)
                if old is None or new is None:
                    continue
                if body != replacement:
                    changed.update(
                        fact for fact, value in old.groupdict().items() if value != new[fact]
                    )
                    lines[index] = replacement + line[len(body) :]
                break
    synced = "".join(lines)
    return synced, [fact for fact in FACTS if fact in changed], intro_misses(project, synced)
