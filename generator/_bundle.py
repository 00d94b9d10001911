"""Build the template's release history as a small git bundle.

``copier update`` re-renders the template at the project's old version, so the package
carries every release of the template, not only today's copy (copier-notes §2.4). Each
release tag ``vX.Y.Z`` of the generator becomes one template-only commit (``copier.yml``,
``template/``, ``docs_templates/``) tagged with the same name; the build being made (a dev
version, or a tree that differs from its tag) is added as ``v<version>``.

The commits are deterministic: fixed author and committer, the date of the tagged source
commit, and no parent. Without a parent, a release's commit depends on that release alone,
so every later bundle, and the public template repository fed from the same tags, agree on
its hash even when a patch release of an older line is tagged afterwards.

This module uses the standard library only: ``hatch_build.py`` loads it by path at build
time (before the package and its dependencies are importable), and the generator uses it
at run time from a source checkout, which has no built bundle.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

TEMPLATE_PATHS = ("copier.yml", "template", "docs_templates")
# Never part of the template, whatever sits in a working tree (pip byte-compiles, editors litter).
_JUNK_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
_JUNK_SUFFIXES = (".pyc", ".pyo")
_JUNK_NAMES = {".DS_Store"}
IDENTITY = {
    "GIT_AUTHOR_NAME": "segment-source-generator",
    "GIT_AUTHOR_EMAIL": "template@segment-source-generator.invalid",
    "GIT_COMMITTER_NAME": "segment-source-generator",
    "GIT_COMMITTER_EMAIL": "template@segment-source-generator.invalid",
}
# Release tags: `v` + a PEP 440 public version (no local part), e.g. v0.2.0, v1.0.0rc1.
RELEASE_TAG = re.compile(r"^v(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?$")
# When neither git nor SOURCE_DATE_EPOCH gives a date (an sdist built without either).
_FALLBACK_EPOCH = 315532800  # 1980-01-01, the zip epoch


def _git(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}"
        )
    return done.stdout.decode()


def _version_key(tag: str) -> tuple[object, ...]:
    """Order release tags as PEP 440 does: 1.0.dev1 < 1.0a1 < 1.0rc1 < 1.0 < 1.0.post1."""
    match = RELEASE_TAG.match(tag)
    assert match is not None  # only called on release tags
    release, pre, pre_n, post, dev = match.groups()
    numbers = [int(n) for n in release.split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    if pre:
        phase: tuple[int, ...] = (0, ("a", "b", "rc").index(pre), int(pre_n))
    elif dev is not None and post is None:
        phase = (-1,)
    else:
        phase = (1,)
    return (tuple(numbers), phase, int(post) if post else -1, int(dev) if dev else float("inf"))


def release_tags(source: Path) -> list[str]:
    """Return the release tags of the git repository at ``source``, oldest version first."""
    tags = [t for t in _git("tag", "--list", "v*", cwd=source).split() if RELEASE_TAG.match(t)]
    return sorted(tags, key=_version_key)


def _is_repo_root(source: Path) -> bool:
    done = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and Path(done.stdout.strip()).resolve() == source.resolve()


def _is_junk(relpath: str) -> bool:
    parts = relpath.split("/")
    return (
        bool(_JUNK_DIRS.intersection(parts))
        or parts[-1] in _JUNK_NAMES
        or parts[-1].endswith(_JUNK_SUFFIXES)
    )


def working_files(source: Path, in_repo: bool) -> list[str]:
    """List the template files of a working tree (tracked or new, never git-ignored)."""
    if in_repo:
        listed = _git(
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            *TEMPLATE_PATHS,
            cwd=source,
        )
        names = sorted(set(filter(None, listed.split("\0"))))
    else:
        names = []
        for top in TEMPLATE_PATHS:
            path = source / top
            if path.is_file():
                names.append(top)
            elif path.is_dir():
                names.extend(
                    p.relative_to(source).as_posix()
                    for p in path.rglob("*")
                    if p.is_file() or p.is_symlink()
                )
    return [n for n in sorted(names) if not _is_junk(n) and (source / n).exists()]


def _commit(bare: Path, tree: str, message: str, date: str) -> str:
    env = {**IDENTITY, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return _git(
        "--git-dir", str(bare), "commit-tree", "--no-gpg-sign", tree, "-m", message, env=env
    ).strip()


def _release_commit(source: Path, bare: Path, tag: str) -> tuple[str, str]:
    """Make the template-only commit of one release tag; return (commit, tree)."""
    entries = _git("ls-tree", f"{tag}^{{commit}}", "--", *TEMPLATE_PATHS, cwd=source)
    tree = _git("--git-dir", str(bare), "mktree", stdin=entries.encode()).strip()
    sha, date = _git("log", "-1", "--format=%H %cI", f"{tag}^{{commit}}", cwd=source).split()
    message = (
        f"segment-source template {tag}\n\nThe template files of segment-source-generator {sha}.\n"
    )
    return _commit(bare, tree, message, date), tree


def _working_tree(source: Path, bare: Path, files: Sequence[str]) -> str:
    index = bare / "working.index"
    env = {"GIT_INDEX_FILE": str(index), "GIT_LITERAL_PATHSPECS": "1"}
    base = ["--git-dir", str(bare), "--work-tree", str(source), "-c", "core.autocrlf=false"]
    # --force: the template's own .gitignore must not hide template files from this index.
    _git(
        *base,
        "add",
        "--force",
        "--pathspec-from-file=-",
        "--pathspec-file-nul",
        env=env,
        stdin="\0".join(files).encode(),
    )
    return _git("--git-dir", str(bare), "write-tree", env=env).strip()


def _working_date(source: Path, in_repo: bool) -> str:
    if in_repo:
        return _git("log", "-1", "--format=%cI", "HEAD", cwd=source).strip()
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", _FALLBACK_EPOCH))
    return f"{epoch} +0000"


def build_bundle(source: Path, version: str, out: Path) -> list[str]:
    """Write the template history of ``source`` into the git bundle ``out``.

    Args:
        source: the generator's source tree (a git checkout, or an unpacked sdist).
        version: the version being built; its template is tagged ``v<version>``.
        out: the bundle file to write (replaced if it exists).

    Returns:
        The tags in the bundle, oldest release first (``v<version>`` last unless it is a release).
    """
    source = source.resolve()
    in_repo = _is_repo_root(source)
    want = f"v{version}"
    with tempfile.TemporaryDirectory(prefix="segment-source-bundle.") as tmp:
        bare = Path(tmp) / "template.git"
        _git("init", "--quiet", "--bare", str(bare))
        tags: dict[str, tuple[str, str]] = {}
        head = "no git checkout"
        if in_repo:
            objects = Path(
                _git(
                    "rev-parse", "--path-format=absolute", "--git-path", "objects", cwd=source
                ).strip()
            )
            # Borrow the source's objects instead of copying them; `bundle create` packs what it needs.
            (bare / "objects" / "info" / "alternates").write_text(f"{objects}\n", encoding="utf-8")
            for tag in release_tags(source):
                tags[tag] = _release_commit(source, bare, tag)
            head = _git("rev-parse", "HEAD", cwd=source).strip()
        tree = _working_tree(source, bare, working_files(source, in_repo))
        if want not in tags or tags[want][1] != tree:
            message = f"segment-source template {want}\n\nThe template files of a working tree at {head}.\n"
            tags[want] = (_commit(bare, tree, message, _working_date(source, in_repo)), tree)
        for tag, (commit, _) in tags.items():
            _git("--git-dir", str(bare), "update-ref", f"refs/tags/{tag}", commit)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        _git("--git-dir", str(bare), "bundle", "create", "--quiet", str(partial), "--tags")
        os.replace(partial, out)
    return list(tags)
