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
import subprocess
from dataclasses import dataclass

from .._project import Project
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
_FAKE_WORDS = ("test", "example", "fake", "dummy", "sample", "placeholder", "change", "your", "xxxx", "redacted", "secret", "key")


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


def mask(value: str) -> str:
    """Show enough to find the key, never the key: ``ab…(32 characters)``."""
    return f"{value[:2]}…({len(value)} characters)"


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
        return f"{self.where}: {mask(self.key)}"


def _git(project: Project, *args: str) -> str | None:
    done = subprocess.run(["git", *args], cwd=project.root, capture_output=True, text=True, errors="replace", check=False)
    return done.stdout if done.returncode == 0 else None


def _tracked(project: Project, files: list[str]) -> list[Leak]:
    leaks = []
    for name in files:
        try:
            text = (project.root / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # binary or gone
        for number, line in enumerate(text.splitlines(), 1):
            leaks += [Leak(f"{name}:{number}", key) for key in keys_in(line)]
    return leaks


def _history(project: Project) -> list[Leak]:
    """Keys added by any commit of any ref (``git log -p --all``, added lines only)."""
    log = _git(project, "log", "--all", "-p", "--no-color", "--no-ext-diff", "-U0", "--format=commit %h")
    leaks: dict[str, Leak] = {}
    commit = path = ""
    for line in (log or "").splitlines():
        if line.startswith("commit "):
            commit = line.split()[1]
        elif line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else line[4:]
        elif line.startswith("+"):
            for key in keys_in(line[1:]):
                leaks.setdefault(key, Leak(f"commit {commit} {path}", key))  # the first commit found
    return list(leaks.values())


def check(project: Project) -> list[Item]:
    """``secrets.files`` (tracked files) and ``secrets.history`` (every commit)."""
    rotate = "rotate the key now (Segment > the source > Settings > API Keys): it is public to everyone with the repository"
    if not (project.root / ".git").exists() or _git(project, "rev-parse", "--git-dir") is None:
        on_disk = [p.relative_to(project.root).as_posix() for p in project.root.rglob("*")
                   if p.is_file() and not {".git", ".venv", "__pycache__", "site"} & set(p.relative_to(project.root).parts)]
        leaks = _tracked(project, on_disk)
        first = (red("secrets.files", f"write key(s) in {len(leaks)} place(s)", f"{rotate}; read it from SEGMENT_WRITE_KEY instead",
                     [leak.shown() for leak in leaks])
                 if leaks else green("secrets.files", "no write key in the project's files"))
        return [first, yellow("secrets.history", "not a git repository, so there is no history to check",
                              "put the project under git (`git init`) before publishing it")]
    files = (_git(project, "ls-files", "-z") or "").split("\0")
    leaks = _tracked(project, [f for f in files if f])
    items = [
        red("secrets.files", f"write key(s) in {len(leaks)} tracked place(s)",
            f"{rotate}; read it from SEGMENT_WRITE_KEY and keep it in the ignored .env", [leak.shown() for leak in leaks])
        if leaks else green("secrets.files", f"no write key in the {len([f for f in files if f])} tracked files")
    ]
    history = _history(project)
    items.append(
        red("secrets.history", f"write key(s) in the git history ({len(history)})",
            f"{rotate}; removing the line later does not remove it from history (rewrite it with git filter-repo before pushing)",
            [leak.shown() for leak in history])
        if history else green("secrets.history", "no write key in any commit")
    )
    return items
