"""``check``'s secrets scan when git fails: red, with git's reason, never a green it did not earn.

A real ``git`` stands in front of the real one on PATH: a tiny script that fails the way a
broken repository or installation does.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from generator import Status, check
from generator._cli import main

from ._check_projects import copy, pristine

REAL_GIT = shutil.which("git")


def _put_git_first(monkeypatch: pytest.MonkeyPatch, bin_dir: Path, script: str) -> None:
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(REAL_GIT or '/usr/bin/git').parent}")


@pytest.fixture
def project(tmp_path, tmp_path_factory):
    return copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "project")


def test_a_failing_git_makes_both_secrets_items_red_with_its_reason(
    project, tmp_path, monkeypatch, capsys
):
    _put_git_first(
        monkeypatch, tmp_path / "bin", 'echo "fatal: simulated: index file corrupt" >&2\nexit 128\n'
    )
    report = check(project)
    for item_id in ("secrets.files", "secrets.history"):
        item = report.item(item_id)
        assert item.status is Status.RED, item
        assert "not scanned" in item.message and "index file corrupt" in item.message
        assert item.fix
    assert not report.ok
    assert main(["check", str(project)]) == 1
    assert "simulated: index file corrupt" in capsys.readouterr().out


def test_a_git_that_fails_only_on_the_history_makes_the_history_red(project, tmp_path, monkeypatch):
    """The tracked files are listed; ``git log`` fails: the files are scanned, the history not."""
    _put_git_first(
        monkeypatch,
        tmp_path / "bin",
        'for arg in "$@"; do\n'
        '  if [ "$arg" = log ]; then echo "fatal: simulated: bad object" >&2; exit 128; fi\n'
        "done\n"
        f'exec "{REAL_GIT}" "$@"\n',
    )
    report = check(project)
    assert report.item("secrets.files").status is Status.GREEN
    history = report.item("secrets.history")
    assert history.status is Status.RED
    assert "`git log --all" in history.message and "simulated: bad object" in history.message


def test_no_git_on_path_is_red_not_green(project, tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    item = check(project).item("secrets.history")
    assert item.status is Status.RED and "git is not installed" in item.message
