"""Only the debugger's own page and servers reach it: no other site, no DNS rebinding.

HTTP-level checks with the standard library, then the attacks as a browser makes them,
in real headless Chromium: a page on another origin posting ``no-cors``, and a name that
resolves to 127.0.0.1 (Chromium's ``--host-resolver-rules``, so nothing leaves loopback).
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from generator._debugger._origin import Guard, host_name

from .debugger_helpers import events, good_event, post, request, running

REBOUND = "rebound.test"


def test_server_side_calls_without_origin_are_accepted():
    """SDKs on servers send no Origin: accepted, whatever Host name is a loopback address."""
    with running() as debugger:
        port = debugger.port
        for host in [f"127.0.0.1:{port}", f"localhost:{port}", "127.0.0.1", f"[::1]:{port}"]:
            answer = post(debugger.url, "/v1/track", good_event(), headers={"Host": host})
            assert answer.status == 200, host
        assert events(debugger.url)["counts"]["total"] == 4


def test_a_post_from_another_origin_is_refused_with_403():
    """A POST whose Origin is not the debugger's own gets 403 and stores nothing."""
    with running() as debugger:
        port = debugger.port
        for origin in ["https://evil.example", "null", f"http://127.0.0.1:{port + 1}",
                       f"http://localhost:{port}"]:  # fmt: skip
            answer = post(debugger.url, "/v1/track", good_event(),
                          headers={"Origin": origin, "Host": f"127.0.0.1:{port}"})  # fmt: skip
            assert answer.status == 403, origin
            assert answer.json["code"] == "forbidden"
            assert "may not send events here" in answer.json["message"]
        own = post(debugger.url, "/v1/track", good_event(),
                   headers={"Origin": f"http://127.0.0.1:{port}"})  # fmt: skip
        assert own.status == 200
        counts = events(debugger.url)["counts"]
        assert counts["total"] == 1
        assert counts["requests"] == {"200": 1, "403": 4}


@pytest.mark.parametrize("path", ["/", "/static/debugger.js", "/api/events", "/api/stream"])
def test_a_host_that_is_not_this_machine_is_refused_everywhere(path):
    """DNS rebinding: a request for another name (re-bound to 127.0.0.1) gets 403."""
    with running() as debugger:
        answer = request(debugger.url, "GET", path, headers={"Host": f"{REBOUND}:{debugger.port}"})
        assert answer.status == 403
        assert "is not this machine's address" in answer.json["message"]
        post_answer = post(debugger.url, "/v1/track", good_event(),
                           headers={"Host": f"{REBOUND}:{debugger.port}"})  # fmt: skip
        assert post_answer.status == 403
        assert events(debugger.url)["counts"]["total"] == 0


@pytest.mark.parametrize(
    ("header", "name"),
    [("127.0.0.1:8765", "127.0.0.1"), ("[::1]:8765", "::1"), ("LocalHost", "localhost"),
     ("evil.example:80", "evil.example"), ("a:b:c", "a:b:c")],
)  # fmt: skip
def test_host_name_parsing(header, name):
    assert host_name(header) == name


def test_a_debugger_listening_on_a_name_accepts_that_name():
    """Listening on a host name (e.g. for a LAN) accepts that name, still not others."""
    guard = Guard("devbox.local")
    assert guard.host_problem("devbox.local:8765") is None
    assert guard.host_problem("192.168.1.20:8765") is None
    assert guard.host_problem("other.example:8765") is not None


# -- In a real browser ----------------------------------------------------------------

ATTACK_PAGE = """<!doctype html><title>elsewhere</title><script>
fetch(%(target)s + "/v1/track", {method: "POST", mode: "no-cors",
  headers: {"Content-Type": "text/plain"}, body: %(body)s})
  .then(() => { document.title = "sent"; }, () => { document.title = "sent"; });
</script>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = shutil.which("chromium")
    assert path, "the browser tests need Chromium on PATH (Debian: apt-get install chromium)"
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1"]  # fmt: skip
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=args)
        yield launched
        launched.close()


@pytest.fixture
def other_site() -> Iterator[tuple[str, list[str]]]:
    """A real server on another loopback port: the page a visitor has open elsewhere."""
    pages: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            content = pages[-1].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_a_page_on_another_origin_cannot_inject_events(browser, other_site):
    """A no-cors POST from another site's page reaches the debugger and is refused (403)."""
    origin, pages = other_site
    with running() as debugger:
        pages.append(ATTACK_PAGE % {"target": json.dumps(debugger.url),
                                    "body": json.dumps(json.dumps(good_event()))})  # fmt: skip
        context = browser.new_context()
        page = context.new_page()
        page.goto(origin + "/")
        expect(page).to_have_title("sent", timeout=10_000)
        context.close()
        counts = events(debugger.url)["counts"]
        assert counts["requests"] == {"403": 1}
        assert counts["total"] == 0


@pytest.mark.browser
def test_a_rebound_name_cannot_load_the_page_or_read_events(browser):
    """The page at http://rebound.test:PORT/ (resolving to 127.0.0.1) is refused; the page
    at http://127.0.0.1:PORT/ works and can still send its own same-origin POST."""
    with running() as debugger:
        post(debugger.url, "/v1/track", good_event())
        context = browser.new_context()
        page = context.new_page()
        rebound = page.goto(f"http://{REBOUND}:{debugger.port}/")
        assert rebound is not None and rebound.status == 403
        assert "is not this machine's address" in page.content()
        assert "Source Debugger" not in page.content()
        own = page.goto(debugger.url + "/")
        assert own is not None and own.status == 200
        expect(page.locator("#live")).to_have_text("live", timeout=10_000)
        expect(page.locator("tr.event-row")).to_have_count(1)
        status = page.evaluate(
            """async (body) => (await fetch('/v1/track', {method: 'POST', body,
                   headers: {'Content-Type': 'application/json'}})).status""",
            json.dumps(good_event(event="Email Delivered")),
        )
        assert status == 200
        expect(page.locator("tr.event-row")).to_have_count(2)
        context.close()
