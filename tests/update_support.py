"""Real releases for the update tests: tag, build a wheel, install it into its own venv.

Each release is built once per session from a clone of this repository's HEAD (commit
before running!), into venvs that inherit the test run's packages (``tests/venvs.py``), so
copier and
friends come from the test environment and no index is needed. The template history is made here:

* v0.1.0: HEAD as it is;
* v0.2.0: README and client gain a mark on their first line, CONTRIBUTING.md and SUPPORT.md
  are added, and the ``maintainer`` answer becomes ``maintainer_company`` (the rename that
  the v0.2.0 migration in ``generator/_migrations.py`` handles);
* v0.3.0: a new question without a default, ``support_url``, another first-line mark,
  CONTRIBUTING.md moved to .github/CONTRIBUTING.md (and given a support line), and
  SUPPORT.md deleted.

The files renamed and deleted are ones this history adds itself, so changes to the real
template on other branches cannot break it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .venvs import make_venv

REPO = Path(__file__).resolve().parent.parent
VERSIONS = ("0.1.0", "0.2.0", "0.3.0")
IDENTITY = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}
ANSWERS = {
    "integration_name": "Acme Mail",
    "description": "Acme Mail sends email events.",
    "website": "https://acme.example",
    "categories": "Email Marketing",
    "support_email": "support@acme.example",
}


@dataclass(frozen=True)
class Release:
    version: str
    wheel: Path
    venv: Path

    @property
    def cli(self) -> str:
        return str(self.venv / "bin" / "segment-source")

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")


def env(**extra: str) -> dict[str, str]:
    """The test environment: a fixed git identity, no network for git, no user GIT_CONFIG_*."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_CONFIG_")}
    # Only local transports: a template fetch that escaped the bundle redirect fails loudly.
    return {
        **base,
        **IDENTITY,
        "GIT_ALLOW_PROTOCOL": "file",
        "https_proxy": "http://127.0.0.1:9",
        **extra,
    }


def run(
    *cmd: str,
    cwd: Path | None = None,
    check: bool = True,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        cmd,
        cwd=cwd,
        env=env(**(extra_env or {})),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"{cmd} exited {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
    return done


def git(cwd: Path, *args: str) -> str:
    return run("git", *args, cwd=cwd).stdout


def _edit(path: Path, pattern: str, replacement: str, *, count_at_least: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert n >= count_at_least, f"{pattern!r} not found in {path}"
    path.write_text(new, encoding="utf-8")


def _mark_first_line(path: Path, mark: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[0] += mark
    path.write_text("\n".join(lines), encoding="utf-8")


CLIENT = Path("template/src/{{package_name}}/client.py")
CONTRIBUTING = """# Contributing to the {{ integration_name }} source

Set up a virtual environment and install the project with its test extra.

Run `pytest` before sending a change.
"""


def _v2(repo: Path) -> None:
    _mark_first_line(repo / "template/README.md.jinja", " (template v2)")
    _mark_first_line(repo / CLIENT, " Template v2.")
    (repo / "template/CONTRIBUTING.md.jinja").write_text(CONTRIBUTING, encoding="utf-8")
    (repo / "template/SUPPORT.md.jinja").write_text(
        "# Getting help with the {{ integration_name }} source\n\nWrite to {{ support_email }}.\n",
        encoding="utf-8",
    )
    # The answer rename that generator/_migrations.py migrates. The templates keep reading
    # `maintainer`, now a computed alias of the new question (never asked, never saved), so
    # the rename does not depend on how each template spells its uses of the answer.
    _edit(repo / "copier.yml", r"^maintainer:", "maintainer_company:")
    with (repo / "copier.yml").open("a", encoding="utf-8") as stream:
        stream.write(
            '\nmaintainer:\n  type: str\n  when: false\n  default: "{{ maintainer_company }}"\n'
        )
    _edit(
        repo / "generator/_rules.py",
        r'^    "maintainer": maintainer,',
        '    "maintainer_company": maintainer,',
    )
    for path in (repo / "generator").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace('answers["maintainer"]', 'answers["maintainer_company"]'), encoding="utf-8"
        )


def _v3(repo: Path) -> None:
    _mark_first_line(repo / "template/README.md.jinja", " (template v3)")
    with (repo / "copier.yml").open("a", encoding="utf-8") as stream:
        stream.write("\nsupport_url:\n  type: str\n  help: Support page (https://...)\n")
    _edit(
        repo / "generator/_rules.py",
        r"^RULES: (.*)= \{\n",
        'RULES: \\1= {\n    "support_url": website,\n',
    )
    # A rename that also changes the file (found by content), and a deletion.
    git(repo, "mv", "template/CONTRIBUTING.md.jinja", "template/.github/CONTRIBUTING.md.jinja")
    with (repo / "template/.github/CONTRIBUTING.md.jinja").open("a", encoding="utf-8") as stream:
        stream.write("\nSupport: {{ support_url }}\n")
    git(repo, "rm", "--quiet", "template/SUPPORT.md.jinja")


CHANGES = {"0.2.0": _v2, "0.3.0": _v3}


def build_releases(root: Path) -> dict[str, Release]:
    """Tag, build and install every version of :data:`VERSIONS` under ``root``."""
    repo = root / "repo"
    run("git", "clone", "--quiet", "--no-tags", str(REPO), str(repo))
    releases = {}
    for version in VERSIONS:
        if version in CHANGES:
            CHANGES[version](repo)
            git(repo, "add", "--all")
            git(repo, "commit", "--quiet", "-m", f"Template changes of v{version}")
        git(repo, "tag", f"v{version}")
        wheel = build_and_install(repo, root / f"dist-{version}", root / f"venv-{version}")
        releases[version] = Release(version, wheel, root / f"venv-{version}")
    return releases


def build_and_install(source: Path, dist: Path, venv: Path) -> Path:
    """Build ``source`` into a wheel in ``dist`` and install it alone into a new ``venv``."""
    run(
        sys.executable,
        "-m",
        "build",
        "--wheel",
        "--no-isolation",
        "--outdir",
        str(dist),
        str(source),
    )
    (wheel,) = dist.glob("*.whl")
    make_venv(venv)
    python = str(venv / "bin" / "python")
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        str(wheel),
    )
    return wheel


def new_project(release: Release, dest: Path, **answers: str) -> Path:
    """Generate a project with the release's installed CLI, without a terminal."""
    data = [f"--data={k}={v}" for k, v in {**ANSWERS, **answers}.items()]
    run(release.cli, "new", str(dest), "--defaults", *data)
    return dest


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", message)


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` except .git, as relative path -> bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }
