"""Second environments for tests that install wheels or generated projects.

A test run may live in a venv, a user install or the base interpreter. A child venv made
with ``system_site_packages=True`` would see the *base* interpreter's packages, which in a
venv are not the ones the tests run with. Instead the child gets a ``.pth`` file that adds
the running interpreter's own site directories (with ``site.addsitedir``, so their own
``.pth`` files, such as editable installs, work too). The child's own site-packages still
come first, so a wheel installed into it wins over the checkout.
"""

from __future__ import annotations

import site
import sys
import sysconfig
import venv
from pathlib import Path


def running_site_dirs() -> list[str]:
    """The site directories whose packages the running interpreter imports, in order."""
    paths = sysconfig.get_paths()
    candidates = [paths["purelib"], paths["platlib"], *site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        candidates.append(site.getusersitepackages())
    seen: list[str] = []
    for candidate in candidates:
        if Path(candidate).is_dir() and candidate not in seen:
            seen.append(candidate)
    return seen


def make_venv(target: Path | str, *, with_pip: bool = False) -> Path:
    """Create a venv at ``target`` that inherits the running interpreter's packages.

    Returns the venv's ``bin`` directory.
    """
    target = Path(target)
    venv.EnvBuilder(with_pip=with_pip, clear=True).create(target)
    purelib = Path(
        sysconfig.get_path("purelib", vars={"base": str(target), "platbase": str(target)})
    )
    lines = [f"import site; site.addsitedir({d!r})" for d in running_site_dirs()]
    (purelib / "_inherit_test_env.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target / ("Scripts" if sys.platform == "win32" else "bin")
