"""Wall time of `segment-source update` against plain `copier update`, whole process.

Both update the same hand-edited project in the same run: the wrapper from the bundle in
its installed wheel, copier from a local clone of the template mapped onto TEMPLATE_URL
(what a user with network access gets, minus the network). Two hops of the release
history built as in tests/update_support.py:

* v0.1.0 -> v0.2.0: the template only adds and changes files;
* v0.2.0 -> v0.3.0: it also renames one file and deletes another, so the wrapper renders
  the old version once more to tell edited files from untouched ones (the carry-over).

    python benchmarks/update_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from generator import TEMPLATE_URL
from tests.update_support import build_releases, commit_all, env, new_project, run

DATA = "support_url=https://acme.example/help"


def timed(cmd: list[str], cwd: Path, extra: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the process and its children, git included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        cmd,
        cwd=cwd,
        env=env(**(extra or {})),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="update-bench."))
    try:
        releases = build_releases(root)
        mirror = root / "template.git"
        bundle = next(
            releases["0.3.0"].venv.glob("lib/python*/site-packages/generator/_template.bundle")
        )
        run("git", "clone", "--quiet", "--mirror", str(bundle), str(mirror))
        redirect = {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"url.{mirror}.insteadOf",
            "GIT_CONFIG_VALUE_0": TEMPLATE_URL,
            "COPIER_CACHE_DIR": str(root / "copier-cache"),
        }
        print(
            f"whole process, median of {args.repeat} (after 1 warm-up); CPU = user + system of the"
        )
        print("process and its git children, steadier than wall time on a shared machine")
        print(
            f"{'update':<18}{'wrapper wall':>14}{'copier wall':>14}"
            f"{'wrapper CPU':>14}{'copier CPU':>14}"
        )
        for old, new, data in (("0.1.0", "0.2.0", []), ("0.2.0", "0.3.0", ["--data", DATA])):
            base = new_project(releases[old], root / f"base-{old}")
            with (base / "README.md").open("a", encoding="utf-8") as stream:
                stream.write("\nUSER EDIT\n")
            commit_all(base, "hand edit")
            wrapper: list[tuple[float, float]] = []
            plain: list[tuple[float, float]] = []
            for i in range(args.repeat + 1):  # the first round warms caches and is dropped
                a, b = root / f"a{old}-{i}", root / f"b{old}-{i}"
                shutil.copytree(base, a, symlinks=True)
                shutil.copytree(base, b, symlinks=True)
                t_wrapper = timed([releases[new].cli, "update", *data], a)
                # --vcs-ref: plain copier goes to the newest tag of the URL,
                # not the installed version.
                t_plain = timed(
                    [
                        releases[new].python,
                        "-m",
                        "copier",
                        "update",
                        "--defaults",
                        "--vcs-ref",
                        f"v{new}",
                        *data,
                    ],
                    b,
                    redirect,
                )
                if i:
                    wrapper.append(t_wrapper)
                    plain.append(t_plain)
            columns = [
                [w for w, _ in wrapper],
                [w for w, _ in plain],
                [c for _, c in wrapper],
                [c for _, c in plain],
            ]
            print(f"{f'v{old} -> v{new}':<18}" + "".join(f"{ms(col):>14}" for col in columns))
            print(
                "  wall runs (ms): wrapper "
                + " ".join(f"{t * 1000:.0f}" for t in columns[0])
                + " | copier "
                + " ".join(f"{t * 1000:.0f}" for t in columns[1])
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
