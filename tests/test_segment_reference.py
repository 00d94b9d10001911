"""``docs_templates/segment.yml`` agrees with Segment's own docs, as recorded from segment-docs.

The facts live in ``tests/reference/segment-docs.json`` (each record names its file in
segmentio/segment-docs, the commit and the date read); ``tests/reference/record.py``
re-records them from a local clone. These tests run offline against that record.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from generator import _segment

REFERENCE_DIR = Path(__file__).parent / "reference"
REFERENCE: dict[str, Any] = json.loads(
    (REFERENCE_DIR / "segment-docs.json").read_text(encoding="utf-8")
)
# Categories cloud-app sources carry that a partner source cannot choose: Segment's own
# internal and library types, not a kind of tool.
NOT_OFFERED = {
    "INTERNAL",
    "Object Destination",
    "Custom",
    "Mobile",
    "Server",
    "Website",
    "Warehouse",
    "Ott",
}


def _records(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if "file" in node else []
        return found + [r for value in node.values() for r in _records(value)]
    return []


def test_every_record_names_its_file_commit_and_date():
    records = _records(REFERENCE)
    assert len(records) >= 10
    for record in records:
        assert record["file"].startswith("src/"), record["file"]
        assert re.fullmatch(r"[0-9a-f]{40}", record["commit"])
        datetime.date.fromisoformat(record["read_on"])


def _offered_by_segment() -> set[str]:
    """The categories cloud-app sources use, Segment's spelling, without internal types.

    Segment's list carries "A/B testing" and "A/B Testing"; the spelling more sources use wins.
    """
    names = REFERENCE["source_categories"]["names"]
    counts = REFERENCE["cloud_app_categories"]["counts"]
    best: dict[str, str] = {}
    for name in counts:
        if name in NOT_OFFERED:
            continue
        key = name.lower()
        if key not in best or counts[name] > counts[best[key]]:
            best[key] = name
    assert set(best.values()) <= set(names), (
        "a cloud-app category is missing from source_categories.yml"
    )
    return set(best.values())


def test_categories_are_those_cloud_app_sources_use_spelled_as_segment_does():
    ours = _segment.categories()
    assert len(ours) == len(set(ours))
    assert set(ours) == _offered_by_segment()
    assert list(ours) == sorted(ours, key=str.lower)


def test_category_family_defaults_name_real_categories_and_families():
    table = _segment.data()["category_families"]
    assert set(table) <= set(_segment.categories())
    assert set(table.values()) <= set(_segment.families())
    assert table["Livechat"] == "live_chat" and table["Email Marketing"] == "email"


def _type(kind: str | None) -> str:
    return "untyped" if kind is None else kind


@pytest.mark.parametrize("key", list(REFERENCE["spec"]))
def test_family_agrees_with_its_spec_page(key):
    """Every event, property, type, context field and item field, on the right events."""
    record = REFERENCE["spec"][key]
    family = _segment.families()[key]
    assert family["spec_file"] == record["file"]
    left_out = set(family.get("not_included") or {})
    want = {name: event for name, event in record["events"].items() if name not in left_out}
    have = {event["name"]: event for event in family["events"]}
    assert list(have) == list(want), "events differ from the Spec page (or their order does)"
    for name, event in want.items():
        ours = have[name]
        assert ours["properties"] == {p: _type(t) for p, t in event["properties"].items()}, name
        assert (ours.get("context") or {}) == {
            p: _type(t) for p, t in (event.get("context") or {}).items()
        }, name
        items = {
            a: {p: _type(t) for p, t in fields.items()}
            for a, fields in (event.get("items") or {}).items()
        }
        assert (ours.get("items") or {}) == items, name
    assert left_out <= set(record["events"]), "not_included names an event the Spec page lacks"
    described = set(family["properties"])
    used = {p for event in family["events"] for p in event["properties"]}
    assert described == used, "family properties (descriptions) and the events' properties differ"
    assert set(family["sample"]) <= set(have)


def test_every_type_and_context_field_has_a_python_form():
    python_types = _segment.data()["python_types"]
    context_fields = _segment.data()["context_fields"]
    for family in _segment.families().values():
        for event in family["events"]:
            assert set(event["properties"].values()) <= set(python_types), event["name"]
            assert set(event.get("context") or {}) <= set(context_fields), event["name"]
            builder_fields = [
                *event["properties"],
                *(context_fields[c]["field"] for c in event.get("context") or {}),
            ]
            assert len(builder_fields) == len(set(builder_fields)), (
                f"{event['name']}: a context field shadows a property"
            )
            assert not {"extra", "context_paths", "spec_name", "properties", "context"} & set(
                builder_fields
            ), event["name"]


def test_hosts_agree_with_segment():
    hosts = REFERENCE["hosts"]
    for key in ("us", "eu"):
        region = _segment.regions()[key]
        assert urlsplit(region["host"]).hostname == hosts[key]
        assert region["host"].startswith("https://")
        assert region["endpoint"] == region["host"] + "/v1"
    assert hosts["http_api_us"] == hosts["us"]


def test_limits_agree_with_segment():
    limits, recorded = _segment.limits(), REFERENCE["limits"]
    assert limits["max_event_bytes"] == recorded["max_event_kb"] * 1024
    # Read as decimal kilobytes: the stricter of the two readings of "500KB".
    assert limits["max_batch_bytes"] == recorded["max_batch_kb"] * 1000
    assert limits["max_batch_events"] == recorded["max_batch_events"]
    assert limits["partner_requests_per_second"] == REFERENCE["partner_rate"]["requests_per_second"]


def test_lookalikes_point_at_our_own_spec_events():
    spec_names = {e.name for e in _segment.spec_events()}
    same, similar = _segment.lookalikes(), _segment.similar_names()
    assert not set(same) & set(similar)
    for wrong, right in {**same, **similar}.items():
        assert right in spec_names, f"{wrong} -> {right}: not an event of our families"
        assert wrong not in spec_names
    # Real events of real sources that only resemble a Spec name.
    assert "Email Sent" not in same and "Email Sent" not in similar
    assert _segment.naming_problems("Email Sent") == []


def test_record_script_reads_a_spec_page():
    """record.py's table reader, on a page shaped like segment-docs' Spec pages."""
    path = REFERENCE_DIR / "record.py"
    spec = importlib.util.spec_from_file_location("segment_docs_record", path)
    assert spec is not None and spec.loader is not None
    record = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(record)
    page = (
        "## Events\n\n### Order Done\n\nText.\n\n"
        "| Property | Type | Description |\n|---|---|---|\n"
        "| order_id | String | An id |\n| query | String \\| Object | Terms |\n"
        "| products.$.sku | String | Sku |\n| `context.groupId` | String | Account |\n\n"
        "### Overview\n\n| Action | Description |\n|---|---|\n| Order Done | done |\n"
    )
    assert record.spec_by_headings(page) == {
        "Order Done": {
            "properties": {"order_id": "String", "query": "String | Object"},
            "context": {"context.groupId": "String"},
            "items": {"products": {"sku": "String"}},
        }
    }
