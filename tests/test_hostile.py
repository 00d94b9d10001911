"""Hostile input to ``new``: names that try to escape into Python, answer files that try to
exhaust memory or the terminal, destinations full of symlinks. Corpus: tests/hostile/."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from generator import check, generate
from generator._cli import main
from generator._rules import RULES
from generator.errors import AnswerError

from ._check_projects import ANSWERS, PACKAGE
from .conftest import SCENARIOS

HOSTILE = Path(__file__).parent / "hostile"
NAMES = YAML(typ="safe").load((HOSTILE / "names.yml").read_text(encoding="utf-8"))


def _no_raw_control(text: str) -> bool:
    """True when ``text`` holds nothing a terminal would act on or reorder (newlines aside)."""
    return all(ch.isprintable() or ch == "\n" for ch in text)


@pytest.mark.parametrize("case", NAMES["refused"], ids=[c["says"] for c in NAMES["refused"]])
def test_rule_refuses_hidden_and_control_characters(case):
    with pytest.raises(AnswerError) as caught:
        RULES["integration_name"](case["name"])
    assert case["says"] in caught.value.message
    assert _no_raw_control(str(caught.value)), str(caught.value).encode("unicode_escape")


def test_refused_name_is_printed_escaped_by_the_cli(tmp_path, capsys):
    code = main(
        [
            "new",
            str(tmp_path / "p"),
            "--data",
            "integration_name=Acme \x1b[2J\x1b[31mRed",
            "--data-file",
            str(SCENARIOS / "us-email.yml"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "\x1b" not in err and "\\x1b[2J" in err
    assert not (tmp_path / "p").exists()


def _python(project: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "index", range(len(NAMES["rendered"])), ids=[f"name{i}" for i in range(len(NAMES["rendered"]))]
)
def test_hostile_name_renders_a_package_that_imports_with_the_name_intact(tmp_path, index):
    name = NAMES["rendered"][index]
    slug = f"hostile-{index}"
    package = f"hostile_{index}_source"
    project = generate(
        tmp_path / "p", {**ANSWERS, "integration_name": name, "slug": slug}, git=False
    ).path

    compiled = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "src", "tests"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    imported = _python(
        project,
        f"import json, {package}, {package}.sample; from {package} import spec; "
        "print(json.dumps(spec.INTEGRATION_NAME))",
    )
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == name  # and nothing else printed (no injected code ran)

    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == f"Send {name} events to Segment's HTTP API."
    site_line = (project / "mkdocs.yml").read_text(encoding="utf-8").splitlines()[0]
    shown = (
        name.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )  # themes print it into HTML, attributes included
    assert YAML(typ="safe").load(site_line) == {"site_name": f"{shown} source for Segment"}

    # The literal is written as ruff format would write it (the project's own config), so
    # the project stays format-clean whatever the name.
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--diff", f"src/{package}/spec.py"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    assert check(project).item("client.syntax").status.value == "green"


# --- --data-file: bounded, regular files only, nothing written -------------------------------

ANSWER_FILES = {
    "billion-laughs.yml": "expands to more than",
    "deep.yml": "nests more than",
    "binary.bin": "is a binary file",
    "latin1.yml": "is not UTF-8",
    "not-a-mapping.yml": "is not a mapping of answers",
    "escape-in-key.yml": "is not a question of this template",
}


def _new_with(data_file: str | Path, tmp_path: Path, capsys) -> tuple[int, str]:
    code = main(["new", str(tmp_path / "p"), "--data-file", str(data_file)])
    err = capsys.readouterr().err
    assert not (tmp_path / "p").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".segment-source-")]
    return code, err


@pytest.mark.parametrize(("name", "says"), ANSWER_FILES.items(), ids=list(ANSWER_FILES))
def test_hostile_answer_file_is_refused_clearly(tmp_path, capsys, name, says):
    code, err = _new_with(HOSTILE / "answer-files" / name, tmp_path, capsys)
    assert code == 1
    assert err.startswith(("error: --data-file", "error: \\x1b")), err
    assert says in err
    assert _no_raw_control(err)
    assert len(err) < 2000  # an expanded value is never printed


def test_answer_file_that_is_not_a_regular_file_is_refused(tmp_path, capsys):
    fifo = tmp_path / "answers.fifo"
    os.mkfifo(fifo)  # a read would block for ever
    for path in (Path("/dev/zero"), fifo, tmp_path):
        code, err = _new_with(path, tmp_path, capsys)
        assert (code, "is not a regular file" in err) == (1, True), err


def test_answer_file_over_the_size_cap_is_refused_unread(tmp_path, capsys):
    big = tmp_path / "answers.yml"
    with big.open("wb") as stream:
        stream.truncate(300 * 1024 * 1024)  # sparse: 300 MB that costs nothing to make
    code, err = _new_with(big, tmp_path, capsys)
    assert code == 1 and "over the 262,144-byte limit" in err


def test_alias_bomb_in_a_data_flag_is_refused(tmp_path, capsys):
    bomb = "[" + ", ".join(["&a [x, x, x, x, x, x, x, x, x, x]"] + ["*a"] * 20000) + "]"
    code = main(
        [
            "new",
            str(tmp_path / "p"),
            "--data",
            f"categories={bomb}",
            "--data-file",
            str(SCENARIOS / "us-email.yml"),
        ]
    )
    assert code == 1 and "expands to more than" in capsys.readouterr().err


# --- destinations: never write through a symlink, never a traceback -------------------------

LINKED = [
    "catalog",
    "catalog/metadata.yml",
    "docs/segment-source.md",
    ".github/workflows",
    f"src/{PACKAGE}",
]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("linked", LINKED)
def test_force_replaces_a_symlink_and_never_writes_through_it(tmp_path, linked):
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "dir" / "keep.txt").write_text("mine\n", encoding="utf-8")
    (outside / "file.md").write_text("mine\n", encoding="utf-8")
    before = _snapshot(outside)
    dst = tmp_path / "dst"
    link = dst / linked
    link.parent.mkdir(parents=True)
    is_dir = not linked.endswith((".yml", ".md"))
    link.symlink_to(outside / ("dir" if is_dir else "file.md"), target_is_directory=is_dir)

    generate(dst, {**ANSWERS}, overwrite=True, git=False)
    assert _snapshot(outside) == before
    assert not link.is_symlink() and (link.is_dir() if is_dir else link.is_file())
    assert check(dst).item("catalog.fields").status.value == "green"


def test_destination_that_is_a_dangling_symlink_is_a_clear_error(tmp_path, capsys):
    dst = tmp_path / "dst"
    dst.symlink_to(tmp_path / "nowhere")
    code = main(["new", str(dst), "--data-file", str(SCENARIOS / "us-email.yml")])
    err = capsys.readouterr().err
    assert code == 1 and "is a symbolic link" in err and "points nowhere" in err
    assert not (tmp_path / "nowhere").exists()


def test_destination_under_an_unwritable_parent_is_a_clear_error(capsys):
    code = main(
        ["new", "/proc/segment-source-test/x", "--data-file", str(SCENARIOS / "us-email.yml")]
    )
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: cannot write in `/proc")


# --- the template: one way for an answer into Python ------------------------------------------

FREE_TEXT_ANSWERS = (
    "integration_name",
    "maintainer",
    "description",
    "website",
    "support_email",
    "categories",
)


def test_free_text_answers_reach_python_only_through_py_string():
    """In every ``*.py.jinja``, a free-text answer appears in Jinja only as ``py.string(answer)``.

    (The macro is in docs_templates/python.jinja.) Only Jinja's own blocks are read: plain
    Python around them (``argparse``'s ``description=``) is no answer.
    """
    template = Path(__file__).parent.parent / "template"
    offenders = []
    for path in sorted(template.rglob("*.py.jinja")):
        text = path.read_text(encoding="utf-8")
        for block in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", text, re.DOTALL):
            code = block.group(0)
            for answer in FREE_TEXT_ANSWERS:
                for match in re.finditer(rf"(?<![.\w]){answer}\b", code):  # not event.description
                    if not code[: match.start()].endswith("py.string("):
                        line = text.count("\n", 0, block.start() + match.start()) + 1
                        offenders.append(f"{path.relative_to(template)}:{line}: {answer}")
    assert offenders == []
