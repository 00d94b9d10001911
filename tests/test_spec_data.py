"""Closer to Segment's own data: the Video Spec's ad ids and quality event, and the event
names approved cloud-app sources send (a warning, never a failure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import _segment, check
from generator._debugger import check_event

from ._check_projects import commit, copy, pristine

REFERENCE = Path(__file__).parent / "reference"
APPROVED = json.loads((REFERENCE / "approved-source-names.json").read_text())
SPEC = json.loads((REFERENCE / "segment-docs.json").read_text())["spec"]["video"]


def _event(name):
    return next(e for e in _segment.families()["video"]["events"] if e["name"] == name)


def test_every_playback_event_carries_the_ad_ids_the_spec_lists():
    """Started sends arrays (or a string), the other playback events one string each."""
    playback = [n for n in SPEC["events"] if n.startswith("Video Playback ")]
    assert len(playback) == 10
    for name in playback:
        props = _event(name)["properties"]
        want = "String, Array[string]" if name == "Video Playback Started" else "String"
        assert props["ad_asset_id"] == props["ad_pod_id"] == want, name
        assert SPEC["events"][name]["properties"]["ad_asset_id"] == want, name


def test_video_quality_updated_is_offered_with_the_specs_own_names():
    """bitrate, framerate, startupTime, droppedFrames: camelCase as the Spec writes them, no
    error."""
    props = _event("Video Quality Updated")["properties"]
    assert list(props) == list(SPEC["events"]["Video Quality Updated"]["properties"])
    assert {"startupTime", "droppedFrames"} <= _segment.spec_spellings()
    assert _segment.naming_problems("Video Quality Updated", list(props)) == []
    assert _segment.naming_problems(None, ["startUpTime"]) != []  # only the Spec's spelling
    payload = {
        "type": "track", "userId": "u1", "event": "Video Quality Updated",
        "properties": {"bitrate": 100, "framerate": 29.97, "startupTime": 1.2, "droppedFrames": 3},
        "timestamp": "2026-12-04T10:00:00Z", "messageId": "m1",
        "context": {"integration": {"name": "acme-video", "version": "1.0.0"}},
    }  # fmt: skip
    assert [r for r in check_event(payload, integration="acme-video") if r["level"] == "fail"] == []


@pytest.mark.parametrize("name", list(APPROVED["names"]))
def test_names_approved_sources_send_warn_and_never_fail(name, tmp_path_factory, tmp_path):
    """The debugger warns with the Spec event, check turns yellow, neither fails."""
    spec_event = APPROVED["names"][name]["spec_event"]
    assert APPROVED["names"][name]["pages"], name
    assert name not in _segment.lookalikes()
    assert _segment.similar_names()[name] == spec_event
    payload = {
        "type": "track", "userId": "u1", "event": name, "properties": {},
        "timestamp": "2026-12-04T10:00:00Z", "messageId": "m1",
        "context": {"integration": {"name": "acme-mail", "version": "1.0.0"}},
    }  # fmt: skip
    reasons = check_event(payload, integration="acme-mail")
    assert {r["level"] for r in reasons} == {"warn"}, reasons
    assert any(spec_event in r["message"] for r in reasons)
    project = copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "p")
    module = next(project.glob("src/*/spec.py")).with_name("extra_events.py")
    module.write_text(
        f'def sent(customer):\n    customer.track(user_id="u1", event="{name}", properties={{}})\n'
    )
    commit(project, "a name an approved source sends")
    item = check(project).item("spec.names")
    assert item.status.value == "yellow" and spec_event in item.message
