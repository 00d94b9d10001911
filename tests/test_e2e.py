"""End to end: generated projects pass their own tests and `mkdocs build --strict`.

Everything runs offline: one virtual environment (inheriting the test run's packages)
serves every render, and pip installs with --no-index.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SCENARIO_NAMES, SCENARIOS
from .venvs import make_venv

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def _run(cmd, cwd, env=None, stdin=subprocess.DEVNULL):
    done = subprocess.run(
        cmd, cwd=cwd, env=env, stdin=stdin, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="session")
def venv_bin(tmp_path_factory):
    """A virtual environment that sees the test run's packages (pytest, mkdocs-material, copier)."""
    return make_venv(tmp_path_factory.mktemp("venv"), with_pip=True)


@pytest.fixture(scope="session")
def installed_wheel(venv_bin, tmp_path_factory):
    """The generator's wheel, built from this checkout and installed into the venv."""
    dist = tmp_path_factory.mktemp("dist")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        ROOT,
    )
    [wheel] = dist.glob("segment_source_generator-*.whl")
    _run(
        [
            str(venv_bin / "pip"),
            "install",
            "--no-index",
            "--no-deps",
            "--force-reinstall",
            str(wheel),
        ],
        ROOT,
    )
    return wheel


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_generated_project_passes_its_tests_and_docs_build(rendered, venv_bin, name):
    project = rendered(name).path
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    if name != "us-email":  # the relay's kill test at its full 20,000 calls in one scenario only
        env["RELAY_KILL_TEST_CALLS"] = "2000"
    # The [redis] and [service] extras (installed offline from what the venv sees), so the
    # project's Redis fleet and service tests run against real servers instead of skipping.
    _run(
        [
            str(venv_bin / "pip"),
            "install",
            "-q",
            "--no-index",
            "--no-build-isolation",
            "-e",
            ".[redis,service]",
        ],
        project,
    )
    out = _run(
        [str(venv_bin / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, env
    )
    assert " passed" in out and "failed" not in out and "skipped" not in out
    _run([str(venv_bin / "python"), "-m", "mkdocs", "build", "--strict", "--quiet"], project, env)
    assert (project / "site" / "segment-source" / "index.html").is_file()


def test_installed_wheel_generates_a_green_project(installed_wheel, venv_bin, tmp_path):
    """The README's flow from an installed wheel: new, then the project's own commands."""
    where = _run(
        [str(venv_bin / "python"), "-c", "import generator; print(generator.__file__)"], tmp_path
    )
    assert str(venv_bin.parent) in where, "the wheel, not the checkout, must be imported"
    _run(
        [
            str(venv_bin / "segment-source"),
            "new",
            "--data-file",
            str(SCENARIOS / "us-email.yml"),
            "--defaults",
            "my-source",
        ],
        tmp_path,
    )
    project = tmp_path / "my-source"
    assert (project / "catalog" / "metadata.yml").is_file()
    _run(
        [
            str(venv_bin / "pip"),
            "install",
            "--no-index",
            "--no-build-isolation",
            "-e",
            ".[test,docs]",
        ],
        project,
    )
    out = _run([str(venv_bin / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)
    assert " passed" in out and "failed" not in out
    _run([str(venv_bin / "python"), "-m", "mkdocs", "build", "--strict", "--quiet"], project)
    sample = subprocess.run(
        [str(venv_bin / "python"), "-m", "acme_mail_source", "--help"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--endpoint" in sample.stdout
