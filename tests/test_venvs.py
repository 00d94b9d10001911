"""The second environments that the e2e and update tests make see the test run's packages.

Run from inside a venv (as users run the README's test command), a child made with
``system_site_packages=True`` would see the base interpreter instead; these tests make a
parent venv of their own, so they check the venv case wherever the suite itself runs.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from .venvs import make_venv

ROOT = Path(__file__).resolve().parent.parent


def _purelib(env: Path) -> Path:
    return Path(sysconfig.get_path("purelib", vars={"base": str(env), "platbase": str(env)}))


def _python(env: Path) -> str:
    return str(env / "bin" / "python")


def _import(python: str, module: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-c", f"import {module}; print({module}.WHERE)"],
        capture_output=True,
        text=True,
        check=False,
    )


def test_child_of_a_venv_sees_that_venvs_packages_and_its_own_first(tmp_path):
    """A venv's child imports the parent venv's packages; its own installs take precedence."""
    parent = tmp_path / "parent"
    venv.EnvBuilder(with_pip=False).create(parent)
    (_purelib(parent) / "probe_parent_only.py").write_text("WHERE = 'parent'\n", encoding="utf-8")
    (_purelib(parent) / "probe_both.py").write_text("WHERE = 'parent'\n", encoding="utf-8")

    child = tmp_path / "child"
    made = subprocess.run(
        [_python(parent), "-c", f"from tests.venvs import make_venv; make_venv({str(child)!r})"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    (_purelib(child) / "probe_both.py").write_text("WHERE = 'child'\n", encoding="utf-8")

    assert _import(_python(child), "probe_parent_only").stdout.strip() == "parent"
    assert _import(_python(child), "probe_both").stdout.strip() == "child"
    # The base interpreter does not have the parent's package: inheriting from it would fail.
    assert _import(sys._base_executable, "probe_parent_only").returncode != 0


def test_child_of_this_run_imports_what_the_tests_need(tmp_path):
    """The packages the e2e and update tests rely on in their child venvs are importable there."""
    bin_dir = make_venv(tmp_path / "child")
    code = "import copier, mkdocs, ruamel.yaml, hatchling, pytest; print('ok')"
    done = subprocess.run(
        [str(bin_dir / "python"), "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
