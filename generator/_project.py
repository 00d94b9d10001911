"""A generated project on disk: its answers, its catalog entry and its package.

``check`` and ``docs`` both start here, so they agree on what a project is and on the
values the Segment page is rendered from (the catalog wins over the copier answers: it
is the file partners edit).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from . import _metadata, _paths, _segment
from ._answers import ANSWERS_FILE, read_answers_file
from .errors import GeneratorError

_FALLBACK_RE = re.compile(r"^ANONYMOUS_FALLBACK\s*=\s*[\"'](\w+)[\"']", re.MULTILINE)
DOCS_PAGE = "docs/segment-source.md"
_NOT_A_PROJECT_HINT = (
    "run it inside a project made by `segment-source new`, or pass that project's path "
    "(e.g. `segment-source check path/to/acme-mail-source`)"
)


def _load_yaml(path: Path, read: Any) -> Any:
    try:
        return read()
    except YAMLError as exc:
        raise GeneratorError(
            f"`{path}` is not valid YAML: {exc}", "fix the YAML, then run the command again"
        ) from None


@dataclass(frozen=True)
class Project:
    """A project made by ``segment-source new``."""

    root: Path
    answers: Mapping[str, Any]
    metadata: Mapping[str, Any]

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Project:
        """Read the project at ``path`` (default: the current directory).

        Raises:
            GeneratorError: ``path`` is not a generated project, or its YAML is broken.
        """
        root = Path(path if path is not None else ".").absolute()
        if not root.is_dir():
            raise GeneratorError(f"`{root}` is not a directory", _NOT_A_PROJECT_HINT)
        absent = [
            name
            for name in (ANSWERS_FILE, _metadata.METADATA_PATH.as_posix())
            if not (root / name).is_file()
        ]
        if absent:
            raise GeneratorError(
                f"`{root}` is not a segment-source project: it has no {' and no '.join(absent)}",
                _NOT_A_PROJECT_HINT,
            )
        answers = _load_yaml(root / ANSWERS_FILE, lambda: read_answers_file(root)) or {}
        metadata = _load_yaml(root / _metadata.METADATA_PATH, lambda: _metadata.read(root)) or {}
        for name, loaded in (
            (ANSWERS_FILE, answers),
            (_metadata.METADATA_PATH.as_posix(), metadata),
        ):
            if not isinstance(loaded, Mapping):
                raise GeneratorError(
                    f"`{root / name}` is not a YAML mapping",
                    "restore it from git (`git checkout -- FILE`)",
                )
        return cls(root, answers, metadata)

    def meta(self, key: str, answer_key: str | None = None) -> Any:
        """A catalog value, falling back to the copier answer when the catalog lacks it."""
        value = self.metadata.get(key)
        if value in (None, "") and answer_key is not None:
            return self.answers.get(answer_key)
        return value

    @property
    def slug(self) -> str:
        return str(self.meta("slug", "slug") or "")

    @property
    def regions(self) -> list[str]:
        """The region keys the catalog declares (in Segment's order)."""
        declared = self.metadata.get("regions")
        keys = (
            list(declared)
            if isinstance(declared, Mapping)
            else list(self.answers.get("regions") or [])
        )
        return [key for key in _segment.regions() if key in keys]

    @property
    def event_families(self) -> list[str]:
        """The Spec families the catalog declares that Segment's data knows (data order)."""
        declared = self.meta("event_families", "event_families") or []
        return [key for key in _segment.families() if key in list(declared)]

    @property
    def docs_page(self) -> Path:
        """The Segment page; ``catalog/metadata.yml`` may move it, never out of the project.

        Raises:
            UnsafePathError: the page path is absolute, or leads out by ``..`` or a symlink.
        """
        docs = self.metadata.get("docs")
        page = docs.get("page") if isinstance(docs, Mapping) else None
        return _paths.inside(
            self.root, str(page or DOCS_PAGE), f"{_metadata.METADATA_PATH.as_posix()} docs.page"
        )

    @cached_property
    def package_dir(self) -> Path | None:
        """``src/<package>``: the directory whose ``spec.py`` the template rendered."""
        found = sorted(
            p.parent for p in (self.root / "src").glob("*/spec.py") if _paths.within(self.root, p)
        )
        return found[0] if found else None

    def source_files(self) -> list[Path]:
        """The package's Python files (empty when there is no package)."""
        if self.package_dir is None:
            return []
        return sorted(
            p
            for p in self.package_dir.rglob("*.py")
            if "__pycache__" not in p.parts and _paths.is_regular(p) and _paths.within(self.root, p)
        )

    def docs_context(self) -> dict[str, Any]:
        """The values the Segment page template is rendered with."""
        return {
            "integration_name": str(self.meta("name", "integration_name") or ""),
            "slug": self.slug,
            "maintainer": str(
                self.meta("maintainer", "maintainer") or self.meta("name", "integration_name") or ""
            ),
            "support_email": str(self.meta("support_email", "support_email") or ""),
            "website": str(self.meta("website", "website") or ""),
            "regions": self.regions,
            "event_families": self.event_families,
            "anonymous_fallback": self.anonymous_fallback or "none",
            "lifecycle": str(self.meta("lifecycle", "lifecycle") or "beta"),
            "settings_page": self.settings_template is not None,
            "segment": _segment.data(),
        }

    @cached_property
    def anonymous_fallback(self) -> str | None:
        """The client's default for a call without a userId (``spec.ANONYMOUS_FALLBACK``).

        The code decides what the page says, so it is read from ``spec.py``; the copier
        answer only stands in for a project without a package.
        """
        spec = self.package_dir / "spec.py" if self.package_dir else None
        if spec is None or not _paths.is_regular(spec):
            answer = self.answers.get("anonymous_fallback")
            return str(answer) if answer else None
        found = _FALLBACK_RE.search(_paths.read_text(spec, "spec.py"))
        return found[1] if found else None

    @cached_property
    def settings_template(self) -> Path | None:
        """The [service] settings page's template (``src/<package>/**/settings*.html``), if any."""
        if self.package_dir is None:
            return None
        found = sorted(
            p
            for p in self.package_dir.rglob("settings*.html")
            if _paths.is_regular(p) and _paths.within(self.root, p)
        )
        return found[0] if found else None
