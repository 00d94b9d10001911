"""Fast checks of the update machinery: the bundle builder, the migration table, the exports."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from packaging.version import Version

import generator
from generator import _bundle, _carry, _migrations

from .update_support import env


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env(), capture_output=True, text=True, check=True
    ).stdout


def heads(bundle: Path) -> dict[str, str]:
    listed = git(bundle.parent, "bundle", "list-heads", str(bundle))
    return {
        ref.removeprefix("refs/tags/"): sha
        for sha, ref in (line.split() for line in listed.splitlines())
    }


def clone_at(bundle: Path, ref: str, dest: Path) -> Path:
    git(bundle.parent, "clone", "--quiet", str(bundle), str(dest))
    git(dest, "checkout", "--quiet", ref)
    return dest


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A tiny generator checkout: two releases, a non-release tag, a merge, a template with junk."""
    repo = tmp_path / "src"
    (repo / "template").mkdir(parents=True)
    (repo / "docs_templates").mkdir()
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(repo))
    (repo / "generator.py").write_text("not template\n", encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "before the template existed")
    (repo / "copier.yml").write_text("_subdirectory: template\n", encoding="utf-8")
    (repo / "template" / "README.md.jinja").write_text("v1\n", encoding="utf-8")
    (repo / "docs_templates" / "page.md").write_text("page\n", encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "one")
    git(repo, "tag", "v0.10.0")
    git(repo, "checkout", "--quiet", "-b", "side")
    (repo / "generator.py").write_text("side work\n", encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "side")
    git(repo, "checkout", "--quiet", "main")
    (repo / "template" / "README.md.jinja").write_text("v2\n", encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "two")
    git(repo, "merge", "--quiet", "--no-edit", "side")
    git(repo, "tag", "v0.9.0")  # tagged later, older version: order is by version, not date
    git(repo, "tag", "nightly")
    return repo


def test_bundle_mirrors_every_commit_with_its_template_deterministically(
    source: Path, tmp_path: Path
) -> None:
    """Every source commit has a template-only twin naming it; the hashes never change."""
    first = _bundle.build_bundle(source, "0.9.0", tmp_path / "a.bundle")
    _bundle.build_bundle(source, "0.9.0", tmp_path / "b.bundle")
    assert first == [
        "refs/tags/v0.9.0",
        "refs/tags/v0.10.0",
        "refs/heads/build",
        "refs/builds/v0.9.0",
    ]
    assert heads(tmp_path / "a.bundle") == heads(tmp_path / "b.bundle")
    clone = clone_at(tmp_path / "a.bundle", "v0.10.0", tmp_path / "clone")
    assert sorted(p.name for p in clone.iterdir() if p.name != ".git") == [
        "copier.yml",
        "docs_templates",
        "template",
    ]
    assert (clone / "template" / "README.md.jinja").read_text(encoding="utf-8") == "v1\n"
    assert git(clone, "log", "-1", "--format=%an <%ae>").strip() == (
        "segment-source-generator <template@segment-source-generator.invalid>"
    )
    # One mirror commit per source commit, merges kept, each naming its source.
    sources = git(source, "rev-list", "HEAD").split()
    bodies = git(clone, "log", "--format=%B", "origin/build").split("\n")
    named = [line.removeprefix("source ") for line in bodies if line.startswith("source ")]
    assert sorted(named) == sorted(sources)
    assert len(git(clone, "rev-list", "--merges", "origin/build").split()) == 1
    assert git(clone, "rev-parse", "origin/build").strip() == heads(tmp_path / "a.bundle")["v0.9.0"]


def test_bundle_adds_the_working_tree_on_top_of_head_without_junk(
    source: Path, tmp_path: Path
) -> None:
    clean = _bundle.build_bundle(source, "0.9.0", tmp_path / "clean.bundle")
    assert clean[-2:] == ["refs/heads/build", "refs/builds/v0.9.0"]
    (source / "template" / "README.md.jinja").write_text("work in progress\n", encoding="utf-8")
    (source / "template" / "__pycache__").mkdir()
    (source / "template" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    _bundle.build_bundle(source, "0.10.1.dev1+gabc", tmp_path / "dev.bundle")
    clone = clone_at(tmp_path / "dev.bundle", "build", tmp_path / "clone")
    assert (clone / "template" / "README.md.jinja").read_text(
        encoding="utf-8"
    ) == "work in progress\n"
    assert not (clone / "template" / "__pycache__").exists()
    assert "with uncommitted changes" in git(clone, "log", "-1", "--format=%B")
    # The committed history is unaffected by the working tree.
    before, after = heads(tmp_path / "clean.bundle"), heads(tmp_path / "dev.bundle")
    assert after["v0.10.0"] == before["v0.10.0"]
    assert git(clone, "rev-parse", "build^").strip() == before["refs/heads/build"]


def test_releases_file_stands_in_for_missing_tags(source: Path, tmp_path: Path) -> None:
    """A clone without tags still carries the releases recorded in RELEASES."""
    released = git(source, "rev-parse", "v0.10.0").strip()
    git(source, "tag", "--delete", "v0.10.0")
    (source / "RELEASES").write_text(
        f"# tag commit\nv0.10.0 {released}\nbad line\n", encoding="utf-8"
    )
    assert "refs/tags/v0.10.0" in _bundle.build_bundle(source, "0.9.0", tmp_path / "r.bundle")


def test_bundle_from_a_plain_source_tree(source: Path, tmp_path: Path) -> None:
    """An sdist has no git: its bundle holds the build's template alone."""
    plain = tmp_path / "plain"
    git(tmp_path, "clone", "--quiet", str(source), str(plain))
    subprocess.run(["rm", "-rf", str(plain / ".git")], check=True)
    refs = ["refs/heads/build", "refs/builds/v0.10.0"]
    assert _bundle.build_bundle(plain, "0.10.0", tmp_path / "p.bundle") == refs
    assert _bundle.build_bundle(plain, "0.10.0", tmp_path / "q.bundle") == refs
    assert heads(tmp_path / "p.bundle") == heads(tmp_path / "q.bundle")


def test_migrations_apply_once_and_only_across_their_version() -> None:
    table = _migrations.MIGRATIONS
    assert [m.version for m in _migrations.pending(Version("0.1.0"), Version("0.2.0"), table)] == [
        "0.1.1.dev0",
        "0.2.0",
    ]
    assert _migrations.pending(Version("0.2.0"), Version("0.3.0"), table) == []
    pending = _migrations.pending(Version("0.1.0"), Version("0.3.0"), table)
    moved = _migrations.renamed({"maintainer": "Acme Inc."}, pending, ["maintainer_company"])
    assert moved == {"maintainer": "Acme Inc.", "maintainer_company": "Acme Inc."}
    assert _migrations.renamed(moved, pending, ["maintainer_company"]) == moved
    # A target template that never made the rename is left alone.
    assert _migrations.renamed({"maintainer": "X"}, pending, ["maintainer"]) == {"maintainer": "X"}


def test_exports_are_sorted_and_include_update() -> None:
    # Sorted the way ruff's RUF022 sorts (isort-style: CONSTANTS, then Classes, then the rest).
    assert generator.__all__ == sorted(
        generator.__all__, key=lambda n: (not n.isupper(), not n[:1].isupper(), n)
    )
    assert {
        "update",
        "check_update",
        "UpdateResult",
        "UpdateCheck",
        "UpdateError",
        "TEMPLATE_URL",
    } <= set(generator.__all__)


def test_generate_from_a_checkout_records_the_url_and_a_commit_a_clone_resolves(
    tmp_path: Path,
) -> None:
    """Without a built bundle, one is made from the checkout; answers never hold a local path."""
    result = generator.generate(
        tmp_path / "acme",
        {
            "integration_name": "Acme Mail",
            "description": "d",
            "website": "https://acme.example",
            "categories": ["Email Marketing"],
            "support_email": "s@acme.example",
        },
        git=False,
    )
    text = (result.path / ".copier-answers.yml").read_text(encoding="utf-8")
    assert f"_src_path: {generator.TEMPLATE_URL}\n" in text
    (commit,) = [line[9:] for line in text.splitlines() if line.startswith("_commit: ")]
    repo = Path(__file__).resolve().parent.parent
    if not git(repo, "status", "--porcelain", "--", "copier.yml", "template", "docs_templates"):
        # What git describe gives in a clone: a tag, tag-N-g<hash>, or a bare hash.
        resolved = git(repo, "rev-parse", "--verify", f"{commit}^{{commit}}").strip()
        assert git(repo, "rev-parse", "HEAD").strip() == resolved
    else:  # a modified checkout has no commit to name: it records its version
        assert commit == f"v{generator.__version__}"


def test_declared_file_renames_follow_chains_and_wildcards() -> None:
    table = [
        _migrations.Migration(
            "0.2.0",
            "delivery tests renamed",
            renamed_files={"tests/test_delivery.py": "tests/test_send.py"},
        ),
        _migrations.Migration(
            "0.3.0",
            "again",
            renamed_files={
                "tests/test_send.py": "tests/test_sending.py",
                "src/*/delivery.py": "src/*/sending.py",
            },
        ),
    ]
    declared = _migrations.renamed_files(table)
    assert declared == {
        "tests/test_delivery.py": "tests/test_sending.py",
        "tests/test_send.py": "tests/test_sending.py",
        "src/*/delivery.py": "src/*/sending.py",
    }
    assert (
        _carry._declared_target("src/acme_mail/delivery.py", declared) == "src/acme_mail/sending.py"
    )
    assert _carry._declared_target("src/a/b/delivery.py", declared) is None  # `*` is one segment
    # File renames apply whatever the versions: only issue 18's layout moves are declared.
    (layout,) = [m for m in _migrations.MIGRATIONS if m.renamed_files]
    assert _migrations.renamed_files() == dict(layout.renamed_files)


BASE = "".join(f"line {n}\n" for n in range(1, 11))


@pytest.fixture
def updated(tmp_path: Path) -> tuple[Path, str]:
    """A project just "updated": HEAD holds the user's files, the work tree what copier left."""
    project = tmp_path / "project"
    (project / "src" / "acme").mkdir(parents=True)
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(project))
    (project / "src" / "acme" / "delivery.py").write_text(
        BASE.replace("line 2\n", "line 2 USER\n"), encoding="utf-8"
    )
    (project / "notes.md").write_text(BASE.replace("line 9\n", "line 9 USER\n"), encoding="utf-8")
    (project / "untouched.md").write_text(BASE, encoding="utf-8")
    (project / "mine.txt").write_text("the user's own file\n", encoding="utf-8")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "user state")
    head = git(project, "rev-parse", "HEAD").strip()
    for name in ("src/acme/delivery.py", "notes.md", "untouched.md", "mine.txt"):
        (project / name).unlink()
    # The new template: delivery.py much extended under a new name (too different to match);
    # notes.md moved with line 9 changed, clashing with the user's edit.
    rewritten = (
        "# rewritten\n"
        + BASE.replace("line 5\n", "line 5 NEW\n")
        + "".join(f"extra {n}\n" for n in range(25))
    )
    (project / "src" / "acme" / "sending.py").write_text(rewritten, encoding="utf-8")
    (project / "docs").mkdir()
    (project / "docs" / "notes.md").write_text(
        BASE.replace("line 9\n", "line 9 TEMPLATE\n"), encoding="utf-8"
    )
    return project, head


def test_carry_over_declared_rename_clash_and_kept_files(updated: tuple[Path, str]) -> None:
    project, head = updated
    tracked = _carry.head_files(project, head)
    gone = _carry.vanished(project, tracked)
    assert gone == ["mine.txt", "notes.md", "src/acme/delivery.py", "untouched.md"]
    old = {
        "src/acme/delivery.py": BASE.encode(),
        "notes.md": BASE.encode(),
        "untouched.md": BASE.encode(),
    }
    carried = _carry.carry_over(
        project, head, tracked, gone, old, {"src/*/delivery.py": "src/*/sending.py"}
    )
    assert [(c.path, c.new_path, c.clean) for c in carried] == [
        ("mine.txt", None, False),  # not the template's: always kept
        ("notes.md", "docs/notes.md", False),  # found by content; both changed line 9
        ("src/acme/delivery.py", "src/acme/sending.py", True),  # declared
    ]
    assert (project / "mine.txt").read_text(encoding="utf-8") == "the user's own file\n"
    assert not (project / "untouched.md").exists()  # unedited: the template's deletion stands
    notes = (project / "docs" / "notes.md").read_text(encoding="utf-8")
    assert (
        "<<<<<<< before updating\nline 9 USER\n=======\nline 9 TEMPLATE\n>>>>>>> after updating\n"
        in notes
    )
    sending = (project / "src" / "acme" / "sending.py").read_text(encoding="utf-8")
    assert "line 2 USER" in sending and "line 5 NEW" in sending and "extra 24" in sending
    status = git(project, "status", "--porcelain").splitlines()
    assert {
        "AU mine.txt",
        "UU docs/notes.md",
        "UU src/acme/sending.py",
        "D  notes.md",
        "D  src/acme/delivery.py",
        " D untouched.md",
    } == set(status)
    assert (
        "renamed src/acme/delivery.py to it (declared in segment-source's migrations)"
        in carried[2].describe()
    )
