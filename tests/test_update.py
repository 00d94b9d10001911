"""`segment-source update` end to end: real wheels, real copier, real git (see update_support)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from generator import TEMPLATE_URL

from .update_support import Release, build_releases, commit_all, files, git, new_project, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Release]:
    return build_releases(tmp_path_factory.mktemp("releases"))


def answers(project: Path) -> dict[str, object]:
    return dict(YAML(typ="safe").load((project / ".copier-answers.yml").read_text(encoding="utf-8")))


def hand_edit(project: Path) -> None:
    """Edit README (far from the line the template changes), the client and the catalog; commit."""
    with (project / "README.md").open("a", encoding="utf-8") as stream:
        stream.write("\nUSER EDIT: our deployment notes.\n")
    client = project / "src" / "acme_mail_source" / "client.py"
    client.write_text(client.read_text(encoding="utf-8") + "\n\nUSER_RETRIES = 7  # USER EDIT\n", encoding="utf-8")
    catalog = project / "catalog" / "metadata.yml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace('username: "CHANGE-ME"', 'username: "qa@acme.example"'),
                       encoding="utf-8")
    commit_all(project, "hand edits")


def update(release: Release, project: Path, *args: str, check: bool = True):
    return run(release.cli, "update", str(project), *args, check=check)


def test_wheel_carries_every_release_deterministically(releases: dict[str, Release], tmp_path: Path) -> None:
    """Each wheel bundles the template of every release so far; a release's commit never changes."""
    heads = {}
    for version, release in releases.items():
        out = tmp_path / version
        run(sys.executable, "-m", "zipfile", "-e", str(release.wheel), str(out))
        listed = git(tmp_path, "bundle", "list-heads", str(out / "generator" / "_template.bundle"))
        heads[version] = dict(reversed(line.split()) for line in listed.splitlines())
    assert list(heads["0.3.0"]) == ["refs/tags/v0.1.0", "refs/tags/v0.2.0", "refs/tags/v0.3.0"]
    assert heads["0.1.0"]["refs/tags/v0.1.0"] == heads["0.3.0"]["refs/tags/v0.1.0"]
    assert heads["0.2.0"]["refs/tags/v0.2.0"] == heads["0.3.0"]["refs/tags/v0.2.0"]


def test_new_from_installed_wheel_works_offline_and_records_url_and_tag(releases: dict[str, Release], tmp_path: Path) -> None:
    """`new` (git limited to local transports) records the public URL and the release tag."""
    located = run(releases["0.1.0"].python, "-c", "import generator; print(generator.__file__)", cwd=tmp_path).stdout
    assert located.startswith(str(releases["0.1.0"].venv))
    project = new_project(releases["0.1.0"], tmp_path / "acme")
    saved = answers(project)
    assert saved["_src_path"] == TEMPLATE_URL
    assert saved["_commit"] == "v0.1.0"
    assert git(project, "status", "--porcelain") == ""


def test_update_keeps_hand_edits_and_brings_new_files(releases: dict[str, Release], tmp_path: Path) -> None:
    """v0.1.0 -> v0.2.0: edits survive, the template's change and new file arrive, exit 0."""
    project = new_project(releases["0.1.0"], tmp_path / "acme")
    hand_edit(project)
    done = update(releases["0.2.0"], project)
    assert "from template v0.1.0 to v0.2.0" in done.stdout
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.splitlines()[0].endswith("(template v2)")
    assert "USER EDIT: our deployment notes." in readme
    client = (project / "src" / "acme_mail_source" / "client.py").read_text(encoding="utf-8")
    assert "USER_RETRIES = 7" in client and "Template v2." in client.splitlines()[0]
    assert 'username: "qa@acme.example"' in (project / "catalog" / "metadata.yml").read_text(encoding="utf-8")
    assert (project / "CONTRIBUTING.md").read_text(encoding="utf-8").startswith("# Contributing to the Acme Mail source")
    assert answers(project)["_commit"] == "v0.2.0"
    assert git(project, "diff", "--name-only", "--diff-filter=U") == ""


def test_same_line_clash_is_reported_and_exits_1(releases: dict[str, Release], tmp_path: Path) -> None:
    """The user and v0.2.0 change README's first line: inline markers, unmerged in git, exit 1."""
    project = new_project(releases["0.1.0"], tmp_path / "acme")
    readme = project / "README.md"
    lines = readme.read_text(encoding="utf-8").split("\n")
    readme.write_text("\n".join(["# Acme Mail (USER TITLE)", *lines[1:]]), encoding="utf-8")
    commit_all(project, "retitle")
    done = update(releases["0.2.0"], project, check=False)
    assert done.returncode == 1
    assert "README.md" in done.stderr and "conflict" in done.stderr
    text = readme.read_text(encoding="utf-8")
    assert "<<<<<<< before updating" in text and "(USER TITLE)" in text and "(template v2)" in text
    assert git(project, "diff", "--name-only", "--diff-filter=U").split() == ["README.md"]


def test_three_versions_in_a_row(releases: dict[str, Release], tmp_path: Path) -> None:
    """v0.1.0 -> v0.2.0 -> v0.3.0 (a new question answered with --data), edits kept throughout."""
    project = new_project(releases["0.1.0"], tmp_path / "acme")
    hand_edit(project)
    update(releases["0.2.0"], project)
    commit_all(project, "update to v0.2.0")
    update(releases["0.3.0"], project, "--data", "support_url=https://acme.example/help")
    saved = answers(project)
    assert saved["_commit"] == "v0.3.0" and saved["support_url"] == "https://acme.example/help"
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.splitlines()[0].endswith("(template v2) (template v3)")
    assert "USER EDIT: our deployment notes." in readme
    assert "Support: https://acme.example/help" in (project / ".github" / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert not (project / "CONTRIBUTING.md").exists() and not (project / "SUPPORT.md").exists()


def test_update_without_edits_equals_a_fresh_copy(releases: dict[str, Release], tmp_path: Path) -> None:
    """An untouched v0.1.0 project updated to v0.2.0 is file for file a fresh v0.2.0 project."""
    updated = new_project(releases["0.1.0"], tmp_path / "updated")
    update(releases["0.2.0"], updated)
    fresh = new_project(releases["0.2.0"], tmp_path / "fresh")
    assert files(updated) == files(fresh)


def test_plain_copier_update_matches_the_wrapper(releases: dict[str, Release], tmp_path: Path) -> None:
    """`copier update` from a clone of the template URL gives the same project as `segment-source update`."""
    mirror = tmp_path / "template.git"
    bundle = releases["0.3.0"].venv.glob("lib/python*/site-packages/generator/_template.bundle")
    run("git", "clone", "--quiet", "--mirror", str(next(bundle)), str(mirror))
    projects = []
    for name in ("wrapped", "plain"):
        project = new_project(releases["0.2.0"], tmp_path / name)
        hand_edit(project)
        projects.append(project)
    update(releases["0.3.0"], projects[0], "--data", "support_url=https://acme.example/help")
    # The public URL, served by a local clone: what a user with network access gets.
    redirect = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{mirror}.insteadOf",
                "GIT_CONFIG_VALUE_0": TEMPLATE_URL, "COPIER_CACHE_DIR": str(tmp_path / "copier-cache")}
    run(sys.executable, "-m", "copier", "update", "--defaults", "--data", "support_url=https://acme.example/help",
        cwd=projects[1], extra_env=redirect)
    assert files(projects[0]) == files(projects[1])
    assert answers(projects[1])["_commit"] == "v0.3.0"


def test_dirty_project_is_refused(releases: dict[str, Release], tmp_path: Path) -> None:
    """An untracked file is enough to refuse; nothing is touched."""
    project = new_project(releases["0.1.0"], tmp_path / "acme")
    (project / "notes.txt").write_text("wip\n", encoding="utf-8")
    done = update(releases["0.2.0"], project, check=False)
    assert done.returncode == 1
    assert "uncommitted changes (notes.txt)" in done.stderr
    assert answers(project)["_commit"] == "v0.1.0"
    assert git(project, "status", "--porcelain") == "?? notes.txt\n"


def test_new_question_without_default_and_no_terminal_exits_2(releases: dict[str, Release], tmp_path: Path) -> None:
    """v0.3.0 asks support_url (no default): without a TTY it is named with --data, exit 2."""
    project = new_project(releases["0.2.0"], tmp_path / "acme")
    head = git(project, "rev-parse", "HEAD")
    done = update(releases["0.3.0"], project, check=False)
    assert done.returncode == 2
    assert "support_url" in done.stderr and "--data" in done.stderr
    assert "--defaults" not in done.stderr  # update has no such flag
    assert git(project, "status", "--porcelain") == "" and git(project, "rev-parse", "HEAD") == head


def test_check_json(releases: dict[str, Release], tmp_path: Path) -> None:
    """--check --json says whether the installed generator has a newer template."""
    project = new_project(releases["0.1.0"], tmp_path / "acme")
    newer = json.loads(update(releases["0.2.0"], project, "--check", "--json").stdout)
    assert newer["update_available"] is True
    assert (newer["current_version"], newer["latest_version"]) == ("0.1.0", "0.2.0")
    same = json.loads(update(releases["0.1.0"], project, "--check", "--json").stdout)
    assert same["update_available"] is False
    assert "v0.2.0 is available" in update(releases["0.2.0"], project, "--check").stdout


def test_pretend_shows_the_changes_and_touches_nothing(releases: dict[str, Release], tmp_path: Path) -> None:
    """--pretend runs the update in a temporary clone and prints its diffstat."""
    project = new_project(releases["0.1.0"], tmp_path / "acme")
    hand_edit(project)
    before, head = files(project), git(project, "rev-parse", "HEAD")
    done = update(releases["0.2.0"], project, "--pretend")
    assert "Would update" in done.stdout
    assert "README.md" in done.stdout and "CONTRIBUTING.md" in done.stdout
    assert files(project) == before and git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == ""


def test_migration_carries_the_renamed_answer(releases: dict[str, Release], tmp_path: Path) -> None:
    """v0.2.0 renames `maintainer` to `maintainer_company`: the user's answer moves with it."""
    project = new_project(releases["0.1.0"], tmp_path / "acme", maintainer="Acme Inc.")
    done = update(releases["0.2.0"], project)
    assert "migrated v0.2.0" in done.stdout
    saved = answers(project)
    assert saved["maintainer_company"] == "Acme Inc." and "maintainer" not in saved
    page = (project / "docs" / "segment-source.md").read_text(encoding="utf-8")
    assert "maintained by Acme Inc." in page
    assert "segment-source update: migrate answers" in git(project, "log", "-1", "--format=%s")
    # Without the migration, copier would have fallen back to the default (the integration name).
    assert "maintained by Acme Mail" not in page

