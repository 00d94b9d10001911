"""Generated code reads as if written by hand: ruff, with the project's config, finds nothing."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import pytest
from ruamel.yaml import YAML

from generator import generate

from .conftest import SCENARIO_NAMES, load_scenario

RUFF = [sys.executable, "-m", "ruff"]


def _run(args, cwd):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_ruff_format_changes_nothing(rendered, name, tmp_path):
    """Formatting a fresh project (a copy: the rendered one is shared) leaves git with no diff."""
    project = tmp_path / name
    shutil.copytree(rendered(name).path, project)
    formatted = _run([*RUFF, "format", "--no-cache", "."], project)
    assert formatted.returncode == 0, formatted.stderr
    diff = _run(["git", "diff"], project)
    assert diff.stdout == "", diff.stdout


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_ruff_check_is_clean(rendered, name):
    checked = _run(
        [*RUFF, "check", "--no-cache", "--output-format", "concise", "."], rendered(name).path
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_mypy_strict_is_clean(rendered, name):
    """The package ships py.typed: `mypy` with the project's config ([tool.mypy] strict) agrees."""
    pyproject = (rendered(name).path / "pyproject.toml").read_text(encoding="utf-8")
    assert "[tool.mypy]\nstrict = true\n" in pyproject
    checked = _run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", "/dev/null"],
        rendered(name).path,
    )
    assert checked.returncode == 0 and "Success: no issues found" in checked.stdout, (
        checked.stdout + checked.stderr
    )


def test_generated_ci_runs_the_checks_and_every_test(rendered):
    """CI installs redis-server, PostgreSQL and every extra the checks and tests need, then
    runs them all."""
    ci = YAML(typ="safe").load((rendered("us-email").path / ".github/workflows/ci.yml").read_text())
    steps = [
        step["run"].split("#")[0].strip() for step in ci["jobs"]["test"]["steps"] if "run" in step
    ]
    assert "sudo apt-get update && sudo apt-get install -y redis-server postgresql" in steps
    assert "pip install -e '.[test,docs,redis,service,lint]'" in steps
    # the relay's tests run Segment's analytics-node (npm)
    assert any(
        step.get("uses", "").startswith("actions/setup-node@")
        for step in ci["jobs"]["test"]["steps"]
    )
    assert {
        "ruff check .",
        "ruff format --check .",
        "mypy",
        "pytest",
        "mkdocs build --strict",
    } <= set(steps)


def test_project_pins_its_lint_rules(rendered):
    """The verdict does not drift with ruff's defaults: the project names its rule set."""
    pyproject = (rendered("us-email").path / "pyproject.toml").read_text(encoding="utf-8")
    assert "[tool.ruff.lint]\n" in pyproject and "select = [" in pyproject


def test_spec_builders_are_pascal_case_of_every_word(rendered):
    events = (rendered("us-email").path / "src/acme_mail_source/events.py").read_text(
        encoding="utf-8"
    )
    assert "class EmailMarkedAsSpam(SpecEvent):" in events
    assert "Spec)." in events and ". (Email Spec)." not in events


def test_a_hostile_name_is_an_exact_python_literal(rendered):
    """Quotes, Jinja braces and non-Latin text survive into spec.py unchanged."""
    result = rendered("tricky")
    spec = (result.path / "src/source_1_acme_mail_source/spec.py").read_text(encoding="utf-8")
    assigned = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(spec).body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == "INTEGRATION_NAME"
    }
    assert assigned["INTEGRATION_NAME"] == result.answers["integration_name"]


def test_a_long_hostile_name_still_parses_and_passes_ruff(tmp_path):
    """60 wide characters with docstring-ending quotes and a backslash: valid, formatted Python."""
    name = '"""\\ ' + "広" * 50 + ' """"'
    assert len(name) <= 60
    answers = {**load_scenario("us-email"), "integration_name": name, "slug": "wide-name"}
    result = generate(tmp_path / "p", answers, git=False)
    for path in (result.path / "src").rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"), str(path))
    formatted = _run([*RUFF, "format", "--no-cache", "--check", "."], result.path)
    checked = _run([*RUFF, "check", "--no-cache", "--output-format", "concise", "."], result.path)
    assert formatted.returncode == 0 and checked.returncode == 0, formatted.stdout + checked.stdout
    probe = f"import wide_name_source.spec as s; print(s.INTEGRATION_NAME == {name!r})"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=result.path / "src",
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.stdout.strip() == "True", done.stderr
