"""Generated projects for the ``check`` and ``docs`` tests: one pristine render per region
set per session, copied for each test that breaks or edits it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from generator import generate

ANSWERS = {
    "integration_name": "Acme Mail",
    "description": "Email for teams.",
    "website": "https://acme.example",
    "categories": ["Email Marketing"],
    "support_email": "support@acme.example",
}
PACKAGE = "acme_mail_source"
_pristine: dict[tuple[str, ...], Path] = {}


def pristine(base: Path, regions: tuple[str, ...]) -> Path:
    """A project generated once per region set (a git repository with one commit)."""
    if regions not in _pristine:
        dst = base / ("pristine-" + "-".join(regions))
        generate(dst, {**ANSWERS, "regions": list(regions)})
        _pristine[regions] = dst
    return _pristine[regions]


def copy(source: Path, dst: Path) -> Path:
    shutil.copytree(source, dst)
    return dst


def git(project: Path, *args: str) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    done = subprocess.run(
        ["git", *identity, *args], cwd=project, capture_output=True, text=True, check=True
    )
    return done.stdout


def commit(project: Path, message: str) -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", message)


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace text in a file, failing loudly when the text is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
