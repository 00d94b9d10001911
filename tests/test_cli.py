"""``segment-source new`` without a terminal: exit codes, messages, and nothing half-written."""

from __future__ import annotations

import subprocess
import sys

import pytest

from generator._cli import main

from .conftest import SCENARIOS

GOOD = [
    "integration_name=Acme Mail",
    "description=Email for teams.",
    "website=https://acme.example",
    "categories=Email Marketing",
    "support_email=support@acme.example",
]


def _data(*pairs: str) -> list[str]:
    return [arg for pair in pairs for arg in ("--data", pair)]


def _run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("override", "field", "value", "fix"),
    [
        ("slug=Bad Slug", "slug", "`Bad Slug`", "`bad-slug`"),
        ("slug=../x", "slug", "`../x`", "e.g."),
        ("description=" + "x" * 501, "description", "501 characters", "at most 500"),
        ("website=http://acme.example", "website", "`http://acme.example`", "https://acme.example"),
        ("website=https//acme", "website", "`https//acme`", "https://"),
        ("categories=Email", "categories", "`Email`", "choose from"),
        (
            "support_email=support.acme.example",
            "support_email",
            "`support.acme.example`",
            "support@acme.example",
        ),
        ("regions=eu", "regions", "`eu`", "[us, eu]"),
        ("event_families=sms", "event_families", "`sms`", "email"),
    ],
)
def test_bad_values_exit_non_zero_with_one_message_and_write_nothing(
    tmp_path, capsys, override, field, value, fix
):
    dest = tmp_path / "out" / "my-source"
    code, _, err = _run(["new", str(dest), *_data(*GOOD, override)], capsys)
    assert code == 1
    [line, hint] = err.strip().splitlines()
    assert line.startswith(f"error: {field} ") and value in line
    assert fix in hint
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []  # no staging directory left behind either


def test_missing_required_answers_without_a_terminal_exit_2_naming_keys_and_flags(tmp_path, capsys):
    code, _, err = _run(
        ["new", str(tmp_path / "p"), "--defaults", *_data("integration_name=Acme Mail")], capsys
    )
    assert code == 2
    assert "description, website, categories, support_email" in err
    assert "--data" in err and "--data-file" in err
    assert not (tmp_path / "p").exists()


def test_unknown_answer_key_is_refused(tmp_path, capsys):
    code, _, err = _run(["new", str(tmp_path / "p"), *_data(*GOOD, "colour=blue")], capsys)
    assert code == 1 and "colour" in err and "integration_name" in err


def test_non_empty_destination_is_refused_without_force(tmp_path, capsys):
    dest = tmp_path / "p"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = _run(["new", str(dest), *_data(*GOOD)], capsys)
    assert code == 1 and "not empty" in err and "--force" in err
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]

    code, _, _ = _run(["new", str(dest), "--force", *_data(*GOOD)], capsys)
    assert code == 0
    assert (dest / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (dest / "catalog" / "metadata.yml").is_file()


def test_pretend_lists_files_and_writes_nothing(tmp_path, capsys):
    code, out, _ = _run(["new", str(tmp_path / "p"), "--pretend", *_data(*GOOD)], capsys)
    assert code == 0
    assert "catalog/metadata.yml" in out and "docs/segment-source.md" in out
    assert list(tmp_path.iterdir()) == []


def test_default_destination_is_the_slug_and_next_steps_are_printed(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["new", "--no-git", *_data(*GOOD)], capsys)
    assert code == 0
    assert (tmp_path / "acme-mail-source" / "pyproject.toml").is_file()
    assert not (tmp_path / "acme-mail-source" / ".git").exists()
    assert "pip install -e '.[test]' && pytest" in out
    assert "python -m acme_mail_source --endpoint" in out


def test_data_file_and_data_flags_combine_flags_winning(tmp_path, capsys):
    code, _, _ = _run(
        [
            "new",
            str(tmp_path / "p"),
            "--data-file",
            str(SCENARIOS / "us-email.yml"),
            *_data("slug=acme-post"),
            "--defaults",
        ],
        capsys,
    )
    assert code == 0
    assert (tmp_path / "p" / "src" / "acme_post_source").is_dir()


def test_console_script_entry_point_runs(tmp_path):
    """`python -m generator` answers --version and --help without importing copier."""
    done = subprocess.run(
        [sys.executable, "-m", "generator", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("segment-source ")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "generator", "new", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--data-file" in done.stdout
    assert " copier" not in done.stderr


def test_missing_parent_directories_are_made_and_no_staging_is_left(tmp_path, capsys):
    """The project is staged in dst's nearest existing folder and moved into place."""
    dest = tmp_path / "a" / "b" / "my-source"
    code, _, _ = _run(["new", str(dest), *_data(*GOOD)], capsys)
    assert code == 0
    assert (dest / "catalog" / "metadata.yml").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["a"]


def test_a_name_too_short_for_a_slug_asks_for_one(tmp_path, capsys):
    """The suggested slug of `X` breaks the rule: the message says where it came from, and the
    flag."""
    good = [pair for pair in GOOD if not pair.startswith("integration_name=")]
    code, _, err = _run(["new", str(tmp_path / "p"), *_data(*good, "integration_name=X")], capsys)
    assert code == 1
    assert "slug `x` (suggested from integration_name)" in err and "--data slug=" in err
    assert list(tmp_path.iterdir()) == []
