"""``segment-docs.patch``: the page (and the images it references) as a git commit.

The commit is made in a throwaway repository holding only the new files, so
``git format-patch --root`` gives a patch that ``git am`` applies to any checkout of
segment-docs' main: it only adds files under
``src/connections/sources/catalog/cloud-apps/<slug>/``. With a local clone of a fork,
the same commit is made on a new branch there; nothing is pushed.
"""

from __future__ import annotations

import posixpath
import re
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import _git, _metadata, _paths, _rules
from .._project import Project
from ..errors import GeneratorError, show

_IMAGE_RE = re.compile(
    r"!\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"\n]*\")?\s*\)|<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']",
    re.IGNORECASE,
)
_MAX_IMAGE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Change:
    """The files the pull request adds: segment-docs path -> bytes, and its message."""

    files: dict[str, bytes]
    subject: str
    body: str
    author: str  # "Name <email>"

    @property
    def page_path(self) -> str:
        return next(p for p in self.files if p.endswith("/index.md"))


def _images(project: Project, page: str, folder: str) -> dict[str, bytes]:
    """Local images the page references, at their place next to the page in segment-docs."""
    found: dict[str, bytes] = {}
    for match in _IMAGE_RE.finditer(page):
        ref = match[1] or match[2]
        if re.match(r"^[a-z][a-z0-9+.-]*:|^/|^#", ref, re.IGNORECASE):
            continue  # a URL, a site path or an anchor: nothing to add
        relative = posixpath.normpath(ref.split("#", 1)[0].split("?", 1)[0])
        if relative.startswith("../") or relative == "..":
            raise GeneratorError(
                f"the page references the image `{show(ref)}` outside its own folder",
                "keep the page's images in docs/ beside the page (e.g. docs/images/)",
            )
        source = _paths.inside(project.docs_page.parent, relative, "an image of the docs page")
        if not source.is_file():
            raise GeneratorError(
                f"the page references the image `{show(ref)}`, which does not exist",
                f"add it at {source.relative_to(project.root).as_posix()} or remove the reference",
            )
        if source.stat().st_size > _MAX_IMAGE_BYTES:
            raise GeneratorError(
                f"the image `{show(ref)}` is over {_MAX_IMAGE_BYTES // 1024 // 1024} MB",
                "make it smaller (Segment discourages images in source pages)",
            )
        found[f"{folder}/{relative}"] = source.read_bytes()
    return found


def change(project: Project) -> Change:
    """The commit that adds the project's page to segment-docs."""
    slug = _rules.slug(project.slug)
    path = _metadata.docs_path(slug)
    page = _paths.read_text(project.docs_page, "the docs page")
    files = {path: page.encode("utf-8"), **_images(project, page, posixpath.dirname(path))}
    name = " ".join(str(project.meta("name", "integration_name")).split())
    maintainer = " ".join(str(project.meta("maintainer", "maintainer") or name).split())
    email = str(project.meta("support_email", "support_email") or "")
    # An ident git accepts: no angle brackets in the name, no space in the address.
    author_name = re.sub(r"[<>]", "", maintainer)
    author_email = re.sub(r"[<>\s]", "", email)
    author = f"{author_name} <{author_email}>"
    return Change(
        files,
        f"Add the {name} source ({slug})",
        f"Adds {path}, the page of the {name} Cloud Event Source,\n"
        "written with segment-source-generator from the source's catalog entry.",
        author,
    )


def _commit(repo: Path, done: Change) -> None:
    for relative, data in done.files.items():
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    name, _, email = done.author.rpartition(" <")
    env = {
        "GIT_AUTHOR_NAME": name or "segment-source",
        "GIT_AUTHOR_EMAIL": email.rstrip(">") or "segment-source@localhost",
    }
    hint = "fix git, then run again"
    _git.git(repo, "add", "--", *done.files, hint=hint)
    _git.git(repo, "-c", "user.name=segment-source", "-c", "user.email=segment-source@localhost",
             "-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify",
             "-m", f"{done.subject}\n\n{done.body}", "--", *done.files,
             hint=hint, env=env)  # fmt: skip


def format_patch(done: Change) -> bytes:
    """The commit as a ``git format-patch`` mail (bytes, as git wrote it)."""
    with tempfile.TemporaryDirectory(prefix="segment-source-patch.") as tmp:
        repo = Path(tmp)
        _git.git(repo, "init", "--quiet", "--initial-branch=main")
        _commit(repo, done)
        return _git.git_bytes(repo, "format-patch", "--root", "--stdout", "HEAD",
                              hint="fix git, then run again")  # fmt: skip


@dataclass(frozen=True)
class Branch:
    """The branch made in a local segment-docs clone."""

    repo: Path
    name: str
    pr_command: str


def branch(done: Change, segment_docs: Path, slug: str) -> Branch:
    """Commit the page on a new branch of a local segment-docs clone (nothing pushed).

    Raises:
        GeneratorError: not a segment-docs clone, a dirty tree, the page already there,
            or the branch already exists.
    """
    repo = Path(segment_docs).absolute()
    hint = "pass a local clone of your segment-docs fork"
    if not (repo / "src" / "connections" / "sources" / "catalog").is_dir():
        raise GeneratorError(
            f"`{repo}` does not look like segment-docs (no src/connections/sources/catalog)", hint
        )
    if _git.git(repo, "status", "--porcelain", hint=hint).strip():
        raise GeneratorError(
            f"`{repo}` has uncommitted changes", "commit or stash them, then run again"
        )
    existing = [p for p in done.files if (repo / p).exists()]
    if existing:
        raise GeneratorError(
            f"`{repo}` already has {existing[0]}",
            "update that page by hand, or remove it on a branch of its own first",
        )
    name = f"{slug}/source"
    if _git.run(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}").returncode == 0:
        raise GeneratorError(
            f"`{repo}` already has a branch `{name}`",
            f"delete it (git branch -D {name}) or rename it",
        )
    _git.git(repo, "switch", "--quiet", "-c", name, hint=hint)
    _commit(repo, done)
    command = (
        f"cd {shlex.quote(str(repo))} && git push -u origin {shlex.quote(name)} && "
        f"gh pr create --repo segmentio/segment-docs --base develop --head {shlex.quote(name)} "
        f"--title {shlex.quote(done.subject)} --body {shlex.quote(done.body)}"
    )
    return Branch(repo, name, command)
