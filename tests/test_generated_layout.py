"""The generated package's layout: a public top level, `_engine/` and `fleet/` below it.

Imports are read from each module's syntax tree (TYPE_CHECKING and function-level imports
included), so a cycle hidden behind a late import still counts.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import _migrations

from .venvs import make_venv

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PACKAGE = ROOT / "template" / "src" / "{{package_name}}"
PACKAGE = "acme_mail_source"  # us-email's package

# What a partner reads first; anything else at the top would be machinery.
PUBLIC = {
    "__init__",
    "__main__",
    "cli",
    "client",
    "customer",
    "errors",
    "events",
    "naming",
    "regions",
    "sample",
    "spec",
    "version",
}
SUBPACKAGES = {"_engine", "fleet"}
COMMANDS = ["sample", "worker", "stats", "dead-letters", "queue-secret"]

# The package's files in the layout before issue 18: `git ls-tree -r --name-only 5a8c376
# template/src` (the build the lead's update test starts from).
OLD_LAYOUT = [
    "__init__.py.jinja",
    "__main__.py",
    "_batcher.py",
    "_dispatch.py",
    "_dotenv.py",
    "_ids.py",
    "_keys.py",
    "_queue_crypto.py",
    "_ratelimit.py",
    "_redis_ack.py",
    "_redis_layout.py",
    "_redis_leases.py",
    "_redis_limiter.py",
    "_redis_queue.py",
    "_redis_worker.py",
    "_retry.py",
    "_send.py",
    "_spool.py",
    "_transport.py",
    "_workers.py",
    "cli.py",
    "client.py",
    "customer.py",
    "errors.py",
    "events.py.jinja",
    "fleet.py",
    "fleet_cli.py",
    "markdown_ext.py",
    "naming.py",
    "py.typed",
    "regions.py",
    "sample.py.jinja",
    "spec.py.jinja",
]


def _package(rendered) -> Path:
    return rendered("us-email").path / "src" / PACKAGE


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The package's modules that ``path`` (module ``name``) imports, anywhere in it."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = node.module if node.level == 0 else ".".join(filter(None, [base, node.module]))
            assert module is not None
            # `from . import spec` imports the module spec; `from . import __version__`
            # and `from .x import Name` import the package or module named before `import`.
            targets = [
                f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
            # Importing a.b.c runs a.b's __init__ first, unless the importer is inside a.b
            # (a package's own modules, and the root package of every module).
            target = target.rpartition(".")[0]
            while target and target != PACKAGE:
                if target != name and not name.startswith(target + "."):
                    found.add(target)
                target = target.rpartition(".")[0]
    return found


def _graph(package: Path) -> dict[str, set[str]]:
    src = package.parent
    modules = {_module_name(p, src): p for p in package.rglob("*.py")}
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_top_level_holds_the_public_modules_and_two_subpackages(rendered):
    package = _package(rendered)
    modules = {p.stem for p in package.glob("*.py")}
    folders = {p.name for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert modules == PUBLIC and len(modules) <= 12
    assert folders >= SUBPACKAGES  # and any other folder is a subpackage too
    assert all((package / folder / "__init__.py").is_file() for folder in folders)
    assert not (package / "markdown_ext.py").exists()
    assert (package.parent / "segment_docs_preview.py").is_file()  # the docs preview's, outside


def test_no_import_cycle_and_the_customer_does_not_import_the_client(rendered):
    graph = _graph(_package(rendered))
    assert f"{PACKAGE}.client" in graph[f"{PACKAGE}.sample"]  # the reader sees imports
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])
    assert f"{PACKAGE}.client" not in graph[f"{PACKAGE}.customer"]


def test_the_cycle_finder_sees_the_package_imported_by_name(tmp_path):
    """`from . import __version__` in a module the package imports is a cycle too."""
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("__version__ = '1'\nfrom .customer import Customer\n")
    (package / "customer.py").write_text("from . import __version__\n")
    assert _cycle(_graph(package)) == [PACKAGE, f"{PACKAGE}.customer", PACKAGE]


def test_the_cycle_finder_finds_a_cycle_behind_type_checking(tmp_path):
    """The check above can fail: a TYPE_CHECKING import back to the client is a cycle."""
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "client.py").write_text("from .customer import Customer\n")
    (package / "customer.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .client import Client\n"
    )
    assert _cycle(_graph(package)) == [
        f"{PACKAGE}.client",
        f"{PACKAGE}.customer",
        f"{PACKAGE}.client",
    ]


def test_every_module_says_what_it_is_for(rendered):
    for path in _package(rendered).rglob("*.py"):
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert docstring and docstring.splitlines()[0].strip(), path


def test_the_top_level_never_imports_an_extras_dependency(rendered):
    """Without redis and cryptography every public module imports; `fleet` says what is missing."""
    probe = (
        "import sys\n"
        "sys.modules['redis'] = sys.modules['cryptography'] = None  # as if not installed\n"
        f"import {PACKAGE}\n"
        + "".join(
            f"import {PACKAGE}.{name}\n" for name in sorted(PUBLIC - {"__init__", "__main__"})
        )
        + f"from {PACKAGE}.cli import main\n"
        "sys.exit(main(['worker', '--help']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=_package(rendered).parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "`worker` needs the [redis] extra (redis, cryptography missing)" in done.stderr


@pytest.mark.slow
def test_the_console_script_runs_every_command(rendered, tmp_path):
    """The installed script and `python -m` share one registry: every command answers --help."""
    project = tmp_path / "project"
    shutil.copytree(rendered("us-email").path, project)
    bin_dir = make_venv(tmp_path / "venv", with_pip=True)
    install = [
        str(bin_dir / "pip"),
        "install",
        "-q",
        "--no-index",
        "--no-build-isolation",
        "--no-deps",
    ]
    done = subprocess.run(
        [*install, "-e", str(project)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    script = bin_dir / "acme-mail-source"
    for command in COMMANDS:
        for runner in ([str(script)], [str(bin_dir / "python"), "-m", PACKAGE]):
            ran = subprocess.run(
                [*runner, command, "--help"],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert ran.returncode == 0 and ran.stdout.startswith("usage: "), (command, ran.stderr)
            assert f" {command}" in ran.stdout.splitlines()[0], ran.stdout
    listed = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert all(f"  {command}" in listed.stdout for command in COMMANDS), listed.stdout


def test_every_file_the_old_layout_lost_has_a_declared_destination_in_the_template():
    """Files of the layout before issue 18 that are gone have a rename to a file that exists."""
    template = {
        p.relative_to(ROOT / "template").as_posix().removesuffix(".jinja")
        for p in (ROOT / "template").rglob("*")
        if p.is_file()
    }
    renames = _migrations.renamed_files(_migrations.MIGRATIONS)
    gone = []
    for name in OLD_LAYOUT:
        old = f"src/{{{{package_name}}}}/{name}".removesuffix(".jinja")
        if old in template:
            continue
        gone.append(old)
        pattern = old.replace("{{package_name}}", "*")
        assert pattern in renames, f"{old} left the template without a declared rename"
        target = renames[pattern].replace("*", "{{package_name}}")
        assert target in template, (
            f"{old} is declared to move to {target}, which is not in the template"
        )
    assert len(gone) == 21  # what issue 18 moved: 11 engine, 9 fleet, the docs preview
