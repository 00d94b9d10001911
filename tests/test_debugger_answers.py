"""The debugger answers as Segment's HTTP API does, and says where Segment's guides differ.

Facts from segmentio/segment-docs at commit 747b35d8f5f1889b041f2101185d562d7c4c016e:

- src/connections/sources/catalog/libraries/server/http-api/index.md, "Errors": Segment
  returns 200 for every request except over-size payloads and invalid JSON (400), so a
  write key is not checked when a call is taken in.
- same file, "Authentication": the write key may be sent in the body (writeKey) or as
  HTTP Basic; src/partners/sources.md, "writeKey": partners must send it in the header.
- same file, "Batch": /v1/batch takes Identify, Group, Track, Page and Screen calls.
"""

from __future__ import annotations

import json
from pathlib import Path

from generator import _segment

from .debugger_helpers import (
    SLUG,
    WRITE_KEY,
    basic,
    events,
    good_event,
    messages,
    only_event,
    post,
    running,
)

OTHER_KEY = "wk_unexpected_7c1e90"
CONTEXT = {"integration": {"name": SLUG, "version": "1.0.0"}}
HEADER_WARNING = "the write key is only in the body"
ALIAS_IN_BATCH = (
    "alias is not a call /v1/batch lists (identify, group, track, page, screen): "
    "send it to /v1/alias"
)


def test_an_unknown_write_key_is_answered_200_and_shown_as_not_expected(tmp_path: Path):
    """Like Segment, 200 for a key the debugger was not told about; the event says so,
    in the JSON API and in the log, with the key masked."""
    log = tmp_path / "events.jsonl"
    with running(write_keys=[WRITE_KEY], log=log) as debugger:
        assert post(debugger.url, "/v1/track", good_event(), key=WRITE_KEY).status == 200
        answer = post(debugger.url, "/v1/track", good_event(), key=OTHER_KEY)
        assert (answer.status, answer.json) == (200, {"success": True})
        unknown, known = events(debugger.url)["events"]
    assert (known["status"], known["key_known"]) == ("pass", True)
    assert (unknown["status"], unknown["key_known"]) == ("warn", False)
    [warning] = messages(unknown, "warn")
    assert "write key 'wk_u…' is not one this debugger was told about" in warning
    logged = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [line["key_known"] for line in logged] == [True, False]
    assert warning in [r["message"] for r in logged[1]["reasons"]]
    assert OTHER_KEY not in log.read_text(encoding="utf-8")


def test_without_expected_keys_no_key_is_called_unknown():
    """With no --write-key given, key_known is null and nothing is flagged about the key."""
    with running() as debugger:
        post(debugger.url, "/v1/track", good_event(), key=OTHER_KEY)
        event = only_event(debugger.url)
    assert (event["status"], event["key_known"]) == ("pass", None)


def test_strict_keys_is_off_by_default_and_a_missing_key_is_still_a_fail():
    """No key at all: Segment answers 200 too, and the event fails (no workspace gets it)."""
    with running(write_keys=[WRITE_KEY]) as debugger:
        assert post(debugger.url, "/v1/track", good_event(), key=None).status == 200
        event = only_event(debugger.url)
    assert event["status"] == "fail"
    assert any("no write key" in m for m in messages(event, "fail"))


def test_a_write_key_only_in_the_body_warns_that_the_header_is_required():
    """The HTTP API takes a body writeKey, but Segment's partner guide requires the header."""
    with running(write_keys=[WRITE_KEY], integration=SLUG) as debugger:
        body_only = post(debugger.url, "/v1/track", good_event(writeKey=WRITE_KEY), key=None)
        assert body_only.status == 200
        both = post(debugger.url, "/v1/track", good_event(writeKey=WRITE_KEY), key=WRITE_KEY)
        assert both.status == 200
        with_both, only_body = events(debugger.url)["events"]
    assert only_body["status"] == "warn"
    [warning] = messages(only_body, "warn")
    assert warning.startswith(HEADER_WARNING)
    assert "Authorization: Basic base64('<writeKey>:')" in warning
    assert with_both["status"] == "pass", with_both["reasons"]


def test_a_write_key_without_the_colon_in_basic_auth_is_not_called_body_only():
    """Basic auth of the bare key is flagged for the colon, not for the header."""
    with running() as debugger:
        post(debugger.url, "/v1/track", good_event(), key=None,
             headers={"Authorization": basic(WRITE_KEY, colon=False)})  # fmt: skip
        event = only_event(debugger.url)
    assert not any(HEADER_WARNING in m for m in messages(event))


def test_alias_inside_a_batch_warns_and_alias_on_its_own_path_passes():
    """An alias in /v1/batch (not a batch call in the docs) warns; /v1/alias passes."""
    alias = {"userId": "u-1", "previousId": "a-1", "context": CONTEXT}
    with running() as debugger:
        batch = [{**alias, "type": "alias"}, good_event(type="track")]
        assert post(debugger.url, "/v1/batch", {"batch": batch}).status == 200
        assert post(debugger.url, "/v1/alias", alias).status == 200
        single, track, batched = events(debugger.url)["events"]
    assert (batched["type"], batched["status"]) == ("alias", "warn")
    assert messages(batched, "warn") == [ALIAS_IN_BATCH]
    assert track["status"] == "pass", track["reasons"]
    assert (single["type"], single["status"]) == ("alias", "pass")


def _listed_names(section: object) -> list[str]:
    """Every name in segment.yml's look-alike section, flat or grouped by severity."""
    if not isinstance(section, dict):
        return []
    names: list[str] = []
    for key, value in section.items():
        names.extend(_listed_names(value) if isinstance(value, dict) else [key])
    return names


def test_lookalike_severity_comes_from_segment_yml():
    """An event fails as a look-alike exactly when the shared rules (segment.yml read
    through _segment) call it one; every other naming sentence is only a warning."""
    names = [*_listed_names(_segment.data()["lookalikes"]), "Email Sent", "Email Delivered"]
    spec_names = [e.name for e in _segment.spec_events()]
    naming = _segment.naming()
    with running(integration=SLUG) as debugger:
        for name in names:
            post(debugger.url, "/v1/track", good_event(event=name, properties={}))
            record = events(debugger.url, limit=1)["events"][0]
            assert record["name"] == name
            same = naming.spec_name_for(name, spec_names, _segment.lookalikes())
            expected = _segment.naming_problems(name, [])
            assert sorted(messages(record)) == sorted(expected), name
            if same is None:
                assert record["status"] in ("pass", "warn"), (name, record["reasons"])
            else:
                assert record["status"] == "fail", name
                assert any(repr(same) in m for m in messages(record, "fail")), name
