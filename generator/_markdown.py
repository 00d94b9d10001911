"""Answers as the docs page writes them: ``docs_templates/markdown.jinja``'s escaping.

The page escapes every answer (HTML, Liquid, Markdown) through that file's macros; code
that looks for an answer in a page looks for the escaped form, made by the same macros.
"""

from __future__ import annotations

from functools import cache

import jinja2

from ._template_files import template_root

MARKDOWN_MACROS = "docs_templates/markdown.jinja"


@cache
def environment() -> jinja2.Environment:
    """The Jinja environment the page templates render in (plain Jinja, no copier)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_root())),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


def _macro(name: str, value: str) -> str:
    macros = environment().get_template(MARKDOWN_MACROS).module
    return str(getattr(macros, name)(value))


def markdown_text(value: str) -> str:
    """``value`` as the page writes it in running text (``markdown.jinja``'s ``text``)."""
    return _macro("text", value)


def markdown_url(value: str) -> str:
    """``value`` as the page writes it in a link target (``markdown.jinja``'s ``url``)."""
    return _macro("url", value)
