"""Write keys committed to the project: in its tracked files and in its git history.

A value counts as a key when it is assigned to a write-key name (``SEGMENT_WRITE_KEY=``,
``write_key = "..."``, ``"writeKey": "..."``, ``--write-key ...``) or sent as a literal
``Basic`` credential, and looks real: long, letters and digits, and no word such as
"test" or "example" that marks a fake. The report shows a masked form only.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from .. import _git, _paths
from .._project import Project
from .._write_key import mask
from ..errors import GeneratorError
from ._report import Item, green, red, yellow

_ASSIGNED_RE = re.compile(
    r"""(?ix)
    (?:write[_-]?key|--write-key)      # SEGMENT_WRITE_KEY, write_key, writeKey, --write-key
    ["']?\s*(?::|=|\s)\s*              # =, :, or a space after the flag
    (?:[A-Za-z_][\w.]*\()?             # an optional call such as os.getenv( or Client(
    ["']?(?P<value>[A-Za-z0-9_\-]{16,})
    """
)
_BASIC_RE = re.compile(r"Basic\s+(?P<value>[A-Za-z0-9+/]{20,}={0,2})")
_MAX_LINE = 64 * 1024  # a key sits on a line of code, not in a minified blob
_GIT_HINT = "fix git in the project (run the command above to see why it fails), then check again"
_FAKE_WORDS = (
    "test",
    "example",
    "fake",
    "dummy",
    "sample",
    "placeholder",
    "change",
    "your",
    "xxxx",
    "redacted",
    "secret",
    "key",
)


def looks_real(value: str) -> bool:
    """Tell whether a value could be a real write key (Segment's are 32 letters and digits)."""
    low = value.lower()
    return (
        len(value) >= 16
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and len(set(value)) >= 8
        and not any(word in low for word in _FAKE_WORDS)
    )


def keys_in(line: str) -> list[str]:
    """The real-looking write keys in one line of text."""
    found = [m["value"] for m in _ASSIGNED_RE.finditer(line) if looks_real(m["value"])]
    for match in _BASIC_RE.finditer(line):
        try:
            decoded = base64.b64decode(match["value"], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue
        if decoded.endswith(":") and looks_real(decoded[:-1]):
            found.append(decoded[:-1])
    return found


@dataclass(frozen=True)
class Leak:
    where: str  # "path:line" or "commit abc1234 path"
    key: str

    def shown(self) -> str:
        return f"{self.where}: {mask(self.key)} ({len(self.key)} characters)"


def _tracked(project: Project, files: list[str]) -> tuple[list[Leak], list[str]]:
    """Leaks in the given files, and the files that could not be scanned (with why).

    Symlinks are skipped (git stores the link, not its target) and so is what is not a
    small regular text file: a FIFO would hang the read, a link to ``/dev/zero`` or a
    290 MB file would take minutes and gigabytes.
    """
    leaks: list[Leak] = []
    unscanned: list[str] = []
    for name in files:
        path = project.root / name
        if path.is_symlink() or not _paths.within(project.root, path):
            continue
        try:
            text = _paths.read_text(path, name)
        except FileNotFoundError:
            continue  # deleted but still tracked
        except GeneratorError as exc:
            if "binary" not in exc.message and "UTF-8" not in exc.message:
                unscanned.append(exc.message)
            continue
        for number, line in enumerate(text.splitlines(), 1):
            leaks += [Leak(f"{name}:{number}", key) for key in keys_in(line[:_MAX_LINE])]
    return leaks, unscanned


def _lines(stream: IO[bytes]) -> Iterator[str]:
    """Lines of a byte stream, each cut to :data:`_MAX_LINE`, never holding more in memory."""
    while chunk := stream.readline(_MAX_LINE):
        line = chunk
        while not chunk.endswith(b"\n") and (chunk := stream.readline(_MAX_LINE)):
            pass  # the rest of an over-long line: skipped
        yield line.decode("utf-8", errors="replace").rstrip("\n")


def _large_blob_paths(project: Project) -> list[str]:
    """Paths of every blob over the read cap in any commit (sizes read, never the blobs)."""
    objects = _git.git(project.root, "rev-list", "--objects", "--all", hint=_GIT_HINT)
    sizes = _git.git(
        project.root,
        "cat-file",
        "--batch-check=%(objecttype) %(objectsize) %(rest)",
        stdin=objects,
        hint=_GIT_HINT,
    )
    large = set()
    for line in sizes.splitlines():
        kind, size, name = [*line.split(" ", 2), "", ""][:3]
        if kind == "blob" and size.isdigit() and int(size) > _paths.MAX_TEXT_BYTES and name:
            large.add(name)
    return sorted(large)


def _history(project: Project) -> list[Leak]:
    """Keys added by any commit of any ref (``git log -p --all``, added lines only).

    The log is streamed line by line, and files over the read cap are left out: a history
    holding a huge file neither sits in memory nor takes minutes.
    """
    leaks: dict[str, Leak] = {}
    commit = path = ""
    # Paths that ever held a blob over the read cap are left out, as _tracked skips them on
    # disk: git would load each whole blob just to call it binary.
    excluded = [f":(exclude,literal){name}" for name in _large_blob_paths(project)]
    args = [
        "log",
        "--all",
        "-p",
        "--no-color",
        "--no-ext-diff",
        "-U0",
        "--format=commit %h",
        "--",
        ".",
        *excluded,
    ]
    with _git.stream(project.root, *args, hint=_GIT_HINT) as output:
        for line in _lines(output):
            if line.startswith("commit "):
                commit = line.split()[1]
            elif line.startswith("+++ "):
                path = line[6:] if line.startswith("+++ b/") else line[4:]
            elif line.startswith("+"):
                for key in keys_in(line[1:]):
                    leaks.setdefault(
                        key, Leak(f"commit {commit} {path}", key)
                    )  # the first commit found
    return list(leaks.values())


def _files_item(
    leaks: list[Leak], unscanned: list[str], where: str, fix: str, scanned: str
) -> Item:
    if leaks:
        return red(
            "secrets.files",
            f"write key(s) in {len(leaks)} {where}",
            fix,
            [leak.shown() for leak in leaks],
        )
    if unscanned:
        return yellow(
            "secrets.files",
            f"no write key found, but {len(unscanned)} file(s) were not scanned",
            "look into them by hand, or remove them from the project",
            unscanned,
        )
    return green("secrets.files", scanned)


def check(project: Project) -> list[Item]:
    """``secrets.files`` (tracked files) and ``secrets.history`` (every commit)."""
    rotate = (
        "rotate the key now (Segment > the source > Settings > API Keys):"
        " it is public to everyone with the repository"
    )
    if not (project.root / ".git").exists():
        on_disk = [
            p.relative_to(project.root).as_posix()
            for p in project.root.rglob("*")
            if p.is_file()
            and not {".git", ".venv", "__pycache__", "site"}
            & set(p.relative_to(project.root).parts)
        ]
        leaks, unscanned = _tracked(project, on_disk)
        first = _files_item(
            leaks,
            unscanned,
            "place(s)",
            f"{rotate}; read it from SEGMENT_WRITE_KEY instead",
            "no write key in the project's files",
        )
        return [
            first,
            yellow(
                "secrets.history",
                "not a git repository, so there is no history to check",
                "put the project under git (`git init`) before publishing it",
            ),
        ]
    try:
        listed = _git.git(project.root, "ls-files", "-z", hint=_GIT_HINT)
    except GeneratorError as exc:
        # Unscanned is not clean: a key could be anywhere, so the report says why instead.
        return [
            red("secrets.files", f"the tracked files were not scanned: {exc.message}", exc.hint),
            red("secrets.history", f"the git history was not scanned: {exc.message}", exc.hint),
        ]
    files = [f for f in listed.split("\0") if f]
    leaks, unscanned = _tracked(project, files)
    items = [
        _files_item(
            leaks,
            unscanned,
            "tracked place(s)",
            f"{rotate}; read it from SEGMENT_WRITE_KEY and keep it in the ignored .env",
            f"no write key in the {len(files)} tracked files",
        )
    ]
    try:
        history = _history(project)
    except GeneratorError as exc:
        items.append(
            red("secrets.history", f"the git history was not scanned: {exc.message}", exc.hint)
        )
        return items
    items.append(
        red(
            "secrets.history",
            f"write key(s) in the git history ({len(history)})",
            f"{rotate}; removing the line later does not remove it from history"
            " (rewrite it with git filter-repo before pushing)",
            [leak.shown() for leak in history],
        )
        if history
        else green("secrets.history", "no write key in any commit")
    )
    return items
