"""Where copier gets the template: a public URL, served offline from the bundled history.

Every project records ``_src_path: TEMPLATE_URL`` and ``_commit: v<version>``. While the
generator runs, git rewrites that URL to the git bundle shipped in the package
(``url.<bundle>.insteadOf``, copier-notes §2.4), so ``new`` and ``update`` never need the
network. Outside the generator, plain ``copier update`` fetches the same tags from the URL
(or from any clone of it that a user maps there with their own ``insteadOf``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from pathlib import Path

from ._about import __version__
from ._bundle import RELEASE_TAG, TEMPLATE_PATHS, build_bundle
from .errors import GeneratorError

#: The public repository of the template; it holds the same tags as the bundle. Pushing
#: the bundle's tags there (``git push <TEMPLATE_URL> 'refs/tags/*'`` from a clone of the
#: bundle) is part of a release.
TEMPLATE_URL = "https://github.com/segment-source-generator/segment-source-template.git"

BUNDLE_NAME = "_template.bundle"


def template_ref(version: str = __version__) -> str:
    """The tag of the template at ``version`` (the package version)."""
    return f"v{version}"


_REINSTALL = (
    "reinstall segment-source from a release wheel or sdist "
    "(pip install --force-reinstall segment-source-generator)"
)


@cache
def bundle_path() -> Path:
    """Return the template history bundle: the packaged one, or one built from the checkout.

    A source checkout (tests, editable installs) has no built bundle; it gets one made from
    the repository's release tags plus the working tree (as ``v<version>``), once per
    process, in a temporary directory removed at exit.

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
            "run segment-source from a git clone with its tags, or install a release",
        ) from None
    return out


@cache
def bundled_versions() -> tuple[str, ...]:
    """The template tags the bundle carries (``v0.1.0``, ...), in the bundle's order.

    Raises:
        GeneratorError: the bundle is missing or unreadable.
    """
    bundle = bundle_path()
    done = subprocess.run(
        ["git", "bundle", "list-heads", str(bundle)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise GeneratorError(
            f"this segment-source's template history {bundle} is unreadable: {done.stderr.strip()}",
            _REINSTALL,
        )
    refs = (line.split()[-1] for line in done.stdout.splitlines() if line.strip())
    return tuple(ref.removeprefix("refs/tags/") for ref in refs if ref.startswith("refs/tags/"))


def releases() -> list[str]:
    """The release tags among :func:`bundled_versions` (no development builds)."""
    return [tag for tag in bundled_versions() if RELEASE_TAG.match(tag)]


def redirect_env(bundle: Path, cache_dir: Path) -> dict[str, str]:
    """The environment that points git's clones of ``TEMPLATE_URL`` at ``bundle``.

    Appends one ``GIT_CONFIG_KEY_n``/``VALUE_n`` pair after any the user already set
    (git >= 2.31), and gives copier a private mirror cache so the user's
    ``~/.cache/copier`` never holds a bundle's content under the public URL's key.
    """
    count = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
    return {
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": f"url.{bundle}.insteadOf",
        f"GIT_CONFIG_VALUE_{count}": TEMPLATE_URL,
        "COPIER_CACHE_DIR": str(cache_dir),
    }


@contextmanager
def offline_template() -> Iterator[None]:
    """Serve ``TEMPLATE_URL`` from the bundle to every git command copier runs inside."""
    cache_dir = Path(tempfile.mkdtemp(prefix="segment-source-copier-cache."))
    env = redirect_env(bundle_path(), cache_dir)
    saved = {key: os.environ.get(key) for key in env}
    # copier reads COPIER_CACHE_DIR from os.environ; its git commands run through plumbum,
    # which copied os.environ when it was imported, so set both (copier-notes gotcha 7).
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
        shutil.rmtree(cache_dir, ignore_errors=True)
