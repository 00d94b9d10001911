"""The package version, which is also the template version (``v<version>`` in the bundle).

``generator/_version.py`` is written by hatch-vcs from the git tags when the package is
built or installed (editable installs included) and is not committed. A checkout that was
never built falls back to the installed metadata, then to ``0.0.0.dev0``.
"""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - a checkout that was never built or installed
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("segment-source-generator")
    except PackageNotFoundError:
        __version__ = "0.0.0.dev0"

__all__ = ["__version__"]
