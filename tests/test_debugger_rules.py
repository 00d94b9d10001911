"""Each event is checked against the Spec and the partner rules, with a status and reasons."""

from __future__ import annotations

import pytest

from generator import _segment

from .debugger_helpers import SLUG, events, good_event, messages, only_event, post, running


@pytest.fixture(scope="module")
def debugger():
    with running(integration=SLUG) as server:
        yield server


def check(debugger, path: str, payload: dict) -> dict:
    """Send one call and return its stored record."""
    before = events(debugger.url, limit=1)["counts"]["total"]
    assert post(debugger.url, path, payload).status == 200  # Segment still answers 200
    newest = events(debugger.url, limit=1)
    assert newest["counts"]["total"] == before + 1
    return newest["events"][0]


# (id, path, payload, expected status, a text every listed reason of that level contains)
CASES = [
    ("passing", "/v1/track", good_event(), "pass", None),
    ("lookalike-email-clicked", "/v1/track", good_event(event="Email Link Click"), "fail",
     "'Email Link Clicked'"),
    ("lookalike-other-spelling", "/v1/track", good_event(event="email_opened"), "fail",
     "'Email Opened'"),
    ("similar-name-warns", "/v1/track", good_event(event="Purchase"), "warn",
     "may mean the Spec event 'Order Completed'"),
    ("email-sent-is-a-real-event", "/v1/track", good_event(event="Email Sent"), "pass", None),
    ("not-proper-case", "/v1/track", good_event(event="report exported"), "warn",
     "not Proper Case"),
    ("camelcase-property", "/v1/track", good_event(properties={"campaignName": "x"}), "warn",
     "'campaignName' is not snake_case"),
    ("camelcase-page-property", "/v1/page",
     good_event(event=None, name="Home", properties={"pageTitle": "x"}), "warn",
     "'pageTitle' is not snake_case"),
    ("missing-identity", "/v1/track", good_event(userId=None), "fail",
     "no userId or anonymousId"),
    ("anonymous-id-is-enough", "/v1/track", good_event(userId=None, anonymousId="a-1"), "pass",
     None),
    ("track-without-event", "/v1/track", good_event(event=None), "fail", "needs an event name"),
    ("group-without-group-id", "/v1/group", good_event(event=None, properties=None), "fail",
     "group needs groupId"),
    ("alias-without-previous-id", "/v1/alias", good_event(event=None, properties=None), "fail",
     "alias needs previousId"),
    ("missing-context-integration", "/v1/track", good_event(context={"ip": "1.2.3.4"}), "fail",
     "no context.integration"),
    ("mismatched-integration-slug", "/v1/track",
     good_event(context={"integration": {"name": "acme-mailer", "version": "1.0.0"}}), "fail",
     "context.integration.name is 'acme-mailer', expected 'acme-mail'"),
    ("integration-without-version", "/v1/track",
     good_event(context={"integration": {"name": SLUG}}), "warn", "has no version"),
    ("bad-timestamp", "/v1/track", good_event(timestamp="yesterday"), "fail",
     "'yesterday' is not an ISO-8601"),
    ("impossible-date", "/v1/track", good_event(timestamp="2025-02-30T10:00:00Z"), "fail",
     "not a valid date"),
    ("timestamp-without-offset", "/v1/track", good_event(timestamp="2025-01-02T03:04:05"),
     "warn", "no UTC offset"),
    ("bad-sent-at", "/v1/track", good_event(sentAt=12345), "fail", "sentAt 12345"),
    ("long-message-id", "/v1/track", good_event(messageId="m" * 101), "fail",
     "messageId has 101 characters, over 100"),
    ("message-id-at-limit", "/v1/track", good_event(messageId="m" * 100), "pass", None),
    ("properties-not-object", "/v1/track", good_event(properties=["a"]), "fail",
     "properties must be a JSON object"),
    ("wrong-content-type", None, good_event(), "warn", "Content-Type"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "payload", "status", "text"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rule(debugger, path, payload, status, text):
    """The event gets the expected status, and a reason of that level says why."""
    if path is None:  # the Content-Type case sends text/plain
        before = events(debugger.url, limit=1)["counts"]["total"]
        answer = post(debugger.url, "/v1/track", payload, headers={"Content-Type": "text/plain"})
        assert answer.status == 200
        record = events(debugger.url, limit=1)
        assert record["counts"]["total"] == before + 1
        record = record["events"][0]
    else:
        record = check(debugger, path, payload)
    assert record["status"] == status, record["reasons"]
    if text is None:
        assert record["reasons"] == []
    else:
        assert any(text in m for m in messages(record, status)), record["reasons"]


def test_lookalike_uses_the_shared_naming_rules(debugger):
    """The debugger's naming reasons are exactly the shared naming_problems sentences."""
    payload = good_event(event="Email Link Click", properties={"campaignName": "x"})
    record = check(debugger, "/v1/track", payload)
    assert sorted(messages(record)) == sorted(
        _segment.naming_problems("Email Link Click", ["campaignName"])
    )


def test_every_lookalike_in_segment_yml_is_a_fail(debugger):
    """Every look-alike listed in segment.yml is flagged with its Spec name."""
    for wrong, right in _segment.lookalikes().items():
        record = check(debugger, "/v1/track", good_event(event=wrong))
        assert record["status"] == "fail", wrong
        assert any(repr(right) in m for m in messages(record, "fail")), (wrong, record)


def test_batch_over_the_event_limit_fails_every_event():
    """A batch of more than 2,500 events answers 200, but each event is a fail."""
    limit = _segment.limits()["max_batch_events"]
    tiny = {"type": "identify", "userId": "u"}
    with running(keep=10) as debugger:
        answer = post(debugger.url, "/v1/batch", {"batch": [tiny] * (limit + 1)})
        assert answer.status == 200
        stored = events(debugger.url)
        assert stored["counts"]["total"] == limit + 1
        assert stored["counts"]["by_status"]["fail"] == limit + 1
        assert all(
            any(f"the batch has {limit + 1} events, over {limit}" in m for m in messages(e))
            for e in stored["events"]
        )


def test_batch_at_the_event_limit_is_not_flagged():
    """Exactly 2,500 events in one batch carry no batch-size reason."""
    limit = _segment.limits()["max_batch_events"]
    with running(keep=10) as debugger:
        post(debugger.url, "/v1/batch", {"batch": [{"type": "identify", "userId": "u"}] * limit})
        stored = events(debugger.url)
        assert stored["counts"]["total"] == limit
        assert not any("the batch has" in m for e in stored["events"] for m in messages(e))


def test_batch_item_without_a_type_fails():
    """Each batch item must carry a type."""
    with running() as debugger:
        post(debugger.url, "/v1/batch", {"batch": [good_event()]})
        record = only_event(debugger.url)
        assert record["status"] == "fail"
        assert any("type None" in m for m in messages(record, "fail"))
