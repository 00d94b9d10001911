"""Upgrades between real builds of this repository's history: dev builds, the release, plain copier.

No tag is made up here: every build is a real commit of main (``history_builds.LEGACY`` is
main before issue 17, the build users had; the release comes from ``RELEASES``; HEAD is the
build under test), built into a wheel and installed into its own venv.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from generator import TEMPLATE_URL

from .history_builds import LEGACY, Build, History, insert_line, releases, stable_spot
from .update_support import ANSWERS, commit_all, files, git, run

USER_LINE = "<!-- edited by hand: keep me -->"


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return History(tmp_path_factory.mktemp("history"))


def new_project(build: Build, dest: Path) -> Path:
    data = [f"--data={k}={v}" for k, v in ANSWERS.items()]
    run(build.cli, "new", str(dest), "--defaults", *data)
    return dest


def answers(project: Path) -> dict[str, str]:
    text = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    return dict(
        line.split(": ", 1) for line in text.splitlines() if line.startswith(("_commit", "_src"))
    )


def edit_a_file_the_new_build_changes(old: Path, fresh_new: Path) -> tuple[str, str]:
    """Insert a line by hand into a file both builds render differently; return (file, line)."""
    before, after = files(old), files(fresh_new)
    changed = sorted(
        name
        for name in before.keys() & after.keys()
        if before[name] != after[name] and not name.startswith(".copier-answers")
    )
    assert changed, "the two builds render no common file differently"
    name = "README.md" if "README.md" in changed else changed[0]
    old_text, new_text = before[name].decode(), after[name].decode()
    line = USER_LINE if name.endswith(".md") else "# edited by hand: keep me"
    insert_line(old / name, stable_spot(old_text, new_text), line)
    commit_all(old, "my edit")
    return name, line


def update(build: Build, project: Path, *args: str, check: bool = True):
    return run(build.cli, "update", str(project), *args, check=check)


def describe(history: History, ref: str) -> str:
    """What git describe says for ``ref`` in a clone (12 hex digits), as projects record it."""
    return git(
        history.clone, "describe", "--tags", "--always", "--abbrev=12", history.sha(ref)
    ).strip()


def test_a_project_of_todays_main_updates_to_head_keeping_the_edit(
    history: History, tmp_path: Path
) -> None:
    """The build of main before issue 17 (`_commit: v0.0.1.dev<N>+g<hash>`) updates with HEAD's."""
    old, new = history.build(LEGACY), history.build("HEAD")
    assert history.template_differs(LEGACY, "HEAD")
    project = new_project(old, tmp_path / "acme")
    legacy = answers(project)
    assert legacy["_commit"] == f"v{old.version}" and "+g" in old.version  # a dev build's version
    assert legacy["_src_path"] != TEMPLATE_URL  # the old URL, which nothing serves
    name, line = edit_a_file_the_new_build_changes(project, new_project(new, tmp_path / "fresh"))
    assert update(new, project, "--check", check=False).returncode == 2
    done = update(new, project)
    assert line in (project / name).read_text(encoding="utf-8")  # the edit is kept
    fresh = files(tmp_path / "fresh")
    edited = (project / name).read_text(encoding="utf-8").replace(line + "\n", "", 1)
    assert edited.encode() == fresh[name]  # and the new template's change applied around it
    assert answers(project) == answers(tmp_path / "fresh")  # _commit moved, URL moved
    assert answers(project)["_commit"] == describe(history, "HEAD")
    status = git(project, "status", "--porcelain")
    assert f" M {name}\n" in status and " M .copier-answers.yml\n" in status  # left for review
    assert "Updated" in done.stdout
    assert update(new, project, "--check").returncode == 0


def test_three_builds_in_a_row_end_where_one_hop_does(history: History, tmp_path: Path) -> None:
    """LEGACY -> a later build -> HEAD leaves the same files as LEGACY -> HEAD, the edit kept."""
    (tag, _), *_ = releases().items()
    middle_sha = history.first_template_change_after(tag)
    legacy, middle, head = history.build(LEGACY), history.build(middle_sha), history.build("HEAD")
    assert history.template_differs(LEGACY, middle_sha)
    assert history.template_differs(middle_sha, "HEAD")
    hops = new_project(legacy, tmp_path / "hops")
    name, line = edit_a_file_the_new_build_changes(hops, new_project(middle, tmp_path / "mid"))
    direct = tmp_path / "direct"
    run("git", "clone", "--quiet", str(hops), str(direct))
    update(middle, hops)
    assert answers(hops)["_commit"] == describe(history, middle_sha)
    commit_all(hops, "update to the middle build")
    update(head, hops)
    update(head, direct)
    assert line in (hops / name).read_text(encoding="utf-8")
    assert files(hops) == files(direct)
    assert answers(hops)["_commit"] == describe(history, "HEAD")


def test_release_to_dev_build_and_back(history: History, tmp_path: Path) -> None:
    """A release's project updates with a later dev build; the release refuses the dev project."""
    (tag, commit), *_ = releases().items()
    release, head = history.build(tag), history.build("HEAD")
    assert release.version == tag.removeprefix("v") and history.sha(tag) == commit
    assert history.template_differs(tag, "HEAD")
    made = new_project(release, tmp_path / "by-release")
    assert answers(made) == {"_commit": tag, "_src_path": TEMPLATE_URL}
    name, line = edit_a_file_the_new_build_changes(made, new_project(head, tmp_path / "by-dev"))
    check = json.loads(update(head, made, "--check", "--json", check=False).stdout)
    assert check["update_available"] and check["current_version"] == tag
    update(head, made)
    assert line in (made / name).read_text(encoding="utf-8")
    assert answers(made)["_commit"] == describe(history, "HEAD")
    # Back: the release, given a project of the later dev build, touches nothing.
    dev_project = tmp_path / "by-dev"
    before, head_commit = files(dev_project), git(dev_project, "rev-parse", "HEAD")
    back = update(release, dev_project, "--check", check=False)
    assert back.returncode == 1 and "is newer than this segment-source" in back.stdout
    refused = update(release, dev_project, check=False)
    assert refused.returncode == 1 and refused.stderr.startswith("error: ")
    assert "downgrades are not supported" in refused.stderr
    assert files(dev_project) == before and git(dev_project, "rev-parse", "HEAD") == head_commit
    assert git(dev_project, "status", "--porcelain") == ""


def test_plain_copier_update_from_a_clone_as_the_readme_says(
    history: History, tmp_path: Path
) -> None:
    """A dev build's project updates with plain copier from a clone mapped onto TEMPLATE_URL."""
    (tag, _), *_ = releases().items()
    first_dev = git(history.clone, "rev-list", "--reverse", "--ancestry-path", f"{tag}..HEAD")
    first_dev_sha = first_dev.split()[0]
    assert history.template_differs(first_dev_sha, "HEAD")
    project = new_project(history.build(first_dev_sha), tmp_path / "acme")
    assert answers(project)["_commit"] == describe(history, first_dev_sha)  # v0.1.0-1-g...
    name, line = edit_a_file_the_new_build_changes(
        project, new_project(history.build("HEAD"), tmp_path / "fresh")
    )
    mapped = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{history.clone}.insteadOf",
        "GIT_CONFIG_VALUE_0": TEMPLATE_URL,
    }
    # `copier update` of the README, run by this interpreter's copier.
    run(
        sys.executable,
        "-m",
        "copier",
        "update",
        "--defaults",
        "--vcs-ref=HEAD",
        cwd=project,
        extra_env=mapped,
    )
    assert line in (project / name).read_text(encoding="utf-8")
    edited = (project / name).read_text(encoding="utf-8").replace(line + "\n", "", 1)
    assert edited.encode() == files(tmp_path / "fresh")[name]
    recorded = answers(project)["_commit"]
    assert history.sha(recorded) == history.sha("HEAD")  # copier's own describe, resolvable
    # And our update reads what plain copier wrote.
    commit_all(project, "plain copier update")
    assert update(history.build("HEAD"), project, "--check").returncode == 0


def test_edits_in_moved_files_follow_the_layout_of_issue_18(
    history: History, tmp_path: Path
) -> None:
    """A project of LEGACY with edits in client.py and _dispatch.py: both found after update."""
    legacy, head = history.build(LEGACY), history.build("HEAD")
    project = new_project(legacy, tmp_path / "acme")
    fresh = files(new_project(head, tmp_path / "fresh"))
    package = "src/acme_mail_source"
    moves = {f"{package}/client.py": f"{package}/client.py"}
    moves[f"{package}/_dispatch.py"] = f"{package}/_engine/dispatch.py"
    before = files(project)
    for old, new in moves.items():
        spot = stable_spot(before[old].decode(), fresh[new].decode())
        insert_line(project / old, spot, f"# edited by hand in {old}")
    commit_all(project, "my edits")
    done = update(head, project, check=False)
    # The move is carried and left unmerged for review (exit 1 until `git add`), as documented.
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        f"{package}/_engine/dispatch.py: the template renamed {package}/_dispatch.py" in done.stderr
    )
    for old, new in moves.items():
        assert f"# edited by hand in {old}" in (project / new).read_text(encoding="utf-8")
    assert not (project / f"{package}/_dispatch.py").exists()
