"""Cut a release of segment-source-generator: CHANGELOG section, tag, RELEASES line, wheel.

    python scripts/release.py 0.1.0            # on a clean main
    python scripts/release.py 0.1.0 --no-build # skip the wheel and sdist

What it does, in order, stopping at the first problem with nothing half-done:
1. checks the version (X.Y.Z, optionally aN/bN/rcN), a clean work tree, and that the tag is new;
2. turns ``## Unreleased`` in CHANGELOG.md into ``## X.Y.Z - <today>`` under a fresh empty
   ``## Unreleased``, and commits "Release X.Y.Z";
3. tags that commit ``vX.Y.Z`` (annotated): hatch-vcs makes the version from it, and the
   wheel's template history names it, so projects made by the release record ``_commit: vX.Y.Z``;
4. appends ``vX.Y.Z <commit>`` to RELEASES and commits it, so a clone without tags (a CI
   checkout, a mirror) still knows the release (``generator/_bundle.py`` reads both);
5. builds the wheel and the sdist from a worktree of the tag into ``dist/`` (the wheel carries
   ``generator/_template.bundle``, the template of every commit of history) and prints their sizes.

Publishing is left to you: ``git push origin main vX.Y.Z``, then upload ``dist/*X.Y.Z*``.
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.compile(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?")


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("version", help="the version to release, e.g. 0.1.0")
    parser.add_argument("--no-build", action="store_true", help="skip building the wheel and sdist")
    args = parser.parse_args(argv)
    version, tag = args.version, f"v{args.version}"
    if not VERSION.fullmatch(version):
        parser.error(f"version `{version}` is not X.Y.Z (optionally aN, bN or rcN), e.g. 0.1.0")
    if git("status", "--porcelain"):
        parser.error("the work tree has uncommitted changes: commit or stash them first")
    if git("tag", "--list", tag).strip():
        parser.error(f"tag {tag} exists already: choose the next version")
    changelog = ROOT / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    if "\n## Unreleased\n" not in text:
        parser.error("CHANGELOG.md has no `## Unreleased` section to release")
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    changelog.write_text(
        text.replace("\n## Unreleased\n", f"\n## Unreleased\n\n## {version} - {today}\n", 1),
        encoding="utf-8",
    )
    git("commit", "--quiet", "-m", f"Release {version}", "--", "CHANGELOG.md")
    commit = git("rev-parse", "HEAD").strip()
    git("tag", "--annotate", "--message", f"segment-source-generator {version}", tag, commit)
    releases = ROOT / "RELEASES"
    with releases.open("a", encoding="utf-8") as stream:
        stream.write(f"{tag} {commit}\n")
    git("add", "RELEASES")
    git("commit", "--quiet", "-m", f"RELEASES: {tag} is {commit[:12]}")
    print(f"released {version}: commit {commit[:12]}, tag {tag}")
    if not args.no_build:
        with tempfile.TemporaryDirectory(prefix="segment-source-release.") as tmp:
            tree = Path(tmp) / "tree"
            git("worktree", "add", "--quiet", "--detach", str(tree), tag)
            try:
                subprocess.run(
                    [sys.executable, "-m", "build", "--outdir", str(ROOT / "dist"), str(tree)],
                    check=True,
                )
            finally:
                git("worktree", "remove", "--force", str(tree))
        for built in sorted((ROOT / "dist").glob(f"*{version}*")):
            print(f"  {built.relative_to(ROOT)}  {built.stat().st_size / 1024:.0f} KiB")
    print(f"publish: git push origin main {tag}; then upload dist/*{version}*")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
