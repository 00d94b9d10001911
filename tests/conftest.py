"""Shared fixtures: answer scenarios (tests/scenarios/*.yml) and projects rendered from them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generator import Result, generate

SCENARIOS = Path(__file__).parent / "scenarios"
SCENARIO_NAMES = sorted(p.stem for p in SCENARIOS.glob("*.yml"))


def load_scenario(name: str) -> dict[str, Any]:
    """Return the answers of a named scenario."""
    loaded: dict[str, Any] = YAML(typ="safe").load((SCENARIOS / f"{name}.yml").read_text(encoding="utf-8"))
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
