"""The Segment page: in segment-docs' own dialect, exported as it is, previewed faithfully.

The dialect (front matter, section order, callouts, the region include, the schema-name
sentence, the property table without ``context.integration``) was read in
``segmentio/segment-docs`` at commit 747b35d8f5f1889b041f2101185d562d7c4c016e
(2025-11-07), in the files listed in ``SEGMENT_DOCS`` below.

The preview is built for real, with ``mkdocs build --strict`` and ``zensical build``, and
read back as HTML; the narrow-window and hostile-answer checks load it in Chromium.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, sync_playwright
from ruamel.yaml import YAML

from generator import Status, check, generate, render_docs

from .conftest import load_scenario

SEGMENT_DOCS = {
    "repository": "segmentio/segment-docs",
    "commit": "747b35d8f5f1889b041f2101185d562d7c4c016e",
    "files": [
        "templates/partners/source.md",  # sections, their order, the intro and schema sentences
        # the region include after the front matter
        "src/connections/sources/catalog/cloud-apps/vero/index.md",
        "src/connections/sources/catalog/cloud-apps/klaviyo/index.md",
        # `> success ""` callouts
        "src/connections/sources/catalog/cloud-apps/customer-io/index.md",
        "src/connections/sources/catalog/cloud-apps/iterable/index.md",
        # Events / Event Properties tables
        "src/connections/sources/catalog/cloud-apps/mailmodo/index.md",
        "src/_includes/content/source-region-unsupported.md",  # what the include shows
        "src/_sass/vendors/_premonition.scss",  # callout kinds: note, info, success, warning, error
    ],
}
SECTIONS = ["Getting started", "Stream", "Events", "Event Properties", "Adding Destinations"]
REGION_INCLUDE = "{% include content/source-region-unsupported.md %}"
CALLOUT_RE = re.compile(r'^> (info|warning|success|note|error) "[^"]*"$')
# Syntax only mkdocs (Python-Markdown extensions, mkdocs-material) renders; Segment's site
# shows it as text.
MKDOCS_ONLY = [
    (re.compile(r"^\s*!!!"), "admonition"),
    (re.compile(r"^\s*\?\?\?"), "collapsible block"),
    (re.compile(r'^\s*===\+?\s+"'), "content tab"),
    (re.compile(r"^#+ .*\{\s*[:#.][^}]*\}\s*$"), "attribute list on a heading"),
    (re.compile(r"^\s*:::"), "block syntax"),
    (re.compile(r"^\s*--8<--"), "snippet"),
]
BRITISH = ["recognise", "organise", "behaviour", "colour", "licence", "catalogue", "analyse"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]
MARKER = "alert("
HOSTILE = {
    "integration_name": "Acme <script>alert(1)</script> [x](javascript:alert(2))",
    "maintainer": '<img src=x onerror="alert(3)"> {{ site.x }}',
    "description": (
        'Sends <b onmouseover=alert(4)>mail</b> {% include x.md %} {:onclick="alert(5)"} | *ok*'
    ),
}
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def _page_parts(page: str) -> tuple[dict[str, object], str]:
    assert page.startswith("---\n")
    front, body = page[4:].split("\n---\n", 1)
    return YAML(typ="safe").load(front), body


def _exported(project: Path, tmp_path: Path) -> str:
    checkout = tmp_path / "segment-docs"
    result = render_docs(project, export=checkout)
    assert result.export is not None and result.export.created
    return result.export.path.read_text(encoding="utf-8")


def _build(project: Path, renderer: str) -> Path:
    """Build the preview with ``mkdocs`` or ``zensical``; return the site folder."""
    # src/segment_docs_preview.py is importable from src, as in an editable install
    env = {**ENV, "PYTHONPATH": str(project / "src")}
    shutil.rmtree(project / "site", ignore_errors=True)
    cmd = (
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"]
        if renderer == "mkdocs"
        else [sys.executable, "-m", "zensical", "build", "--strict"]
    )
    done = subprocess.run(
        cmd, cwd=project, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, (
        f"{renderer} build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    built = project.parent / f"site-{renderer}"
    shutil.rmtree(built, ignore_errors=True)
    (project / "site").rename(built)
    return built


class _Html(HTMLParser):
    """Elements (tag, attributes) and text of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Html:
    parser = _Html()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _article(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    return html[html.index("<article") : html.index("</article>")]


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    """One US-only and one EU project, generated once for the module."""
    base = tmp_path_factory.mktemp("dialect")
    return {
        name: generate(base / name / "project", load_scenario(name)).path
        for name in ("us-email", "eu-all-families")
    }


@pytest.fixture(scope="module")
def sites(projects):
    """(scenario, renderer) -> the built site."""
    return {
        (name, renderer): _build(path, renderer)
        for name, path in projects.items()
        for renderer in ("mkdocs", "zensical")
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = shutil.which("chromium")
    assert path, "the preview tests need Chromium on PATH (Debian: apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def serve():
    """Serve a built site on 127.0.0.1 (a free port); return its base URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(site: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _open(browser: Browser, url: str, width: int):
    """A page at ``url`` in a window ``width`` pixels wide; requests off 127.0.0.1 are refused."""
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    origin = url.split("/segment-source/")[0].rstrip("/") + "/"

    def guard(route: Route) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", guard)
    page.goto(url)
    page.wait_for_load_state("load")
    return page, dialogs


# -- the exported page ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["us-email", "eu-all-families", "tricky"])
def test_exported_page_is_the_project_page_in_segment_docs_dialect(rendered, tmp_path, name):
    """`docs --export` writes the project's page unchanged, holding nothing only mkdocs renders."""
    project = tmp_path / "project"
    shutil.copytree(rendered(name).path, project)
    exported = _exported(project, tmp_path)
    assert exported == (project / "docs" / "segment-source.md").read_text(encoding="utf-8")

    for number, line in enumerate(exported.splitlines(), start=1):
        for pattern, what in MKDOCS_ONLY:
            assert not pattern.search(line), f"line {number}: {what}: {line!r}"
    front, body = _page_parts(exported)
    assert list(front) in (["title"], ["title", "beta"]) and str(front["title"]).endswith(" Source")
    assert front.get("beta", True) is True  # segment-docs' beta flag, while the source is in beta
    assert [line[3:] for line in body.splitlines() if line.startswith("## ")] == SECTIONS
    assert "context.integration" not in body  # no real page lists it
    assert not [word for word in BRITISH if word in body.lower()]
    openers = [line for line in body.splitlines() if re.match(r'^> \w+ "', line)]
    assert all(CALLOUT_RE.match(line) for line in openers), openers


def test_us_only_page_opens_with_the_region_include_and_eu_page_with_an_info_callout(rendered):
    """US only: Segment's region include right after the front matter; EU: an info callout."""
    for name, first_expected in (("us-email", REGION_INCLUDE), ("eu-all-families", '> info ""')):
        _, body = _page_parts(
            (rendered(name).path / "docs" / "segment-source.md").read_text(encoding="utf-8")
        )
        lines = [line for line in body.splitlines() if line and not line.startswith("<!--")]
        assert lines[0] == first_expected
        assert (REGION_INCLUDE in body) is (name == "us-email")


def test_getting_started_names_the_schema_and_the_intro_follows_segments_template(rendered):
    """The schema-name sentence, the utm link to the website, the maintainer and support contact."""
    _, body = _page_parts(
        (rendered("us-email").path / "docs" / "segment-source.md").read_text(encoding="utf-8")
    )
    getting_started = body.split("## Getting started")[1].split("## Stream")[0]
    assert "source name `acme_mail_prod` creates the schema `acme_mail_prod`" in getting_started
    intro = body.split("## Getting started")[0]
    assert (
        '(https://acme-mail.example/?utm_source=segmentio&utm_medium=docs&utm_campaign=partners){:target="_blank"}'
        in intro
    )
    assert "This source is maintained by Acme Mail." in intro
    assert "(mailto:support@acme-mail.example)" in intro


def test_answers_with_liquid_or_markup_stay_text_on_segments_site(rendered):
    """`{{`, `{%`, `<` and Markdown specials from an answer are escaped: no Liquid, HTML, link."""
    front, body = _page_parts(
        (rendered("tricky").path / "docs" / "segment-source.md").read_text(encoding="utf-8")
    )
    # tricky declares EU: no region include either; the beta note is the page's own include.
    answers_part = body.replace("{% include content/beta-note.md %}", "")
    assert "{{" not in answers_part and "{%" not in answers_part
    assert "&#123;&#123; 7\\*7 &#125;&#125;" in body  # the name's "{{ 7*7 }}", shown as typed
    # The partners' utm string goes into the query, before the website's #fragment.
    assert (
        "(https://xn--80aa0ab.example/path?q=a:b&utm_source=segmentio&utm_medium=docs&utm_campaign=partners#frag)"
        in body
    )
    # Jekyll reads no Liquid in front matter: the title keeps the name as typed.
    assert front == {"title": 'Ацме: #1 "Mail" {{ 7*7 }} o\'neil Source', "beta": True}


# -- the preview: mkdocs and Zensical ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("renderer", ["mkdocs", "zensical"])
def test_preview_renders_the_dialect(sites, renderer):
    """The callouts and the region notice become admonition boxes; the H1 is the page's title."""
    us = sites["us-email", renderer] / "segment-source" / "index.html"
    eu = sites["eu-all-families", renderer] / "segment-source" / "index.html"
    for path, title, kind in (
        (us, "Acme Mail Source", "warning"),
        (eu, "Globex Engage Source", "info"),
    ):
        article = _article(path)
        assert re.search(r"<h1[^>]*>\s*" + re.escape(title) + r"\s*(<|$)", article), title
        assert "Segment source page" not in article  # the nav label is not the heading
        assert "{%" not in article and "> info" not in article and "&gt; info" not in article
        assert re.search(rf'<div class="admonition {kind}"', article), kind
        assert 'target="_blank"' in article and "{:target" not in article
    assert "US workspaces only" in _article(us) and "/docs/guides/regional-segment/" in _article(us)
    eu_box = re.search(r'<div class="admonition info">(.*?)</div>', _article(eu), re.DOTALL)
    assert eu_box and "https://events.eu1.segmentapis.com/v1" in eu_box[1]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("renderer", ["mkdocs", "zensical"])
def test_property_names_never_break_in_a_narrow_window(sites, browser, serve, renderer):
    """At 360 px, every name in the tables stays on one line; without the preview's CSS, not."""
    page, _ = _open(browser, serve(sites["eu-all-families", renderer]) + "/segment-source/", 360)
    broken = """() => [...document.querySelectorAll('article table td code')]
        .filter(code => code.getClientRects().length > 1).map(code => code.textContent)"""
    assert page.locator("article table td code").count() > 30
    assert page.evaluate(broken) == []
    page.evaluate(
        "() => document.querySelectorAll('link[href*=\"preview.css\"]').forEach(link => "
        "link.remove())"
    )
    assert page.evaluate(broken), "the test must be able to see a broken name"
    page.context.close()


# -- hostile answers -------------------------------------------------------------------------


def _assert_no_live_markup(site: Path) -> None:
    for path in site.rglob("*.html"):
        parsed = _parse(path)
        for tag, attrs in parsed.elements:
            for (
                key,
                value,
            ) in attrs.items():  # text in a title="..." is harmless; handlers and URLs are not
                assert not (key.startswith("on") and MARKER in value), (path, tag, key, value)
                assert not value.strip().lower().startswith("javascript:"), (path, tag, key, value)
            assert not (tag == "img" and attrs.get("src") == "x"), path
        scripts = path.read_text(encoding="utf-8")
        assert "<script>alert" not in scripts and "<b onmouseover" not in scripts, path
    for path in site.rglob("*.json"):
        text = json.dumps(json.loads(path.read_text(encoding="utf-8")))
        assert "<script>alert" not in text and "<img src=x" not in text, path


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("renderer", ["mkdocs", "zensical"])
def test_hostile_answers_reach_the_preview_as_text(tmp_path, browser, serve, renderer):
    """`<script>`, `<img onerror>` and Liquid in the name, maintainer and description stay text."""
    project = generate(tmp_path / "hostile", {**load_scenario("us-email"), **HOSTILE}).path
    report = check(project)  # the escaped answers are what check looks for on the page
    for item in ("docs.sections", "docs.regions", "docs.events", "docs.markup", "docs.dialect"):
        assert report.item(item).status is Status.GREEN, report.item(item)
    site = _build(project, renderer)
    _assert_no_live_markup(site)
    base = serve(site)
    texts = {}
    for url in ("/", "/segment-source/"):
        page, dialogs = _open(browser, base + url, 1000)
        texts[url] = page.locator("article").inner_text()
        assert dialogs == [], url
        page.context.close()
    assert texts["/"].startswith(
        "Acme <script>alert(1)</script> [x](javascript:alert(2)) source for Segment"
    )
    page_text = texts["/segment-source/"]
    assert page_text.startswith("Acme <script>alert(1)</script> [x](javascript:alert(2)) Source")
    assert 'maintained by <img src=x onerror="alert(3)"> {{ site.x }}.' in page_text
    assert (
        'Sends <b onmouseover=alert(4)>mail</b> {% include x.md %} {:onclick="alert(5)"} | *ok*'
        in page_text
    )


def test_check_flags_raw_html_and_mkdocs_syntax_on_the_page(tmp_path, rendered):
    """A pasted tag turns `docs.markup` red; an mkdocs admonition turns `docs.dialect` red."""
    project = tmp_path / "project"
    shutil.copytree(rendered("us-email").path, project)
    page = project / "docs" / "segment-source.md"
    report = check(project)
    assert report.item("docs.markup").status is Status.GREEN
    assert report.item("docs.dialect").status is Status.GREEN

    text = page.read_text(encoding="utf-8")
    text = text.replace(
        "## Stream\n",
        '## Stream\n\nSee <img src=x onerror="alert(1)"> and `<code>` here.\n\n```html\n<p>in a '
        'fence</p>\n```\n\n!!! warning "Heads up"\n    Old style.\n',
    )
    page.write_text(text, encoding="utf-8")
    report = check(project)
    markup, dialect = report.item("docs.markup"), report.item("docs.dialect")
    assert markup.status is Status.RED and "<img>" in markup.message
    assert "<code>" not in markup.message and "<p>" not in markup.message  # code is not markup
    assert dialect.status is Status.RED and any("!!!" in line for line in dialect.details)
    assert '> info ""' in dialect.fix


def test_check_wants_the_region_include_exactly_when_the_source_is_us_only(tmp_path, rendered):
    """US only without the include, or EU with it: `docs.regions` is red; `docs` puts it right."""
    for name, edit in (
        ("us-email", (REGION_INCLUDE, "")),
        ("eu-all-families", ('> info ""', REGION_INCLUDE + '\n\n> info ""')),
    ):
        project = tmp_path / name
        shutil.copytree(rendered(name).path, project)
        page = project / "docs" / "segment-source.md"
        page.write_text(page.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
        item = check(project).item("docs.regions")
        assert item.status is Status.RED and "US-only" in item.message, item
        assert render_docs(project).page.changed == ("regions",)
        assert check(project).item("docs.regions").status is Status.GREEN
