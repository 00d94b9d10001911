"""What the Segment page promises against what the project does.

- ``docs.identity``: the page's identity sentence is the one for the client's
  ``ANONYMOUS_FALLBACK`` (``spec.py``): refusing a call without a ``userId``, or sending
  the email address as the ``anonymousId``;
- ``docs.getting_started``: where the customer pastes the write key. With the [service]
  settings page in the project, every label the page quotes must be on that page; without
  it, the generated sentence is a placeholder the partner completes;
- ``docs.lifecycle``: segment-docs' beta front matter and note while the source is in
  beta, neither once it is generally available.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path

from .. import _paths
from .._docs import generated_regions, render_page
from .._project import Project
from ..errors import GeneratorError
from ._report import Item, green, red, yellow

_BOLD_RE = re.compile(r"\*\*(.+?)\*\*")
_JINJA_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
# The page writes its labels as `{{ labels.save }}`, from `LABELS` in the service's pages.py.
_LABEL_RE = re.compile(r"\{\{\s*labels\.(\w+)\s*\}\}")
_BETA_INCLUDE = "{% include content/beta-note.md %}"
PLACEHOLDER = "CHANGE-ME"


class _Labels(HTMLParser):
    """The visible labels of a form: label, button, legend and heading text, button values."""

    _TAGS = frozenset({"label", "button", "legend", "h1", "h2", "h3", "a", "summary", "option"})

    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.labels.add(" ".join(str(values["value"]).split()))
        if tag in self._TAGS:
            self._open.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in self._TAGS and self._open:
            text = " ".join("".join(self._open.pop()).split())
            if text:
                self.labels.add(text)

    def handle_data(self, data: str) -> None:
        for parts in self._open:
            parts.append(data)


def page_labels(template: Path) -> dict[str, str]:
    """``LABELS`` of the service's ``pages.py`` beside the templates' folder (read, never run).

    Empty when the file or a literal ``LABELS = {...}`` of strings is missing.
    """
    source = template.parent.parent / "pages.py"
    if not _paths.is_regular(source):
        return {}
    try:
        tree = ast.parse(_paths.read_text(source, source.name))
    except (GeneratorError, SyntaxError, ValueError):
        return {}
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        if any(isinstance(t, ast.Name) and t.id == "LABELS" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return {}
            if isinstance(value, dict):
                return {str(k): v for k, v in value.items() if isinstance(v, str)}
    return {}


def settings_labels(html: str, labels: Mapping[str, str] | None = None) -> set[str]:
    """The labels a customer sees on the settings page template.

    ``{{ labels.x }}`` is filled from ``labels`` (:func:`page_labels`); other Jinja is removed.
    """
    known = labels or {}
    html = _LABEL_RE.sub(lambda m: known.get(m.group(1), " "), html)
    parser = _Labels()
    parser.feed(_JINJA_RE.sub(" ", html))
    parser.close()
    return parser.labels


def _identity(project: Project, page: str) -> Item:
    fallback = project.anonymous_fallback
    if fallback is None:
        return red(
            "docs.identity",
            "spec.py has no ANONYMOUS_FALLBACK, so what a call without a userId does is unknown",
            "run `segment-source update` to get it back",
        )
    expected = generated_regions(render_page(project, {"anonymous_fallback": fallback})).get(
        "identity"
    )
    found = generated_regions(page).get("identity")
    if found is None:
        return yellow(
            "docs.identity",
            "the page has no `segment-source:begin/end identity` markers, "
            "so its identity sentence is not checked",
            "put the markers back around the sentence saying what happens without a userId "
            f"(the client: {fallback})",
        )
    if found != expected:
        return red(
            "docs.identity",
            "the page's identity sentence is not the one for the client's "
            f"anonymous_fallback `{fallback}`",
            "run `segment-source docs` to rewrite it, or change the client's ANONYMOUS_FALLBACK "
            "(copier answer anonymous_fallback)",
        )
    said = (
        "email as anonymousId without a userId"
        if fallback == "email"
        else "no event without a userId"
    )
    return green("docs.identity", f"identity sentence matches the client ({said})")


def _getting_started(project: Project, page: str) -> Item:
    template = project.settings_template
    connect = generated_regions(page).get("connect")
    section = page.split("## Getting started", 1)[-1].split("\n## ", 1)[0]
    if template is not None and connect is not None:
        try:
            labels = settings_labels(
                _paths.read_text(template, template.name), page_labels(template)
            )
        except GeneratorError as exc:
            return red("docs.getting_started", exc.message, "restore the settings page template")
        quoted = _BOLD_RE.findall(connect)
        missing = [label for label in quoted if label not in labels]
        shown = template.relative_to(project.root).as_posix()
        if missing:
            return red(
                "docs.getting_started",
                "Getting started names "
                + ", ".join(f"**{m}**" for m in missing)
                + f", which {shown} does not show",
                "use the settings page's own labels: " + ", ".join(sorted(labels)),
            )
        return green(
            "docs.getting_started",
            f"Getting started quotes the settings page's labels ({', '.join(quoted)})",
        )
    if PLACEHOLDER in section:
        fix = "replace the CHANGE-ME step with where your customers paste the write key"
        if template is not None:
            region = generated_regions(render_page(project, {"settings_page": True})).get(
                "connect", ""
            )
            fix = (
                "the project has a settings page; replace the CHANGE-ME step with:\n"
                + region.strip()
            )
        return yellow(
            "docs.getting_started",
            "Getting started does not yet say where the customer pastes the write key",
            fix,
        )
    return green(
        "docs.getting_started",
        "Getting started says where the customer pastes the write key (written by you)",
    )


def _lifecycle(project: Project, page: str) -> Item:
    stage = str(project.meta("lifecycle", "lifecycle") or "beta")
    head = page[: page.find("\n---", 4) + 1] if page.startswith("---\n") else ""
    flagged = re.search(r"^beta:\s*true\s*$", head, re.MULTILINE) is not None
    noted = _BETA_INCLUDE in page
    if stage == "beta" and not (flagged and noted):
        return yellow(
            "docs.lifecycle",
            "the source is in beta but the page lacks segment-docs' "
            + " and ".join(
                w
                for w, ok in (("`beta: true` front matter", flagged), ("beta note", noted))
                if not ok
            ),
            "run `segment-source docs` (the note), and add `beta: true` to the front matter",
        )
    if stage != "beta" and (flagged or noted):
        return yellow(
            "docs.lifecycle",
            "the source is generally available but the page still says beta",
            "run `segment-source docs` (the note), and remove `beta: true` from the front matter",
        )
    return green(
        "docs.lifecycle",
        f"lifecycle {stage}: "
        + ("beta front matter and note" if stage == "beta" else "no beta note"),
    )


def check(project: Project) -> list[Item]:
    """``docs.identity``, ``docs.getting_started`` and ``docs.lifecycle``."""
    try:
        page = _paths.read_text(project.docs_page, "the docs page")
    except (FileNotFoundError, GeneratorError):
        return []  # the docs items already report a missing or unreadable page
    return [_identity(project, page), _getting_started(project, page), _lifecycle(project, page)]
