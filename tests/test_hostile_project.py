"""A tampered project: ``docs``, ``check`` and ``update`` read and write only inside it,
within bounds, and say so clearly when a file points elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import check
from generator._cli import main
from generator._docs import render_docs
from generator.errors import GeneratorError

from ._check_projects import PACKAGE, commit, copy, edit, pristine

HOSTILE = Path(__file__).parent / "hostile"


@pytest.fixture
def project(tmp_path, tmp_path_factory):
    return copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "project")


def _set_page(project: Path, page: str) -> None:
    edit(
        project / "catalog/metadata.yml",
        'page: "docs/segment-source.md"',
        f"page: {page!r}".replace("'", '"'),
    )


@pytest.mark.parametrize(
    ("page", "says"),
    [
        ("../../escaped.md", "leads outside the project"),
        ("/tmp/escaped-absolute.md", "is not a relative path"),
    ],
    ids=["dotdot", "absolute"],
)
def test_docs_refuses_a_page_path_out_of_the_project(project, capsys, page, says):
    _set_page(project, page)
    code = main(["docs", str(project)])
    err = capsys.readouterr().err
    assert code == 1 and "catalog/metadata.yml docs.page" in err and says in err
    assert (
        not (project.parent.parent / "escaped.md").exists()
        and not Path("/tmp/escaped-absolute.md").exists()
    )
    item = check(project).item("docs.page")
    assert item.status.value == "red" and says in item.message


@pytest.mark.parametrize("linked", ["page", "parent"])
def test_docs_never_follows_a_symlink_out_of_the_project(project, tmp_path, linked):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "segment-source.md").write_text("mine\n", encoding="utf-8")
    if linked == "page":
        (project / "docs/segment-source.md").unlink()
        (project / "docs/segment-source.md").symlink_to(outside / "segment-source.md")
    else:
        _set_page(project, "pages/segment-source.md")
        (project / "pages").symlink_to(outside, target_is_directory=True)
    with pytest.raises(GeneratorError, match="leads outside the project"):
        render_docs(project)
    assert (outside / "segment-source.md").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in outside.iterdir()) == ["segment-source.md"]


def test_docs_export_never_follows_a_symlink_out_of_the_checkout(project, tmp_path):
    checkout, outside = tmp_path / "segment-docs", tmp_path / "outside"
    outside.mkdir()
    (checkout / "src/connections/sources/catalog").mkdir(parents=True)
    (checkout / "src/connections/sources/catalog/cloud-apps").symlink_to(
        outside, target_is_directory=True
    )
    with pytest.raises(GeneratorError, match=r"the exported page .* leads outside"):
        render_docs(project, export=checkout)
    assert list(outside.iterdir()) == []


def test_check_refuses_a_logo_path_out_of_the_project(project):
    edit(
        project / "catalog/metadata.yml",
        'logo: "catalog/logo.svg"',
        'logo: "../../../../etc/hostname.svg"',
    )
    item = check(project).item("logos.logo")
    assert item.status.value == "red" and "leads outside the project" in item.message


def test_check_skips_a_symlink_to_dev_zero_and_a_fifo(project):
    """Neither hangs nor eats memory: a tracked symlink is not its target, a FIFO is no file."""
    (project / "zeros.txt").symlink_to("/dev/zero")
    commit(project, "Add a link to /dev/zero")
    os.mkfifo(project / "docs/pipe.md")
    (project / "docs/segment-source.md").unlink()
    os.mkfifo(project / "docs/segment-source.md")
    report = check(project)
    secrets = report.item("secrets.files")
    assert secrets.status.value == "yellow" and secrets.details == (
        "docs/segment-source.md `"
        + str(project / "docs/segment-source.md")
        + "` is not a regular file",
    )
    assert report.item("docs.page").status.value == "red"


def test_check_reports_a_tracked_file_too_large_to_scan(project):
    (project / "data.txt").write_text(
        "x = 1\n" * 800_000, encoding="utf-8"
    )  # 4.8 MB, over the 4 MiB cap
    commit(project, "Add a large file")
    item = check(project).item("secrets.files")
    assert item.status.value == "yellow" and "1 file(s) were not scanned" in item.message
    assert any("over the 4,194,304-byte limit" in detail for detail in item.details)
    assert check(project).item("secrets.history").status.value == "green"


def test_check_does_not_say_ready_for_a_package_that_does_not_compile(project):
    spec = project / f"src/{PACKAGE}/spec.py"
    # What the template rendered for the name `Acme """ Mail` before answers were escaped.
    edit(spec, 'INTEGRATION_NAME = "Acme Mail"', 'INTEGRATION_NAME = """Acme """ Mail"""')
    report = check(project)
    assert report.item("client.syntax").status.value == "red"
    assert f"src/{PACKAGE}/spec.py:" in report.item("client.syntax").details[0]
    assert not report.ok


@pytest.mark.parametrize("command", ["check", "docs", "update"])
def test_alias_bomb_in_the_answers_file_is_a_clear_error(project, capsys, command):
    (project / ".copier-answers.yml").write_bytes(
        (HOSTILE / "answer-files/billion-laughs.yml").read_bytes()
    )
    commit(project, "Tamper with the answers")
    code = main([command, str(project)])
    err = capsys.readouterr().err
    assert code == 1 and ".copier-answers.yml expands to more than" in err and len(err) < 1000


@pytest.mark.parametrize("command", ["check", "docs", "update"])
def test_answers_file_linked_out_of_the_project_is_refused(project, tmp_path, capsys, command):
    outside = tmp_path / "answers.yml"
    outside.write_bytes((project / ".copier-answers.yml").read_bytes())
    (project / ".copier-answers.yml").unlink()
    (project / ".copier-answers.yml").symlink_to(outside)
    commit(project, "Link the answers out")
    code = main([command, str(project)])
    assert code == 1 and "leads outside the project" in capsys.readouterr().err


def test_update_refuses_a_tracked_symlink_out_of_the_project(project, tmp_path, capsys):
    """copier would write the new template through the link, into the file it points to."""
    outside = tmp_path / "client.py"
    client = project / f"src/{PACKAGE}/client.py"
    outside.write_bytes(client.read_bytes())
    client.unlink()
    client.symlink_to(outside)
    commit(project, "Link the client out")
    code = main(["update", str(project)])
    err = capsys.readouterr().err
    assert (
        code == 1
        and f"src/{PACKAGE}/client.py" in err
        and "lead outside it through symlinks" in err
    )
