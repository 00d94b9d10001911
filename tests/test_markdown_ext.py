"""src/segment_docs_preview.py, the docs preview's extension: segment-docs' dialect in mkdocs.

The constructs come from segment-docs' cloud-app pages
(commit 747b35d8f5f1889b041f2101185d562d7c4c016e): premonition callouts (``> success ""`` in
customer-io, ``> info "Title"`` in clevertap,
``> warning ""`` in braze), ``{% include content/... %}`` lines (vero, beamer) and
``{:target="_blank”}`` with a typographic quote (vero, mailmodo). The sentences are ours.
"""

from __future__ import annotations

import importlib.util
import sys

import markdown
import pytest


@pytest.fixture(scope="module")
def ext(rendered):
    """The extension module as generated, imported from the rendered project's file."""
    path = rendered("us-email").path / "src" / "segment_docs_preview.py"
    spec = importlib.util.spec_from_file_location("generated_markdown_ext", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def render(ext, text):
    return markdown.markdown(text, extensions=["attr_list", "tables", ext.makeExtension()])


def test_callout_without_title_becomes_a_box_of_its_kind(ext):
    html = render(ext, '> success ""\n> **Good to know**: this page is about the source.\n')
    assert html.startswith('<div class="admonition success">')
    assert "<strong>Good to know</strong>: this page is about the source." in html
    assert (
        "admonition-title" not in html
        and "<blockquote>" not in html
        and "success &quot;" not in html
    )


def test_callout_with_title_and_several_lines(ext):
    html = render(
        ext,
        '> info "A beta source"\n> First line\n>\n> Second paragraph with a [link](https://x.example).\n\nAfter.\n',
    )
    assert '<p class="admonition-title">A beta source</p>' in html
    assert "<p>First line</p>" in html and '<a href="https://x.example">link</a>' in html
    assert html.rstrip().endswith("<p>After.</p>")


def test_error_callout_uses_the_danger_style_and_a_plain_quote_stays_a_quote(ext):
    assert '<div class="admonition danger">' in render(ext, '> error ""\n> Broken.\n')
    assert "<blockquote>" in render(ext, "> Just a quote.\n")


def test_region_include_shows_the_us_only_notice(ext):
    html = render(ext, "{% include content/source-region-unsupported.md %}\n\nText.\n")
    assert (
        '<div class="admonition warning"><p class="admonition-title">Supported in US workspaces '
        "only</p>" in html
    )
    assert '<a href="/docs/guides/regional-segment/">Regional Segment</a>' in html
    assert "{%" not in html


def test_other_includes_are_named_not_shown_as_liquid(ext):
    html = render(ext, "{% include content/beta-note.md %}\n")
    assert "<code>content/beta-note.md</code>" in html and "{%" not in html


def test_raw_blocks_keep_liquid_text_and_lose_their_tags(ext):
    html = render(
        ext, "Write {% raw %}{{ user.name }} and {% include x.md %}{% endraw %} as they are.\n"
    )
    assert html == "<p>Write {{ user.name }} and {% include x.md %} as they are.</p>"


def test_typographic_quote_in_target_blank_still_opens_a_new_tab(ext):
    html = render(ext, '[Vero](https://vero.example/){:target="_blank\u201d} sends email.\n')
    assert '<a href="https://vero.example/" target="_blank">Vero</a> sends email.' in html


def test_escaped_answers_render_as_their_text(ext):
    html = render(ext, "&lt;script&gt; &#123;&#123; x &#125;&#125; \\[a\\](b) \\*c\\* a\\_b\n")
    assert html == "<p>&lt;script&gt; &#123;&#123; x &#125;&#125; [a](b) *c* a_b</p>"


def test_an_escaped_pipe_stays_in_its_table_cell(ext):
    html = render(ext, "| Name | Description |\n| --- | --- |\n| a | one \\| two |\n")
    assert "<td>one | two</td>" in html and html.count("<td>") == 2
