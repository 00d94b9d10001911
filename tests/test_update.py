"""`segment-source update` end to end: real wheels, real copier, real git (see update_support)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from generator import TEMPLATE_URL

from .update_support import (
    ANSWERS,
    Release,
    build_releases,
    commit_all,
    files,
    git,
    new_project,
    run,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Release]:
    return build_releases(tmp_path_factory.mktemp("releases"))


def answers(project: Path) -> dict[str, object]:
    return dict(
        YAML(typ="safe").load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    )


def hand_edit(project: Path) -> None:
    """Edit README (far from the line the template changes), the client and the catalog; commit."""
    with (project / "README.md").open("a", encoding="utf-8") as stream:
        stream.write("\nUSER EDIT: our deployment notes.\n")
    client = project / "src" / "acme_mail_source" / "client.py"
    client.write_text(
        client.read_text(encoding="utf-8") + "\n\nUSER_RETRIES = 7  # USER EDIT\n", encoding="utf-8"
    )
    catalog = project / "catalog" / "metadata.yml"
    catalog.write_text(
        catalog.read_text(encoding="utf-8").replace(
            'username: "CHANGE-ME"', 'username: "qa@acme.example"'
        ),
        encoding="utf-8",
    )
    commit_all(project, "hand edits")


def update(release: Release, project: Path, *args: str, check: bool = True):
    return run(release.cli, "update", str(project), *args, check=check)


def test_wheel_carries_every_release_deterministically(
    releases: dict[str, Release], tmp_path: Path
) -> None:
    """Each wheel bundles the template of every release so far; a release's commit never changes."""
    heads = {}
    for version, release in releases.items():
        out = tmp_path / version
        run(sys.executable, "-m", "zipfile", "-e", str(release.wheel), str(out))
        listed = git(tmp_path, "bundle", "list-heads", str(out / "generator" / "_template.bundle"))
        heads[version] = dict(reversed(line.split()) for line in listed.splitlines())
    assert list(heads["0.3.0"]) == [
        "refs/tags/v0.1.0",
        "refs/tags/v0.2.0",
        "refs/tags/v0.3.0",
        "refs/heads/build",
        "refs/builds/v0.3.0",
    ]
    assert heads["0.1.0"]["refs/tags/v0.1.0"] == heads["0.3.0"]["refs/tags/v0.1.0"]
    assert heads["0.2.0"]["refs/tags/v0.2.0"] == heads["0.3.0"]["refs/tags/v0.2.0"]


def test_new_from_installed_wheel_works_offline_and_records_url_and_tag(
    releases: dict[str, Release], tmp_path: Path
) -> None:
    """`new` (git limited to local transports) records the public URL and the release tag."""
    located = run(
        releases["0.1.0"].python, "-c", "import generator; print(generator.__file__)", cwd=tmp_path
    ).stdout
    assert located.startswith(str(releases["0.1.0"].venv))
    project = new_project(releases["0.1.0"], tmp_path / "acme")
    saved = answers(project)
    assert saved["_src_path"] == TEMPLATE_URL
    assert saved["_commit"] == "v0.1.0"
    assert git(project, "status", "--porcelain") == ""


def test_update_keeps_hand_edits_and_brings_new_files(
    releases: dict[str, Release], tmp_path: Path
) -> None:
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
    assert 'username: "qa@acme.example"' in (project / "catalog" / "metadata.yml").read_text(
        encoding="utf-8"
    )
    assert (
        (project / "CONTRIBUTING.md")
        .read_text(encoding="utf-8")
        .startswith("# Contributing to the Acme Mail source")
    )
    assert answers(project)["_commit"] == "v0.2.0"
    assert git(project, "diff", "--name-only", "--diff-filter=U") == ""


def test_same_line_clash_is_reported_and_exits_1(
    releases: dict[str, Release], tmp_path: Path
) -> None:
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
    assert "Support: https://acme.example/help" in (
        project / ".github" / "CONTRIBUTING.md"
    ).read_text(encoding="utf-8")
    assert not (project / "CONTRIBUTING.md").exists() and not (project / "SUPPORT.md").exists()


def test_update_without_edits_equals_a_fresh_copy(
    releases: dict[str, Release], tmp_path: Path
) -> None:
    """An untouched v0.1.0 project updated to v0.2.0 is file for file a fresh v0.2.0 project."""
    updated = new_project(releases["0.1.0"], tmp_path / "updated")
    update(releases["0.2.0"], updated)
    fresh = new_project(releases["0.2.0"], tmp_path / "fresh")
    assert files(updated) == files(fresh)


def test_plain_copier_update_matches_the_wrapper(
    releases: dict[str, Release], tmp_path: Path
) -> None:
    """`copier update` from a clone of the template URL gives what `segment-source update` gives."""
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
    redirect = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{mirror}.insteadOf",
        "GIT_CONFIG_VALUE_0": TEMPLATE_URL,
        "COPIER_CACHE_DIR": str(tmp_path / "copier-cache"),
    }
    run(
        sys.executable,
        "-m",
        "copier",
        "update",
        "--defaults",
        "--data",
        "support_url=https://acme.example/help",
        cwd=projects[1],
        extra_env=redirect,
    )
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


def test_new_question_without_default_and_no_terminal_exits_2(
    releases: dict[str, Release], tmp_path: Path
) -> None:
    """v0.3.0 asks support_url (no default): without a TTY it is named with --data, exit 2."""
    project = new_project(releases["0.2.0"], tmp_path / "acme")
    head = git(project, "rev-parse", "HEAD")
    done = update(releases["0.3.0"], project, check=False)
    assert done.returncode == 2
    assert "support_url" in done.stderr and "--data" in done.stderr
    assert "--defaults" not in done.stderr  # update has no such flag
    assert git(project, "status", "--porcelain") == "" and git(project, "rev-parse", "HEAD") == head


def test_check_compares_both_ways(releases: dict[str, Release], tmp_path: Path) -> None:
    """--check: 2 with an update available, 0 when up to date, 1 when the project is newer."""
    project = new_project(releases["0.2.0"], tmp_path / "acme")
    newer = update(releases["0.3.0"], project, "--check", "--json", check=False)
    assert newer.returncode == 2
    assert json.loads(newer.stdout) == {
        "update_available": True,
        "current_version": "v0.2.0",
        "latest_version": "v0.3.0",
        "project_newer": False,
        "project": str(project),
    }
    plain = update(releases["0.3.0"], project, "--check", check=False)
    assert (plain.returncode, plain.stdout) == (
        2,
        (
            f"{project}: template v0.2.0; v0.3.0 is available "
            "(segment-source 0.3.0: run segment-source update)\n"
        ),
    )
    same = update(releases["0.2.0"], project, "--check", "--json")
    assert json.loads(same.stdout)["update_available"] is False
    # The downgrade case: a project made by a newer segment-source than the one installed.
    older = update(releases["0.1.0"], project, "--check", check=False)
    assert older.returncode == 1
    assert older.stdout == (
        f"{project}: template v0.2.0 is newer than this segment-source's v0.1.0 (0.1.0); "
        "upgrade segment-source to the build that made the project or a later one to update it\n"
    )
    as_json = json.loads(
        update(releases["0.1.0"], project, "--check", "--json", check=False).stdout
    )
    assert as_json["project_newer"] is True and as_json["update_available"] is False
    assert refusal(update(releases["0.1.0"], project, check=False)) == (
        f"error: {project} uses template `v0.2.0` (version 0.2.0), newer than this "
        "segment-source (0.1.0)\n"
        "  hint: upgrade segment-source to the build that made the project or a later one; "
        "downgrades are not supported\n"
    )


def test_pretend_shows_the_changes_and_touches_nothing(
    releases: dict[str, Release], tmp_path: Path
) -> None:
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


def summary_count(stdout: str) -> int:
    """The N of the summary's "(N files changed)", checked against the diffstat's own total."""
    head = re.search(r"\((\d+) files? changed\)", stdout)
    total = re.search(r"^ (\d+) files? changed", stdout, flags=re.MULTILINE)
    assert head and total, stdout
    assert head.group(1) == total.group(1), stdout
    assert "Unmerged" not in stdout
    return int(head.group(1))


def test_renamed_file_carries_the_edits_to_its_new_path(
    releases: dict[str, Release], tmp_path: Path
) -> None:
    """v0.3.0 moves CONTRIBUTING.md (edited) to .github/: the edit follows, reported, exit 1."""
    project = new_project(releases["0.2.0"], tmp_path / "acme")
    old = project / "CONTRIBUTING.md"
    old.write_text(
        old.read_text(encoding="utf-8").replace(
            "Set up a virtual", "Set up with uv (USER EDIT) or a virtual"
        ),
        encoding="utf-8",
    )
    commit_all(project, "contributing edit")
    done = update(
        releases["0.3.0"], project, "--data", "support_url=https://acme.example/help", check=False
    )
    assert done.returncode == 1
    moved = (project / ".github" / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "Set up with uv (USER EDIT) or a virtual environment" in moved  # the user's edit
    assert "Support: https://acme.example/help" in moved  # the template's change
    assert "<<<<<<<" not in moved and not old.exists()
    assert done.stderr.startswith("error: 1 conflict to resolve: .github/CONTRIBUTING.md\n")
    assert (
        ".github/CONTRIBUTING.md: the template renamed CONTRIBUTING.md to it (83% alike); "
        "your edits were carried over, merged cleanly"
    ) in done.stderr
    assert "CONTRIBUTING.md => .github/CONTRIBUTING.md" in done.stdout
    assert (
        summary_count(done.stdout) == 4
    )  # answers, README, the renamed file, SUPPORT.md (deleted, unedited)
    assert git(project, "diff", "--name-only", "--diff-filter=U") == ".github/CONTRIBUTING.md\n"
    refused = run("git", "commit", "-m", "update", cwd=project, check=False)
    assert refused.returncode != 0 and "unmerged" in refused.stdout + refused.stderr
    git(project, "add", ".github/CONTRIBUTING.md")  # the user confirms
    commit_all(project, "update to v0.3.0")
    assert "Set up with uv (USER EDIT)" in git(project, "show", "HEAD:.github/CONTRIBUTING.md")


def test_deleted_file_keeps_the_users_version(releases: dict[str, Release], tmp_path: Path) -> None:
    """v0.3.0 deletes SUPPORT.md (edited): the user's version stays, reported, exit 1."""
    project = new_project(releases["0.2.0"], tmp_path / "acme")
    support = project / "SUPPORT.md"
    edited = support.read_text(encoding="utf-8") + "\nUSER EDIT: office hours on Fridays.\n"
    support.write_text(edited, encoding="utf-8")
    commit_all(project, "support edit")
    before = files(project)
    pretend = update(
        releases["0.3.0"], project, "--pretend", "--data", "support_url=https://acme.example/help"
    )
    assert "Would conflict: SUPPORT.md\n  SUPPORT.md: the template deleted it" in pretend.stdout
    assert files(project) == before and git(project, "status", "--porcelain") == ""
    done = update(
        releases["0.3.0"], project, "--data", "support_url=https://acme.example/help", check=False
    )
    assert done.returncode == 1
    assert support.read_text(encoding="utf-8") == edited
    assert done.stderr.startswith("error: 1 conflict to resolve: SUPPORT.md\n")
    assert (
        "SUPPORT.md: the template deleted it; your version is kept "
        "(git rm it to accept the deletion)" in done.stderr
    )
    # CONTRIBUTING.md was not edited: its move is the template's, with nothing to report.
    assert (project / ".github" / "CONTRIBUTING.md").exists() and not (
        project / "CONTRIBUTING.md"
    ).exists()
    assert "CONTRIBUTING" not in done.stderr
    assert summary_count(done.stdout) == 3
    assert "UD SUPPORT.md" in git(project, "status", "--porcelain").splitlines()
    git(project, "add", "SUPPORT.md")  # keep it
    commit_all(project, "update to v0.3.0")
    assert git(project, "show", "HEAD:SUPPORT.md") == edited


def test_summary_counts_new_files_and_says_one_conflict(
    releases: dict[str, Release], tmp_path: Path
) -> None:
    """v0.1.0 -> v0.2.0 with a clash: the count has the new files, "1 conflict", no raw git."""
    project = new_project(releases["0.1.0"], tmp_path / "acme")
    readme = project / "README.md"
    lines = readme.read_text(encoding="utf-8").split("\n")
    readme.write_text("\n".join(["# Acme Mail (USER TITLE)", *lines[1:]]), encoding="utf-8")
    commit_all(project, "retitle")
    done = update(releases["0.2.0"], project, check=False)
    assert done.returncode == 1
    listed = {line.split("|")[0].strip() for line in done.stdout.splitlines() if "|" in line}
    assert {"CONTRIBUTING.md", "SUPPORT.md", "README.md"} <= listed
    assert summary_count(done.stdout) == len(listed)
    assert done.stderr.startswith("error: 1 conflict to resolve: README.md\n")


def refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The stderr of a refused command: exit 1, one `error:` line and one hint, no traceback."""
    assert done.returncode == 1, done
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("  hint: "), (
        done.stderr
    )
    return done.stderr


@pytest.mark.parametrize("commit", ["nonsense", "v0.0.0", "v0.1.1.dev3+gabc1234"])
def test_unknown_or_uncarried_commit_is_refused(
    releases: dict[str, Release], tmp_path: Path, commit: str
) -> None:
    """A `_commit` no build in the history made (a fork's, a hand edit): one error, no change."""
    project = new_project(releases["0.1.0"], tmp_path / "acme")
    saved = project / ".copier-answers.yml"
    saved.write_text(
        saved.read_text(encoding="utf-8").replace("_commit: v0.1.0", f"_commit: {commit}"),
        encoding="utf-8",
    )
    commit_all(project, "hand-edited answers")
    before = files(project)
    stderr = refusal(update(releases["0.2.0"], project, check=False))
    assert stderr == (
        f"error: {project} records template `{commit}` (`_commit` in .copier-answers.yml), "
        "which no build in this segment-source's history (0.2.0) made (releases: v0.1.0, "
        "v0.2.0)\n"
        "  hint: update with the segment-source that made the project (a build of a fork "
        "carries its own history), or set `_commit` to the release or commit it started from "
        "in .copier-answers.yml, commit, and run segment-source update again\n"
    )
    assert files(project) == before and git(project, "status", "--porcelain") == ""
    assert refusal(update(releases["0.2.0"], project, "--check", check=False)) == stderr


def copied_release(release: Release, dest: Path) -> str:
    """A copy of ``release``'s venv whose bundle can be changed; returns its python."""
    shutil.copytree(release.venv, dest, symlinks=True)
    return str(dest / "bin" / "python")


def installed_bundle(venv: Path) -> Path:
    return next(venv.glob("lib/python*/site-packages/generator/_template.bundle"))


def test_missing_bundle_is_refused(releases: dict[str, Release], tmp_path: Path) -> None:
    """A wheel install without its template history: `update` and `new` refuse, hint: reinstall."""
    python = copied_release(releases["0.3.0"], tmp_path / "venv")
    bundle = installed_bundle(tmp_path / "venv")
    bundle.unlink()
    project = new_project(releases["0.2.0"], tmp_path / "acme")
    expected = (
        f"error: this segment-source has no template history: {bundle} is missing\n"
        "  hint: reinstall segment-source from a wheel or sdist built with its git history "
        "(pip install --force-reinstall segment-source-generator)\n"
    )
    data = "--data=support_url=https://acme.example/help"
    # cwd: `python -m` puts the working directory first on sys.path, and this checkout has
    # a generator too.
    assert (
        refusal(
            run(python, "-m", "generator", "update", str(project), data, cwd=tmp_path, check=False)
        )
        == expected
    )
    assert git(project, "status", "--porcelain") == ""
    created = run(
        python,
        "-m",
        "generator",
        "new",
        str(tmp_path / "other"),
        "--defaults",
        *[f"--data={k}={v}" for k, v in ANSWERS.items()],
        data,
        cwd=tmp_path,
        check=False,
    )
    assert refusal(created) == expected and not (tmp_path / "other").exists()


def test_bundle_without_its_own_version_is_refused(
    releases: dict[str, Release], tmp_path: Path
) -> None:
    """A v0.3.0 whose bundle stops at v0.2.0 refuses to update to a template it does not carry."""
    python = copied_release(releases["0.3.0"], tmp_path / "venv")
    shutil.copyfile(installed_bundle(releases["0.2.0"].venv), installed_bundle(tmp_path / "venv"))
    project = new_project(releases["0.1.0"], tmp_path / "acme")
    done = run(
        python,
        "-m",
        "generator",
        "update",
        str(project),
        "--data=support_url=https://acme.example/help",
        cwd=tmp_path,
        check=False,
    )
    assert refusal(done) == (
        "error: this segment-source (0.3.0) does not carry its own template v0.3.0 (its history "
        f"{installed_bundle(tmp_path / 'venv')} was built for v0.2.0)\n"
        "  hint: reinstall segment-source from a wheel or sdist built with its git history "
        "(pip install --force-reinstall segment-source-generator)\n"
    )
    assert git(project, "status", "--porcelain") == ""
