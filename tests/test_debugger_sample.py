"""A generated project's sample command, pointed at the debugger, sends a clean scenario."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from generator import _segment

from .debugger_helpers import request, running


@pytest.mark.parametrize("name", ["us-email", "eu-all-families"])
def test_sample_scenario_arrives_checked_and_passing(rendered, name):
    """Every sample event reaches the debugger through the endpoint override and passes."""
    result = rendered(name)
    package = next(f.split("/")[1] for f in result.files if f.endswith("/cli.py"))
    env = {**os.environ, "PYTHONPATH": str(result.path / "src"), "SEGMENT_WRITE_KEY": "wk_sample_5b0e1c7d"}
    with running(write_keys=["wk_sample_5b0e1c7d"], integration=result.answers["slug"]) as debugger:
        done = subprocess.run([sys.executable, "-m", package, "--endpoint", debugger.url], cwd=result.path,
                              env=env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        answer = request(debugger.url, "GET", "/api/events?limit=1000")
    events = answer.json["events"]
    expected = [name for family in result.answers["event_families"] for name in _segment.families()[family]["sample"]]
    assert sorted(e["name"] for e in events) == sorted(expected)
    assert {e["status"] for e in events} == {"pass"}, [e["reasons"] for e in events if e["status"] != "pass"]
    assert "wk_sample_5b0e1c7d" not in str(answer.json)
