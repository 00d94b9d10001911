"""Hostile input against ordinary input: wall time and peak memory, side by side.

Each row runs one whole `segment-source` process on a hostile input and on its ordinary
counterpart; the hostile one must cost about the same (it is refused or skipped early),
not minutes and gigabytes.

    python benchmarks/hostile_bench.py [--big-mb 290]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "hostile" / "answer-files"
ANSWERS = ROOT / "tests" / "scenarios" / "us-email.yml"
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def _run(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit code of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, proc.returncode


def _project(base: Path, name: str) -> Path:
    dst = base / name
    subprocess.run(
        [sys.executable, "-m", "generator", "new", str(dst), "--data-file", str(ANSWERS)],
        check=True,
        capture_output=True,
    )
    return dst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--big-mb", type=int, default=290, help="size of the large tracked file (MB)"
    )
    args = parser.parse_args()
    rows: list[tuple[str, str, tuple[float, float, int], tuple[float, float, int]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        # The other answers on the command line, so only the file differs (as in issue 14's probe).
        others = [
            "-d",
            "slug=acme-mail",
            "-d",
            "description=Email.",
            "-d",
            "website=https://acme.example",
            "-d",
            "categories=CRM",
            "-d",
            "support_email=support@acme.example",
        ]
        pretend = ["new", str(base / "out"), "--pretend", *others, "--data-file"]
        ordinary = _run([*pretend, str(ANSWERS)], base)
        rows.append(
            (
                "new --data-file",
                "billion-laughs.yml",
                _run([*pretend, str(CORPUS / "billion-laughs.yml")], base),
                ordinary,
            )
        )
        rows.append(("new --data-file", "/dev/zero", _run([*pretend, "/dev/zero"], base), ordinary))

        fresh = _project(base, "fresh")
        big = _project(base, "big")
        line = b"value = 'lorem ipsum dolor sit amet, consectetur adipiscing elit'\n"
        with (big / "big.txt").open("wb") as stream:
            for _ in range(args.big_mb * 1024 * 1024 // len(line)):
                stream.write(line)
        subprocess.run([*GIT, "add", "big.txt"], cwd=big, check=True)
        subprocess.run([*GIT, "commit", "-qm", "big"], cwd=big, check=True)
        (big / "zero.txt").symlink_to("/dev/zero")
        rows.append(
            (
                "check",
                f"{args.big_mb} MB tracked file + link to /dev/zero",
                _run(["check", str(big)], base),
                _run(["check", str(fresh)], base),
            )
        )

    print(
        f"{'command':<16} {'hostile input':<40} {'hostile s':>10} {'MB':>7} {'exit':>5}   "
        f"{'ordinary s':>10} {'MB':>7}"
    )
    for command, what, (h_s, h_mb, h_rc), (o_s, o_mb, _) in rows:
        print(
            f"{command:<16} {what:<40} {h_s:>10.2f} {h_mb:>7.0f} {h_rc:>5}   "
            f"{o_s:>10.2f} {o_mb:>7.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
