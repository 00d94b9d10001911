"""Where ``segment-source new`` puts the project, and what it says next."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

from generator._cli import main

ROOT = Path(__file__).resolve().parents[1]


def _git(cwd, *args):
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def _readme_new_command() -> list[str]:
    """The README's first command, its `segment-source new ...` part, as argv after the program."""
    block = re.search(
        r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL
    )
    assert block is not None
    first = block[1].splitlines()[0].split("#")[0]
    new = next(part for part in first.split("&&") if "segment-source new" in part)
    words = shlex.split(new.split("<")[0])
    assert words[:2] == ["segment-source", "new"]
    return words[1:]


def _clone_like(tmp_path: Path) -> Path:
    """A git work tree holding what a clone has at its top: .gitignore, README, example answers."""
    clone = tmp_path / "clone"
    (clone / "examples").mkdir(parents=True)
    for name in (".gitignore", "README.md", "examples/acme-mail.yml"):
        shutil.copyfile(ROOT / name, clone / name)
    _git(clone, "init", "--quiet")
    _git(clone, "add", "--all")
    _git(
        clone,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "--quiet",
        "-m",
        "clone",
    )
    return clone


def test_the_readme_command_in_a_clone_leaves_the_clone_clean(tmp_path, capsys, monkeypatch):
    """The project lands where the output says (absolute), the next commands follow, and git
    status stays empty."""
    clone = _clone_like(tmp_path)
    monkeypatch.chdir(clone)
    assert main(_readme_new_command()) == 0
    out = capsys.readouterr().out
    project = (clone / "acme-mail-source").resolve()
    assert (project / "pyproject.toml").is_file()
    assert f"in {project} (" in out
    steps = out.split("Next steps:\n")[1].splitlines()
    assert steps[0] == f"  cd {shlex.quote(str(project))}"
    assert "pip install -e '.[test]' && pytest" in steps[1]
    assert "note:" not in out
    assert _git(clone, "status", "--porcelain") == ""


def test_a_project_inside_another_work_tree_gets_a_note(tmp_path, capsys, monkeypatch):
    clone = _clone_like(tmp_path)
    monkeypatch.chdir(clone)
    assert (
        main(["new", "--data-file", "examples/acme-mail.yml", "--defaults", "--no-git", "sub/mail"])
        == 0
    )
    out = capsys.readouterr().out
    assert (
        f"inside the git work tree {clone.resolve()}" in out
        and "add /sub/mail/ to that repository's .gitignore" in out
    )
    assert f"cd {shlex.quote(str((clone / 'sub' / 'mail').resolve()))}" in out


def test_outside_any_work_tree_there_is_no_note(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(ROOT / "examples/acme-mail.yml", tmp_path / "answers.yml")
    assert main(["new", "--data-file", "answers.yml", "--defaults", "--no-git", "mail"]) == 0
    out = capsys.readouterr().out
    assert "note:" not in out and f"in {(tmp_path / 'mail').resolve()} (" in out
