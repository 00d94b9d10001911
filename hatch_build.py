"""Build hook: put the template's release history into the package as a git bundle.

Every wheel carries ``generator/_template.bundle`` (see ``generator/_bundle.py``): one
deterministic template-only commit per release tag, plus this build as ``v<version>``.
An sdist carries the bundle too, so a wheel built from it (no git there) reuses it.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE = "generator/_template.bundle"


def _load_bundle_module(root: Path) -> Any:
    # Loaded by path: the package itself is not importable while it is being built.
    spec = importlib.util.spec_from_file_location(
        "_segment_source_bundle", root / "generator" / "_bundle.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TemplateBundleHook(BuildHookInterface):  # type: ignore[type-arg]
    """Build ``generator/_template.bundle`` and force-include it."""

    PLUGIN_NAME = "template-bundle"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            return  # an editable install builds the bundle on the fly from the checkout
        root = Path(self.root)
        self._tmp = Path(tempfile.mkdtemp(prefix="segment-source-build."))
        out = self._tmp / "_template.bundle"
        prebuilt = root / BUNDLE
        bundle = _load_bundle_module(root)
        if bundle._is_repo_root(root) or not prebuilt.is_file():
            tags = bundle.build_bundle(root, self.metadata.version, out)
            self.app.display_info(f"template bundle: {', '.join(tags)}")
        else:  # an unpacked sdist: the bundle was built from git when the sdist was made
            shutil.copy2(prebuilt, out)
        build_data["force_include"][str(out)] = BUNDLE

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
