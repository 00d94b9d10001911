"""Quotes in the integration name stay inside the preview's HTML attributes.

mkdocs-material (and Zensical's copy of its templates) prints the site name unescaped
into attributes, ``aria-label="{{ config.site_name }}"`` in partials/header.html and
partials/nav.html, so the generated ``mkdocs.yml`` writes the name with quotes, ``&``,
``<`` and ``>`` as entities. Built for real with mkdocs and Zensical.
"""

from __future__ import annotations

import html

import pytest

from generator import generate

from .conftest import load_scenario
from .test_docs_dialect import _build, _parse

NAME = 'Acme" onmouseover="alert(1)" x=\'y\' <b>&amp;'
SITE = f"{NAME} source for Segment"


@pytest.mark.slow
@pytest.mark.parametrize("renderer", ["mkdocs", "zensical"])
def test_a_quote_in_the_name_never_opens_an_attribute(tmp_path, renderer):
    """No element gets an on* attribute, and the logo's aria-label reads the whole name."""
    project = generate(tmp_path / "p", {**load_scenario("us-email"), "integration_name": NAME}).path
    site = _build(project, renderer)
    labels = []
    for path in site.rglob("*.html"):
        for tag, attrs in _parse(path).elements:
            assert not [key for key in attrs if key.startswith("on")], (path.name, tag, attrs)
            if "md-logo" in attrs.get("class", ""):
                labels.append(attrs.get("aria-label"))
                # The theme escapes its title="" itself, so our entities show once more there:
                # cosmetic, and no attribute is opened.
                assert html.unescape(attrs["title"]) == SITE
    assert labels and set(labels) == {SITE}
