"""The debugger answers Segment's HTTP API paths the way Segment does (real HTTP)."""

from __future__ import annotations

import gzip
import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from generator import _segment
from generator._debugger import DebuggerServer, mask

from .debugger_helpers import (
    SLUG,
    WRITE_KEY,
    basic,
    events,
    good_event,
    only_event,
    post,
    request,
    running,
)

SINGLE = {
    "/v1/identify": {"userId": "u-1", "traits": {"email": "a@example.com"}},
    "/v1/track": {"userId": "u-1", "event": "Email Opened"},
    "/v1/page": {"anonymousId": "a-1", "name": "Pricing"},
    "/v1/screen": {"userId": "u-1", "name": "Inbox"},
    "/v1/group": {"userId": "u-1", "groupId": "g-1"},
    "/v1/alias": {"userId": "u-1", "previousId": "a-1"},
}
CONTEXT = {"integration": {"name": SLUG, "version": "1.0.0"}}


@pytest.fixture
def debugger():
    with running() as server:
        yield server


@pytest.mark.parametrize("path", sorted(SINGLE), ids=lambda p: p.rsplit("/", 1)[1])
def test_each_single_call_path_is_accepted_and_shown(debugger, path):
    """Every single-call path answers 200 {"success": true} and the event passes."""
    answer = post(debugger.url, path, {**SINGLE[path], "context": CONTEXT})
    assert (answer.status, answer.json) == (200, {"success": True})
    event = only_event(debugger.url)
    assert event["type"] == path.rsplit("/", 1)[1]
    assert event["status"] == "pass", event["reasons"]


def test_batch_is_expanded_and_top_level_context_merged(debugger):
    """/v1/batch stores one event per item, each with the batch's top-level context."""
    batchable = sorted(p for p in SINGLE if p != "/v1/alias")
    batch = [{**SINGLE[p], "type": p.rsplit("/", 1)[1]} for p in batchable]
    answer = post(debugger.url, "/v1/batch", {"batch": batch, "context": CONTEXT})
    assert answer.status == 200
    stored = events(debugger.url)
    assert stored["counts"]["total"] == 5
    assert {e["type"] for e in stored["events"]} == {p.rsplit("/", 1)[1] for p in batchable}
    assert all(e["status"] == "pass" for e in stored["events"]), stored["events"]
    assert all(e["payload"]["context"] == CONTEXT for e in stored["events"])


def test_body_write_key_is_accepted_and_masked():
    """A writeKey in the body authenticates; the stored payload only shows it masked."""
    with running(write_keys=[WRITE_KEY], strict_keys=True) as debugger:
        answer = post(debugger.url, "/v1/track", good_event(writeKey=WRITE_KEY), key=None)
        assert answer.status == 200
        event = only_event(debugger.url)
        assert event["write_key"] == mask(WRITE_KEY) == WRITE_KEY[:4] + "…"
        assert event["payload"]["writeKey"] == mask(WRITE_KEY)
        assert event["key_known"] is True


def test_basic_auth_without_colon_is_accepted_with_a_warning(debugger):
    """Basic auth of the bare key works (backward compatibility) but is flagged."""
    answer = post(debugger.url, "/v1/track", good_event(), key=None,
                  headers={"Authorization": basic(WRITE_KEY, colon=False)})  # fmt: skip
    assert answer.status == 200
    event = only_event(debugger.url)
    assert event["status"] == "warn"
    assert any("with the colon" in m for m in (r["message"] for r in event["reasons"]))


def test_strict_keys_refuse_an_unknown_write_key_with_401_and_do_not_show_it():
    """With --strict-keys, other keys get a clear 401 naming only the masked key."""
    other = "wk_other_secret_999"
    with running(write_keys=[WRITE_KEY], strict_keys=True) as debugger:
        answer = post(debugger.url, "/v1/track", good_event(), key=other)
        assert answer.status == 401
        assert answer.json["code"] == "unauthorized"
        assert mask(other) in answer.json["message"]
        assert other not in json.dumps(answer.json)
        missing = post(debugger.url, "/v1/track", good_event(), key=None)
        assert missing.status == 401
        assert "no write key" in missing.json["message"]
        stored = events(debugger.url)
        assert stored["events"] == []
        assert stored["counts"]["requests"] == {"401": 2}


def test_any_key_is_accepted_when_none_configured_but_a_missing_key_fails(debugger):
    """Without --write-key every key is let in; a call with no key at all is a fail."""
    assert post(debugger.url, "/v1/track", good_event(), key="anything-goes").status == 200
    assert post(debugger.url, "/v1/track", good_event(), key=None).status == 200
    without, with_key = events(debugger.url)["events"]
    assert with_key["status"] == "pass"
    assert without["status"] == "fail"
    assert any("no write key" in r["message"] for r in without["reasons"])


def test_invalid_json_is_400(debugger):
    """A body that is not JSON gets 400 with Segment's {code, message} shape."""
    answer = post(debugger.url, "/v1/track", raw=b'{"userId": "u-1",')
    assert answer.status == 400
    assert set(answer.json) == {"code", "message"}
    assert "not valid JSON" in answer.json["message"]
    assert post(debugger.url, "/v1/track", raw=b"[1, 2]").status == 400
    assert events(debugger.url)["counts"]["total"] == 0


@pytest.mark.parametrize(
    ("path", "limit_key"),
    [("/v1/track", "max_event_bytes"), ("/v1/batch", "max_batch_bytes")],
    ids=["single-32KB", "batch-500KB"],
)
def test_over_size_body_is_400_and_at_the_limit_is_200(debugger, path, limit_key):
    """Bodies over segment.yml's limits get 400; a body of exactly the limit is fine."""
    limit = _segment.limits()[limit_key]

    def body_of(size: int) -> bytes:
        event = good_event(type="track", properties={"note": ""})
        payload = {"batch": [event]} if path == "/v1/batch" else event
        padding = size - len(json.dumps(payload).encode())
        if path == "/v1/batch":
            # Spread the padding so no single event is over the per-event limit.
            per = _segment.limits()["max_event_bytes"] // 2
            extra = []
            while padding > per + 300:
                extra.append(good_event(type="track", properties={"note": "x" * per}))
                padding -= len(json.dumps(extra[-1]).encode()) + 2
            payload["batch"] = extra + payload["batch"]
            padding = size - len(json.dumps(payload).encode())
        (payload["batch"][-1] if path == "/v1/batch" else payload)["properties"]["note"] = (
            "x" * padding
        )
        raw = json.dumps(payload).encode()
        assert len(raw) == size
        return raw

    assert post(debugger.url, path, raw=body_of(limit)).status == 200
    over = post(debugger.url, path, raw=body_of(limit + 1))
    assert over.status == 400
    assert str(limit) in over.json["message"]
    way_over = post(debugger.url, path, raw=b" " * (3 * limit))
    assert way_over.status == 400


def test_gzip_body_is_accepted(debugger):
    """Content-Encoding: gzip bodies are inflated, checked and stored."""
    answer = post(debugger.url, "/v1/batch", {"batch": [good_event(type="track")]},
                  compress=True)  # fmt: skip
    assert answer.status == 200
    assert only_event(debugger.url)["status"] == "pass"


def test_gzip_that_inflates_over_the_limit_is_400(debugger):
    """The size limit applies to the JSON, so a small gzip of a huge body is refused."""
    huge = json.dumps(good_event(properties={"note": "x" * 200_000})).encode()
    assert len(gzip.compress(huge)) < 32_768
    answer = post(debugger.url, "/v1/track", raw=gzip.compress(huge),
                  headers={"Content-Encoding": "gzip"})  # fmt: skip
    assert answer.status == 400
    bad = post(debugger.url, "/v1/track", raw=b"not gzip", headers={"Content-Encoding": "gzip"})
    assert bad.status == 400


def test_fail_rate_one_answers_503_and_stores_nothing():
    """--fail-rate 1 answers every API request with 503, counted by status."""
    with running(fail_rate=1.0) as debugger:
        for _ in range(3):
            answer = post(debugger.url, "/v1/track", good_event())
            assert answer.status == 503
            assert answer.json["code"] == "unavailable"
        counts = events(debugger.url)["counts"]
        assert counts["total"] == 0
        assert counts["requests"] == {"503": 3}


def test_fail_rate_is_a_share_of_requests():
    """--fail-rate 0.5 fails about half of the requests (seeded, so repeatable)."""
    with running(fail_rate=0.5, seed=7) as debugger:
        codes = [post(debugger.url, "/v1/track", good_event()).status for _ in range(200)]
        assert set(codes) == {200, 503}
        assert 60 <= codes.count(503) <= 140
        assert events(debugger.url)["counts"]["total"] == codes.count(200)


def test_rate_limit_answers_429_with_retry_after():
    """--rate-limit N: requests over N in one second get 429 with Retry-After."""
    with running(rate_limit=3) as debugger:
        parts = urlsplit(debugger.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            answers = [post(debugger.url, "/v1/track", good_event(), conn=conn)
                       for _ in range(10)]  # fmt: skip
        finally:
            conn.close()
        limited = [a for a in answers if a.status == 429]
        assert limited, [a.status for a in answers]
        assert sum(a.status == 200 for a in answers) <= 6  # at most 3 per second window
        assert all(a.headers["Retry-After"] == "1" for a in limited)
        assert all(a.headers["X-RateLimit-Reset"] == "1" for a in limited)


def test_get_on_an_api_path_is_405_and_unknown_paths_404(debugger):
    """Only POST reaches the API; other paths are 404."""
    assert request(debugger.url, "GET", "/v1/track").status == 405
    assert post(debugger.url, "/v1/nope", good_event()).status == 404
    assert request(debugger.url, "GET", "/nope").status == 404


def test_events_endpoint_filters_and_counts(debugger):
    """/api/events filters by type, status, event name and masked key; counts cover all."""
    post(debugger.url, "/v1/track", good_event())
    post(debugger.url, "/v1/track", good_event(event="Email Link Click"), key="wk_second_key_12")
    post(debugger.url, "/v1/identify", {"userId": "u-1", "context": CONTEXT})
    assert [e["name"] for e in events(debugger.url, type="track")["events"]] == [
        "Email Link Click", "Email Opened"]  # fmt: skip
    assert [e["type"] for e in events(debugger.url, status="pass")["events"]] == [
        "identify", "track"]  # fmt: skip
    assert len(events(debugger.url, event="link click")["events"]) == 1
    assert len(events(debugger.url, write_key=mask("wk_second_key_12"))["events"]) == 1
    counts = events(debugger.url, status="fail")["counts"]
    assert counts["total"] == 3
    assert counts["by_status"] == {"pass": 2, "warn": 0, "fail": 1}
    assert counts["by_type"] == {"identify": 1, "track": 2}


def test_keep_bounds_the_stored_events_but_not_the_counts():
    """Only the last --keep events are kept; every event is counted."""
    with running(keep=5) as debugger:
        for i in range(12):
            post(debugger.url, "/v1/track", good_event(messageId=f"m-{i}"))
        stored = events(debugger.url)
        assert [e["payload"]["messageId"] for e in stored["events"]] == [
            f"m-{i}" for i in range(11, 6, -1)
        ]
        assert stored["counts"]["total"] == 12
        assert stored["counts"]["stored"] == 5


def test_log_file_has_every_event_with_the_key_masked(tmp_path: Path):
    """--log FILE gets one JSON line per event; the full write key is never written."""
    log = tmp_path / "events.jsonl"
    with running(log=log, write_keys=[WRITE_KEY]) as debugger:
        post(debugger.url, "/v1/batch", {"batch": [good_event(type="track")] * 3,
                                          "writeKey": WRITE_KEY})  # fmt: skip
        post(debugger.url, "/v1/identify", {"userId": "u", "writeKey": WRITE_KEY}, key=None)
    text = log.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["type"] for line in lines] == ["track", "track", "track", "identify"]
    assert WRITE_KEY not in text
    assert all(line["write_key"] == mask(WRITE_KEY) for line in lines)


def test_write_keys_never_appear_in_reprs_or_error_messages():
    """Reprs of the server name keys only masked."""
    server = DebuggerServer(port=0, write_keys=[WRITE_KEY])
    assert WRITE_KEY not in repr(server)
    assert mask(WRITE_KEY) in repr(server)
    assert WRITE_KEY not in repr(server.write_keys)


@pytest.mark.parametrize("key", ["", "a", "ab", "abcd", "abcdefgh", WRITE_KEY])
def test_mask_never_shows_a_whole_key(key):
    """Short keys show at most half their characters; long keys their first four."""
    masked = mask(key)
    if not key:
        assert masked is None
    else:
        assert masked is not None
        assert masked.endswith("…")
        assert len(masked) - 1 <= min(4, len(key) // 2)


def test_server_arguments_are_checked():
    """Out-of-range arguments raise ValueError before anything listens."""
    with pytest.raises(ValueError, match="fail_rate"):
        DebuggerServer(fail_rate=1.5)
    with pytest.raises(ValueError, match="rate_limit"):
        DebuggerServer(rate_limit=0)
    with pytest.raises(ValueError, match="keep"):
        DebuggerServer(keep=0)


def test_stop_is_clean_and_the_port_is_released():
    """After stop() the port no longer answers, and stop() twice is harmless."""
    debugger = DebuggerServer(port=0).start()
    url = debugger.url
    assert post(url, "/v1/track", good_event()).status == 200
    debugger.stop()
    debugger.stop()
    with pytest.raises(ConnectionRefusedError):
        post(url, "/v1/track", good_event())


def test_the_page_and_its_assets_are_served_with_no_outside_reference(debugger):
    """The page loads only its own CSS and JS, under a CSP that forbids other origins."""
    page = request(debugger.url, "GET", "/")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    for body in [page.json] + [
        request(debugger.url, "GET", asset).json
        for asset in ["/static/debugger.js", "/static/debugger.css"]
    ]:
        assert len(body) > 500
        assert b"http://" not in body and b"https://" not in body
    assert request(debugger.url, "GET", "/static/../_keys.py").status == 404


def test_stop_ends_idle_keep_alive_connections():
    """An SDK's pooled keep-alive connection is not served any more after stop()."""
    debugger = DebuggerServer(port=0).start()
    parts = urlsplit(debugger.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        assert post(debugger.url, "/v1/track", good_event(), conn=conn).status == 200
        debugger.stop()
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            post(debugger.url, "/v1/track", good_event(), conn=conn)
    finally:
        conn.close()


def test_exported_members():
    """The debugger package re-exports a short, sorted list (for the command and the tests)."""
    import generator._debugger as package

    assert package.__all__ == ["DebuggerServer", "EventStore", "check_event", "mask"]
    assert all(hasattr(package, name) for name in package.__all__)
