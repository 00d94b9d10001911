"""Where copier gets the template: this repository's URL, served offline from the bundled history.

A project records ``_src_path: TEMPLATE_URL`` (this repository; ``copier.yml`` sits at its
root) and ``_commit`` in the form ``git describe --tags`` gives in a clone of it:
``v0.1.0`` for a release build, ``v0.1.0-3-g5a8c37669ab1`` for a development build three
commits later (a bare hash before the first release), so plain ``copier update`` resolves
it in any clone. While the generator runs, git rewrites the URL to a scratch repository
filled from the bundle in the package (``url.<path>.insteadOf``), so
``new`` and ``update`` never need the network.

The bundle (``_bundle.py``) mirrors the whole source history with template-only commits,
so :class:`History` finds the template of any build a user can have installed, from the
hash in what it recorded (``+g<hash>`` of a PEP 440 development version, ``-g<hash>`` of a
describe string, or a bare hash), and orders two builds by ancestry.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from packaging.version import InvalidVersion, Version

from ._about import __version__
from ._bundle import BUILD_REF, RELEASE_TAG, SOURCE_LINE, TEMPLATE_PATHS, VERSION_REFS, build_bundle
from .errors import GeneratorError

#: This repository, where it will be published; ``copier.yml`` at its root makes it the
#: template. Nothing serves it yet: the README says how to map a clone onto it.
TEMPLATE_URL = "https://github.com/segment-source-generator/segment-source-generator.git"
#: What projects made before 0.1.0 record; ``update`` moves them to :data:`TEMPLATE_URL`.
LEGACY_URLS = ("https://github.com/segment-source-generator/segment-source-template.git",)

BUNDLE_NAME = "_template.bundle"
_HASH = re.compile(r"(?:^|[+-]g)([0-9a-f]{7,40})(\.d\d{8})?$")
_REINSTALL = (
    "reinstall segment-source from a wheel or sdist built with its git history "
    "(pip install --force-reinstall segment-source-generator)"
)

#: How a project's template compares with this build's.
Relation = Literal["same", "older", "newer"]


def template_ref(version: str = __version__) -> str:
    """The tag copier is asked for while rendering this build's template (``v<version>``).

    A PEP 440 name, so that copier's own version check orders it; the answers file then
    records :meth:`History.describe` instead (see :func:`record_commit`).
    """
    return f"v{version}"


def _run_git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise GeneratorError(
            "this segment-source's template history is unreadable: "
            f"git {args[0]}: {done.stderr.strip()}",
            _REINSTALL,
        )
    return done.stdout


@cache
def bundle_path() -> Path:
    """Return the template history bundle: the packaged one, or one built from the checkout.

    A source checkout (tests, editable installs) has no built bundle; it gets one made from
    the repository's history plus the working tree, once per process, in a temporary
    directory removed at exit.

    Raises:
        GeneratorError: an installed package without its bundle (a wheel built without the
            build hook, or a file removed since), or a checkout git cannot read.
    """
    packaged = Path(str(files("generator"))) / BUNDLE_NAME
    if packaged.is_file():
        return packaged
    checkout = Path(__file__).resolve().parent.parent
    if not all((checkout / name).exists() for name in TEMPLATE_PATHS):
        raise GeneratorError(
            f"this segment-source has no template history: {packaged} is missing", _REINSTALL
        )
    tmp = Path(tempfile.mkdtemp(prefix="segment-source-template."))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    out = tmp / BUNDLE_NAME
    try:
        build_bundle(checkout, __version__, out)
    except (OSError, RuntimeError) as exc:
        raise GeneratorError(
            f"could not build the template history from the checkout {checkout}: {exc}",
            "run segment-source from a git clone, or install a wheel",
        ) from None
    return out


@dataclass(frozen=True)
class Found:
    """The template a project's ``_commit`` names, as found in the history."""

    commit: str
    approximate: bool  # a build from a modified checkout: its committed template stands in


class History:
    """The bundle's template history, unpacked once into a scratch repository."""

    def __init__(self, bundle: Path) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="segment-source-history."))
        atexit.register(shutil.rmtree, self._tmp, ignore_errors=True)
        self.repo = self._tmp / "history.git"
        _run_git("init", "--quiet", "--bare", str(self.repo))
        _run_git("fetch", "--quiet", "--no-tags", str(bundle), "refs/*:refs/*", cwd=self.repo)
        refs = _run_git("for-each-ref", "--format=%(objectname) %(refname)", cwd=self.repo)
        self.releases: dict[str, str] = {}
        self.build = ""
        built_as = set()
        for line in refs.splitlines():
            sha, ref = line.split()
            if ref == BUILD_REF:
                self.build = sha
            elif ref.startswith(VERSION_REFS):
                built_as.add(ref.removeprefix(VERSION_REFS))
            elif ref.startswith("refs/tags/") and RELEASE_TAG.match(ref[10:]):
                self.releases[ref[10:]] = sha
        if not self.build or template_ref() not in built_as:
            raise GeneratorError(
                f"this segment-source ({__version__}) does not carry its own template "
                f"{template_ref()} (its history {bundle} was built for "
                f"{', '.join(sorted(built_as)) or 'another build'})",
                _REINSTALL,
            )
        log = _run_git(
            "log", "--format=%H%x00%B%x01", BUILD_REF, *self.releases.values(), cwd=self.repo
        )
        self.by_source: dict[str, str] = {}
        self.dirty: set[str] = set()
        for entry in log.split("\x01"):
            if "\0" not in entry:
                continue
            sha, body = entry.strip().split("\0", 1)
            match = SOURCE_LINE.search(body)
            if match and match.group(2):
                self.dirty.add(sha)
            elif match:
                self.by_source[match.group(1)] = sha

    def find(self, recorded: str) -> Found | None:
        """The template a project's ``_commit`` names, or None when no build of ours made it."""
        if recorded in self.releases:
            return Found(self.releases[recorded], False)
        match = _HASH.search(recorded)
        if match is None:
            return None
        hits = {m for s, m in self.by_source.items() if s.startswith(match.group(1))}
        if len(hits) != 1:
            return None
        return Found(hits.pop(), bool(match.group(2)))

    @staticmethod
    def version_named(recorded: str) -> Version | None:
        """The version a ``_commit`` string states, when it states one (a tag, a describe form)."""
        described = re.fullmatch(r"(v[^-]+)-(\d+)-g[0-9a-f]{7,40}", recorded)
        try:
            if described is None:
                return Version(recorded.removeprefix("v")) if recorded.startswith("v") else None
            return _next_dev(Version(described.group(1)[1:]), int(described.group(2)))
        except InvalidVersion:
            return None

    def relation(self, project: str) -> Relation:
        """Compare the project's template commit with this build's (``same`` when the trees are)."""
        build = self.build
        if self._tree(project) == self._tree(build):
            return "same"
        is_older = subprocess.run(
            ["git", "merge-base", "--is-ancestor", build, project],
            cwd=self.repo,
            capture_output=True,
            check=False,
        )
        return "newer" if is_older.returncode == 0 else "older"

    def _tree(self, commit: str) -> str:
        return _run_git("rev-parse", f"{commit}^{{tree}}", cwd=self.repo).strip()

    def describe(self, commit: str) -> str:
        """What a project made from ``commit`` records as ``_commit`` (git's describe form).

        The release tag at that commit, else ``<tag>-<distance>-g<source hash>``, else the
        source hash alone, exactly what ``git describe --tags --always`` gives in a clone of
        this repository (12 hex digits), so plain copier resolves it there. A build from a
        modified checkout has no commit to name: it records its version.
        """
        body = _run_git("log", "-1", "--format=%B", commit, cwd=self.repo)
        match = SOURCE_LINE.search(body)
        if match is None or match.group(2):
            return template_ref()
        for tag, sha in self.releases.items():
            if sha == commit:
                return tag
        short = match.group(1)[:12]
        nearest, distance = self._nearest_release(commit)
        return f"{nearest}-{distance}-g{short}" if nearest else short

    def _nearest_release(self, commit: str) -> tuple[str | None, int]:
        done = subprocess.run(
            ["git", "describe", "--tags", "--long", "--match=v*", commit],
            cwd=self.repo,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return None, 0
        tag, distance, _ = done.stdout.strip().rsplit("-", 2)
        return tag, int(distance)

    def version(self, commit: str) -> Version:
        """The PEP 440 version of the build at ``commit``, as hatch-vcs computes it."""
        if commit in self.dirty:
            return Version(__version__)
        tag, distance = self._nearest_release(commit)
        if tag is None:
            count = int(_run_git("rev-list", "--count", commit, cwd=self.repo))
            return Version(f"0.0.1.dev{count}")
        return _next_dev(Version(tag.removeprefix("v")), distance)


def _next_dev(base: Version, distance: int) -> Version:
    """hatch-vcs's "guess-next-dev": ``distance`` commits after ``base`` is the next patch's dev."""
    if distance == 0:
        return base
    release = list(base.release)
    release[-1] += 1
    return Version(".".join(map(str, release)) + f".dev{distance}")


@cache
def history() -> History:
    """This build's template history (unpacked once per process)."""
    return History(bundle_path())


def redirect_env(repo: Path, cache_dir: Path) -> dict[str, str]:
    """The environment that points git's clones of our URLs at ``repo``.

    Appends ``GIT_CONFIG_KEY_n``/``VALUE_n`` pairs after any the user already set
    (git >= 2.31), and gives copier a private mirror cache so the user's
    ``~/.cache/copier`` never holds our scratch content under the public URL's key.
    """
    count = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
    env = {"COPIER_CACHE_DIR": str(cache_dir)}
    for n, url in enumerate((TEMPLATE_URL, *LEGACY_URLS), start=count):
        env[f"GIT_CONFIG_KEY_{n}"] = f"url.{repo}.insteadOf"
        env[f"GIT_CONFIG_VALUE_{n}"] = url
    env["GIT_CONFIG_COUNT"] = str(count + 1 + len(LEGACY_URLS))
    return env


@contextmanager
def offline_template(tags: Mapping[str, str]) -> Iterator[None]:
    """Serve our URLs to every git command copier runs inside, with exactly ``tags``.

    Args:
        tags: tag name -> template commit of the history. Only these tags exist in the
            repository copier sees, so its own version check (dunamai reads the tags
            reachable from a checkout) compares just the two versions of an update.
    """
    found = history()
    scratch = Path(tempfile.mkdtemp(prefix="segment-source-copier."))
    try:
        repo = scratch / "template.git"
        _run_git("init", "--quiet", "--bare", str(repo))
        (repo / "objects" / "info" / "alternates").write_text(
            f"{found.repo / 'objects'}\n", encoding="utf-8"
        )
        for name, commit in tags.items():
            _run_git("update-ref", f"refs/tags/{name}", commit, cwd=repo)
        _run_git("update-ref", "refs/heads/main", found.build, cwd=repo)
        _run_git("symbolic-ref", "HEAD", "refs/heads/main", cwd=repo)
        env = redirect_env(repo, scratch / "copier-cache")
        saved = {key: os.environ.get(key) for key in env}
        # copier reads COPIER_CACHE_DIR from os.environ; its git commands run through plumbum,
        # which copied os.environ when it was imported, so set both.
        os.environ.update(env)
        try:
            from plumbum import local

            with local.env(**env):
                yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


_LINE = {
    "_commit": re.compile(r"^_commit: .*$", re.MULTILINE),
    "_src_path": re.compile(r"^_src_path: .*$", re.MULTILINE),
}


def record_commit(answers_file: Path, commit: str) -> None:
    """Make the answers file name this build's template as a clone of the repository would.

    copier writes the tag it was asked for (:func:`template_ref`); this replaces it with
    :meth:`History.describe`, and any legacy URL with :data:`TEMPLATE_URL`. Both values
    are plain YAML scalars (hex digits, ``v``, dots, dashes, ``+``, ``:`` and ``/``).
    """
    text = answers_file.read_text(encoding="utf-8")
    for key, value in (("_commit", history().describe(commit)), ("_src_path", TEMPLATE_URL)):
        text, n = _LINE[key].subn(f"{key}: {value}", text, count=1)
        if n != 1:
            raise GeneratorError(
                f"{answers_file} has no `{key}` line after copier wrote it",
                "report this as a bug: the answers file template changed",
            )
    answers_file.write_text(text, encoding="utf-8")
