"""The catalog entry is written with ruamel.yaml and every value round-trips exactly."""

from __future__ import annotations

import pytest
import yaml as pyyaml
from ruamel.yaml import YAML

from generator._answers import complete, validate
from generator._metadata import PLACEHOLDER, dumps

from .conftest import SCENARIO_NAMES, load_scenario


@pytest.mark.parametrize("name", SCENARIO_NAMES)
@pytest.mark.parametrize("reader", ["ruamel-1.2", "pyyaml-1.1"])
def test_catalog_entry_round_trips_in_yaml_1_1_and_1_2(name, reader):
    answers = validate(complete(load_scenario(name)))
    text = dumps(answers)
    entry = YAML(typ="safe").load(text) if reader == "ruamel-1.2" else pyyaml.safe_load(text)
    assert entry["name"] == answers["integration_name"]
    assert entry["slug"] == answers["slug"]
    assert entry["description"] == answers["description"]
    assert entry["website"] == answers["website"]
    assert entry["support_email"] == answers["support_email"]
    assert entry["maintainer"] == answers["maintainer"]
    assert [entry["categories"]["primary"], entry["categories"]["secondary"]][
        : len(answers["categories"])
    ] == answers["categories"]
    assert list(entry["regions"]) == answers["regions"]
    assert entry["regions"]["us"] == "https://api.segment.io/v1"
    assert entry["event_families"] == answers["event_families"]
    assert entry["test_account"] == {
        "username": PLACEHOLDER,
        "password": PLACEHOLDER,
        "notes": PLACEHOLDER,
    }
    # The Public Beta Checklist's docs links: Segment's page is known from the slug.
    assert (
        entry["docs"]["segment_docs_url"]
        == f"https://segment.com/docs/connections/sources/catalog/cloud-apps/{answers['slug']}/"
    )
    assert entry["docs"]["partner_docs_url"] == entry["docs"]["catalog_url"] == PLACEHOLDER


def test_catalog_entry_explains_each_field():
    text = dumps(validate(complete(load_scenario("us-email"))))
    for line in text.splitlines():
        if line and not line.startswith(("#", " ")):
            assert "#" in line, f"top-level field without a comment: {line}"
