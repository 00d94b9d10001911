"""Where the copier template lives: the checkout, or the copy inside the wheel."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path


@cache
def template_root() -> Path:
    """Return the directory holding ``copier.yml``, ``template/`` and ``docs_templates/``.

    A wheel carries them under ``generator/_template``; a source checkout (or an editable
    install) has them at the repository root, next to the package.
    """
    packaged = Path(str(files("generator"))) / "_template"
    if (packaged / "copier.yml").is_file():
        return packaged
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "copier.yml").is_file():
        return checkout
    raise FileNotFoundError(f"the copier template is missing from {packaged} and {checkout}")
