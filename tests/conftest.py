"""Shared fixtures: answer scenarios (tests/scenarios/*.yml) and projects rendered from them."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generator import Result, generate

# A shell that starts a background job without job control (CI, nohup) ignores SIGINT in
# it, and children inherit "ignored": the tests that press Ctrl-C in a child would hang.
# A handler of our own is reset to the default in children at exec, so they feel Ctrl-C.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

SCENARIOS = Path(__file__).parent / "scenarios"
SCENARIO_NAMES = sorted(p.stem for p in SCENARIOS.glob("*.yml"))


def load_scenario(name: str) -> dict[str, Any]:
    """Return the answers of a named scenario."""
    loaded: dict[str, Any] = YAML(typ="safe").load(
        (SCENARIOS / f"{name}.yml").read_text(encoding="utf-8")
    )
    return loaded


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Result]:
    """Render each scenario once per session; return its :class:`Result`."""
    cache: dict[str, Result] = {}

    def render(name: str) -> Result:
        if name not in cache:
            dst = tmp_path_factory.mktemp("rendered") / name
            cache[name] = generate(dst, load_scenario(name))
        return cache[name]

    return render
