"""Builds of this repository's real history, for the upgrade tests: wheel, venv, CLI.

A clone of this repository (with its tags, and any release in ``RELEASES`` that the clone
lacks as a tag, as hatch-vcs needs it for the version) gives a worktree per commit; each is
built into a wheel exactly as a user's ``pip install`` from a clone or a git URL would, and
installed into its own venv that inherits the test run's packages (``tests/venvs.py``).
No tag is made up: old builds are the ones users have (``5a8c376`` is main before issue 17,
whose projects record ``v0.0.1.dev<N>+g<hash>`` and the old template URL).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from .update_support import REPO, build_and_install, git, run

#: Main before the template history was mirrored (the build of "today's main" in issue 17).
LEGACY = "5a8c376"


@dataclass(frozen=True)
class Build:
    commit: str
    version: str
    venv: Path

    @property
    def cli(self) -> str:
        return str(self.venv / "bin" / "segment-source")


def releases() -> dict[str, str]:
    """The releases recorded in ``RELEASES`` (tag -> commit)."""
    found = {}
    for line in (REPO / "RELEASES").read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) == 2:
            found[fields[0]] = fields[1]
    return found


class History:
    """Build any commit of a clone of this repository, once each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clone = root / "repo"
        run("git", "clone", "--quiet", str(REPO), str(self.clone))
        have = set(git(self.clone, "tag", "--list").split())
        for tag, commit in releases().items():
            if tag not in have:
                git(self.clone, "tag", tag, commit)
        self._built: dict[str, Build] = {}

    def sha(self, ref: str) -> str:
        return git(self.clone, "rev-parse", "--verify", f"{ref}^{{commit}}").strip()

    def build(self, ref: str) -> Build:
        commit = self.sha(ref)
        if commit in self._built:
            return self._built[commit]
        tree = self.root / f"src-{commit[:12]}"
        git(self.clone, "worktree", "add", "--quiet", "--detach", str(tree), commit)
        venv = self.root / f"venv-{commit[:12]}"
        build_and_install(tree, self.root / f"dist-{commit[:12]}", venv)
        python = str(venv / "bin" / "python")
        # cwd: `python -c` puts the working directory first on sys.path, and the checkout
        # the tests run from has a generator package too.
        version = run(
            python, "-c", "import generator; print(generator.__version__)", cwd=venv
        ).stdout.strip()
        self._built[commit] = Build(commit, version, venv)
        return self._built[commit]

    def first_template_change_after(self, ref: str) -> str:
        """The first commit of main after ``ref`` that changed the template (a merge counts)."""
        for commit in git(
            self.clone, "rev-list", "--first-parent", "--reverse", f"{ref}..HEAD"
        ).split():
            if self.template_differs(f"{commit}^1", commit):
                return commit
        raise AssertionError(f"no template change on main after {ref}")

    def template_differs(self, old: str, new: str) -> bool:
        diff = git(
            self.clone,
            "diff",
            "--name-only",
            self.sha(old),
            self.sha(new),
            "--",
            "copier.yml",
            "template",
            "docs_templates",
        )
        return bool(diff.strip())


def stable_spot(old: str, new: str) -> int:
    """A line index of ``old`` inside a run of at least 9 lines that ``new`` keeps unchanged.

    An edit there merges cleanly whatever else the new template changed in the file.
    """
    a, b = old.split("\n"), new.split("\n")
    blocks = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks()
    for block in sorted(blocks, key=lambda m: -m.size):
        if block.size >= 9:
            return block.a + block.size // 2
    raise AssertionError("no run of 9 unchanged lines to edit")


def insert_line(path: Path, index: int, line: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(index, line)
    path.write_text("\n".join(lines), encoding="utf-8")
