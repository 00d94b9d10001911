"""Build the template's history as a small git bundle: every build a user can install, findable.

``copier update`` re-renders the template at the version a project was made from, so the
package carries the template of every commit of its history, not only today's copy. The
bundle is a *template-only mirror* of the source history: for each source commit ``S`` one
commit ``M(S)`` whose tree holds only ``copier.yml``, ``template/`` and ``docs_templates/``,
whose parents are the mirrors of ``S``'s parents, and whose message names ``S``
(``source <sha>``). A project made by any build, a release or a development build of any
commit, is found again from the hash in the version it recorded, and the mirror's ancestry
orders two builds the way the source history does.

Refs in the bundle: ``refs/tags/vX.Y.Z`` for each release (a git tag, or a line of the
tracked ``RELEASES`` file when a clone lacks the tags), and ``refs/heads/build``, the
template of the build being made: ``M(HEAD)``, or a commit on top of it holding the working
tree when the tree's template differs from ``HEAD``'s (an editable install, a dirty build).

The commits are deterministic (fixed identity, the source commit's date, the source's own
parents), so every later build, on any machine, agrees on the hash of every mirror commit.
Only trees that changed are new objects, so the bundle stays small (tens of kilobytes).

This module uses the standard library only: ``hatch_build.py`` loads it by path at build
time (before the package and its dependencies are importable), and the generator uses it
at run time from a source checkout, which has no built bundle.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

TEMPLATE_PATHS = ("copier.yml", "template", "docs_templates")
#: Tracked list of releases (``v0.1.0 <sha>`` a line), for clones that lack the git tags.
RELEASES_FILE = "RELEASES"
BUILD_REF = "refs/heads/build"
#: ``refs/builds/v<version>``: the version the build was made as, beside :data:`BUILD_REF`.
VERSION_REFS = "refs/builds/"
# Never part of the template, whatever sits in a working tree (pip byte-compiles, editors litter).
_JUNK_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
_JUNK_SUFFIXES = (".pyc", ".pyo")
_JUNK_NAMES = {".DS_Store"}
IDENTITY_NAME = "segment-source-generator"
IDENTITY_EMAIL = "template@segment-source-generator.invalid"
IDENTITY = {
    "GIT_AUTHOR_NAME": IDENTITY_NAME,
    "GIT_AUTHOR_EMAIL": IDENTITY_EMAIL,
    "GIT_COMMITTER_NAME": IDENTITY_NAME,
    "GIT_COMMITTER_EMAIL": IDENTITY_EMAIL,
}
# Release tags: `v` + a PEP 440 public version (no local part), e.g. v0.2.0, v1.0.0rc1.
RELEASE_TAG = re.compile(r"^v(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?$")
#: The line of a mirror commit's message that names its source commit.
SOURCE_LINE = re.compile(r"^source ([0-9a-f]{40})( with uncommitted changes)?$", re.MULTILINE)
# When neither git nor SOURCE_DATE_EPOCH gives a date (an sdist built without either).
_FALLBACK_EPOCH = 315532800  # 1980-01-01, the zip epoch
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


# Its own git runner, not generator._git: hatch_build.py loads this file alone, by path.
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


def version_key(tag: str) -> tuple[object, ...]:
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


def recorded_releases(source: Path) -> dict[str, str]:
    """The ``RELEASES`` file of ``source``: release tag -> source commit (empty when absent)."""
    path = source / RELEASES_FILE
    if not path.is_file():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if (
            len(fields) == 2
            and RELEASE_TAG.match(fields[0])
            and re.fullmatch(r"[0-9a-f]{40}", fields[1])
        ):
            found[fields[0]] = fields[1]
    return found


def release_commits(source: Path) -> dict[str, str]:
    """Every release of ``source`` (git tags, then ``RELEASES``): tag -> commit, oldest first."""
    tags = {t for t in _git("tag", "--list", "v*", cwd=source).split() if RELEASE_TAG.match(t)}
    found = {tag: _git("rev-parse", f"{tag}^{{commit}}", cwd=source).strip() for tag in tags}
    for tag, sha in recorded_releases(source).items():
        has = subprocess.run(
            ["git", "cat-file", "-e", f"{sha}^{{commit}}"],
            cwd=source,
            capture_output=True,
            check=False,
        )
        if tag not in found and has.returncode == 0:
            found[tag] = sha
    return {tag: found[tag] for tag in sorted(found, key=version_key)}


def release_tags(source: Path) -> list[str]:
    """Return the release tags of the git repository at ``source``, oldest version first."""
    return list(release_commits(source))


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


def _history(source: Path, tips: Sequence[str]) -> list[tuple[str, list[str], str]]:
    """(commit, parents, ``epoch tz`` date) of every ancestor of ``tips``, parents first."""
    listed = _git(
        "log", "--topo-order", "--reverse", "--format=%H %P%x00%ct %ci", *tips, cwd=source
    )
    commits = []
    for line in listed.splitlines():
        shas, dates = line.split("\0")
        epoch, _day, _time, tz = dates.split()
        sha, *parents = shas.split()
        commits.append((sha, parents, f"{epoch} {tz}"))
    return commits


def _template_trees(source: Path, bare: Path, commits: Sequence[str]) -> dict[str, str]:
    """The template-only tree of each commit (one ``cat-file`` and one ``mktree`` for all)."""
    asked = "".join(f"{sha}:{path}\n" for sha in commits for path in TEMPLATE_PATHS)
    found = _git(
        "cat-file", "--batch-check=%(objectname) %(objecttype)", cwd=source, stdin=asked.encode()
    )
    answers = iter(found.splitlines())
    entries: dict[str, str] = {}
    for sha in commits:
        lines = []
        for path in TEMPLATE_PATHS:
            fields = next(answers).split()
            if len(fields) == 2 and fields[1] in ("blob", "tree"):
                mode = "040000" if fields[1] == "tree" else "100644"
                lines.append(f"{mode} {fields[1]} {fields[0]}\t{path}")
        entries[sha] = "\n".join(sorted(lines, key=lambda e: e.split("\t")[1]))
    distinct = sorted(set(entries.values()) - {""})
    made = _git(
        "--git-dir",
        str(bare),
        "mktree",
        "--batch",
        stdin=("\n\n".join(distinct) + "\n").encode(),
    ).split()
    tree_of = dict(zip(distinct, made, strict=True))
    return {sha: tree_of[entry] if entry else _EMPTY_TREE for sha, entry in entries.items()}


def _commit_object(tree: str, parents: Sequence[str], date: str, message: str) -> bytes:
    lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
    lines += [f"author {IDENTITY_NAME} <{IDENTITY_EMAIL}> {date}"]
    lines += [f"committer {IDENTITY_NAME} <{IDENTITY_EMAIL}> {date}"]
    return ("\n".join(lines) + "\n\n" + message).encode()


def _write_commits(bare: Path, objects: dict[str, bytes]) -> None:
    """Store commit objects whose hashes were computed here, in one ``hash-object`` call."""
    with tempfile.TemporaryDirectory(prefix="segment-source-commits.") as tmp:
        paths = []
        for sha, body in objects.items():
            path = Path(tmp) / sha
            path.write_bytes(body)
            paths.append(str(path))
        written = _git(
            "--git-dir",
            str(bare),
            "hash-object",
            "-t",
            "commit",
            "-w",
            "--stdin-paths",
            stdin="\n".join(paths).encode(),
        ).split()
    if written != list(objects):
        raise RuntimeError("git stored the template history under other hashes than computed")


def _mirror(source: Path, bare: Path, tips: Sequence[str]) -> dict[str, str]:
    """Write the template-only mirror of the history behind ``tips``; return source -> mirror."""
    history = _history(source, tips)
    trees = _template_trees(source, bare, [sha for sha, _, _ in history])
    # The hashes are computed here and the objects written in one call: a subprocess per
    # commit would cost a second or more on a history of a few hundred commits.
    mirror: dict[str, str] = {}
    objects: dict[str, bytes] = {}
    for sha, parents, date in history:
        body = _commit_object(
            trees[sha],
            [mirror[p] for p in parents],
            date,
            f"segment-source template\n\nsource {sha}\n",
        )
        digest = hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()
        mirror[sha] = digest
        objects[digest] = body
    _write_commits(bare, objects)
    return mirror


def _working_date(source: Path, in_repo: bool) -> str:
    if in_repo:
        fields = _git("log", "-1", "--format=%ct %ci", "HEAD", cwd=source).split()
        return f"{fields[0]} {fields[-1]}"
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", _FALLBACK_EPOCH))
    return f"{epoch} +0000"


def build_bundle(source: Path, version: str, out: Path) -> list[str]:
    """Write the template history of ``source`` into the git bundle ``out``.

    Args:
        source: the generator's source tree (a git checkout, or an unpacked sdist).
        version: the version being built (named in the build commit's message when the
            working tree differs from ``HEAD``).
        out: the bundle file to write (replaced if it exists).

    Returns:
        The bundle's refs: the release tags, oldest version first, then ``refs/heads/build``
        and ``refs/builds/v<version>``.
    """
    source = source.resolve()
    in_repo = _is_repo_root(source)
    with tempfile.TemporaryDirectory(prefix="segment-source-bundle.") as tmp:
        bare = Path(tmp) / "template.git"
        _git("init", "--quiet", "--bare", str(bare))
        refs: dict[str, str] = {}
        head_mirror = None
        head = None
        if in_repo:
            objects = Path(
                _git(
                    "rev-parse", "--path-format=absolute", "--git-path", "objects", cwd=source
                ).strip()
            )
            # Borrow the source's objects instead of copying them; `bundle create` packs
            # what it needs.
            (bare / "objects" / "info" / "alternates").write_text(f"{objects}\n", encoding="utf-8")
            releases = release_commits(source)
            head = _git("rev-parse", "HEAD", cwd=source).strip()
            mirror = _mirror(source, bare, [head, *releases.values()])
            refs = {f"refs/tags/{tag}": mirror[sha] for tag, sha in releases.items()}
            head_mirror = mirror[head]
        tree = _working_tree(source, bare, working_files(source, in_repo))
        if (
            head_mirror is not None
            and _git("rev-parse", f"{head_mirror}^{{tree}}", cwd=bare).strip() == tree
        ):
            refs[BUILD_REF] = head_mirror
        else:
            message = f"segment-source template v{version}\n\n"
            message += (
                f"source {head} with uncommitted changes\n" if head else "source: no git checkout\n"
            )
            body = _commit_object(
                tree, [head_mirror] if head_mirror else [], _working_date(source, in_repo), message
            )
            digest = hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()
            _write_commits(bare, {digest: body})
            refs[BUILD_REF] = digest
        refs[f"{VERSION_REFS}v{version}"] = refs[BUILD_REF]
        for ref, commit in refs.items():
            _git("--git-dir", str(bare), "update-ref", ref, commit)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        _git("--git-dir", str(bare), "bundle", "create", "--quiet", str(partial), *refs)
        os.replace(partial, out)
    return list(refs)
