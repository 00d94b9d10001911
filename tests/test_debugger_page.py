"""The Source Debugger page in real headless Chromium: live, newest first, filterable.

These tests never skip: without a Chromium binary they fail, so CI cannot pass silently.
"""

from __future__ import annotations

import http.client
import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from generator._debugger import DebuggerServer, mask

from .debugger_helpers import SLUG, WRITE_KEY, good_event, post, running

pytestmark = pytest.mark.browser

OTHER_KEY = "wk_second_0a9b8c7d6e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = shutil.which("chromium")
    assert path, "the browser tests need Chromium on PATH (Debian: apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def debugger() -> Iterator[DebuggerServer]:
    with running(integration=SLUG) as server:
        yield server


@pytest.fixture
def page(browser: Browser, debugger: DebuggerServer) -> Iterator[Page]:
    """The debugger page, loaded once; any request off the debugger's origin is refused."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    origin = debugger.url
    off_origin: list[str] = []
    errors: list[str] = []

    def guard(route: Route) -> None:
        if route.request.url.startswith(origin + "/"):
            route.continue_()
        else:
            off_origin.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(debugger.url + "/")
    expect(page.locator("#live")).to_have_text("live")
    page.evaluate("window.loadedOnce = true")  # gone if the page ever reloads
    yield page
    assert page.evaluate("window.loadedOnce") is True, "the page reloaded"
    assert off_origin == [], "the page must work with no network"
    assert errors == []
    context.close()


def rows(page: Page):
    return page.locator("tr.event-row")


def test_events_sent_after_load_appear_live_newest_first(debugger, page):
    """Events posted after the page loaded show up without a reload, newest first."""
    expect(page.locator("#empty")).to_be_visible()
    for name in ["Email Delivered", "Email Opened", "Email Link Clicked"]:
        assert post(debugger.url, "/v1/track", good_event(event=name)).status == 200
    expect(rows(page).locator("td.name")).to_have_text(
        ["Email Link Clicked", "Email Opened", "Email Delivered"]
    )
    expect(rows(page).locator("td.type")).to_have_text(["track"] * 3)
    expect(rows(page).locator("td.key")).to_have_text([mask(WRITE_KEY)] * 3)
    expect(rows(page).locator(".badge")).to_have_text(["pass"] * 3)
    expect(page.locator("#count-total")).to_have_text("3")
    post(debugger.url, "/v1/identify", {"userId": "u-9", "context": good_event()["context"]})
    expect(rows(page).first.locator("td.type")).to_have_text("identify")
    expect(rows(page)).to_have_count(4)


def test_a_failing_event_shows_its_badge_and_reasons(debugger, page):
    """A fail shows the fail badge and every reason, e.g. the Spec name to use."""
    bad = good_event(event="Email Link Click", userId=None, properties={"campaignName": "x"})
    post(debugger.url, "/v1/track", bad)
    row = rows(page).first
    expect(row.locator(".badge")).to_have_text("fail")
    reasons = row.locator("ul.reasons li")
    expect(reasons.filter(has_text="no userId or anonymousId")).to_have_count(1)
    expect(reasons.filter(has_text="'Email Link Clicked'")).to_have_count(1)
    expect(reasons.filter(has_text="'campaignName' is not snake_case")).to_have_count(1)
    expect(page.locator("#count-fail")).to_have_text("1")


def test_clicking_a_row_shows_the_pretty_json(debugger, page):
    """Clicking a row shows the event as indented JSON; clicking again hides it."""
    payload = good_event(properties={"email_id": "e-42", "campaign_name": "Spring"})
    post(debugger.url, "/v1/track", payload)
    rows(page).first.click()
    shown = page.locator("pre.payload")
    expect(shown).to_have_count(1)
    text = shown.inner_text()
    assert json.loads(text) == {**payload, "type": "track"}
    assert '\n  "properties": {\n    "email_id": "e-42",' in text
    rows(page).first.click()
    expect(page.locator("pre.payload")).to_have_count(0)


def test_filters_by_type_status_event_and_write_key(debugger, page):
    """Each filter narrows the list; clearing it shows everything again."""
    post(debugger.url, "/v1/track", good_event(event="Email Opened"))
    post(debugger.url, "/v1/track", good_event(event="Email Link Click"), key=OTHER_KEY)
    post(debugger.url, "/v1/page", {**good_event(event=None), "name": "Pricing"})
    post(debugger.url, "/v1/group", {"userId": "u-1", "groupId": "g-1"})  # no integration
    expect(rows(page)).to_have_count(4)
    names = rows(page).locator("td.name")

    page.select_option("#filter-type", "track")
    expect(names).to_have_text(["Email Link Click", "Email Opened"])
    page.select_option("#filter-type", "")

    page.select_option("#filter-status", "fail")
    expect(rows(page).locator("td.type")).to_have_text(["group", "track"])
    page.select_option("#filter-status", "pass")
    expect(names).to_have_text(["Pricing", "Email Opened"])
    page.select_option("#filter-status", "")

    page.fill("#filter-event", "email")
    expect(names).to_have_text(["Email Link Click", "Email Opened"])
    page.fill("#filter-event", "PRIC")
    expect(names).to_have_text(["Pricing"])
    page.fill("#filter-event", "")

    page.select_option("#filter-key", mask(OTHER_KEY))
    expect(names).to_have_text(["Email Link Click"])
    expect(page.locator("#matching")).to_have_text("1 of 4 shown")
    page.select_option("#filter-key", "")
    expect(rows(page)).to_have_count(4)

    # A filter stays applied to events that arrive later.
    page.select_option("#filter-type", "page")
    post(debugger.url, "/v1/track", good_event(event="Email Bounced"))
    post(debugger.url, "/v1/page", {**good_event(event=None), "name": "Docs"})
    expect(names).to_have_text(["Docs", "Pricing"])


def test_the_full_write_key_is_never_in_the_page(debugger, page):
    """Neither the rows, the JSON detail, the filter options nor the stream hold the key."""
    post(debugger.url, "/v1/track", good_event(writeKey=WRITE_KEY), key=None)
    post(debugger.url, "/v1/track", good_event(), key=OTHER_KEY)
    expect(rows(page)).to_have_count(2)
    rows(page).nth(1).click()
    expect(page.locator("pre.payload")).to_contain_text(f'"writeKey": "{mask(WRITE_KEY)}"')
    html = page.content()
    assert mask(WRITE_KEY) in html and mask(OTHER_KEY) in html
    assert WRITE_KEY not in html
    assert OTHER_KEY not in html
    stream = page.evaluate(
        """async () => {
            const response = await fetch('/api/events');
            return await response.text();
        }"""
    )
    assert WRITE_KEY not in stream and OTHER_KEY not in stream


def test_the_page_keeps_up_with_100k_events(debugger, page):
    """With the page open, 100,000 events arrive: it counts them all, keeps --keep rows."""
    parts = urlsplit(debugger.url)
    body = json.dumps({"batch": [good_event(type="track")] * 500}).encode()

    def sender(_: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            for _ in range(25):
                assert post(debugger.url, "/v1/batch", raw=body, conn=conn).status == 200
        finally:
            conn.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(sender, range(8)))
    expect(page.locator("#count-total")).to_have_text("100,000", timeout=30_000)
    expect(page.locator("#count-pass")).to_have_text("100,000")
    expect(rows(page)).to_have_count(1000)


def test_an_unknown_write_key_is_marked_on_the_page(browser):
    """With --write-key given, a row sent with another key says so next to the masked key."""
    with running(integration=SLUG, write_keys=[WRITE_KEY]) as debugger:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(debugger.url + "/")
        expect(page.locator("#live")).to_have_text("live")
        post(debugger.url, "/v1/track", good_event(event="Email Delivered"))
        post(debugger.url, "/v1/track", good_event(event="Email Opened"), key=OTHER_KEY)
        expect(rows(page).locator("td.key")).to_have_text(
            [mask(OTHER_KEY) + "not expected", mask(WRITE_KEY)]
        )
        expect(rows(page).locator("td.key.unknown")).to_have_count(1)
        expect(rows(page).first.locator(".badge")).to_have_text("warn")
        expect(rows(page).first.locator("ul.reasons li.warn")).to_contain_text(
            "is not one this debugger was told about"
        )
        assert OTHER_KEY not in page.content()
        context.close()
