"""Generation speed: `segment-source new` against plain `copier copy` of the same template.

Whole processes, the same answers, the same run; medians of N runs printed side by side.
`segment-source new` does more (validates, writes the catalog entry with ruamel.yaml,
git init and a first commit), so the comparison shows what that costs.

    python benchmarks/generate_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ROOT / "examples" / "acme-mail.yml"


def _time(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tools = {
        "segment-source new": lambda dst: [
            sys.executable,
            "-m",
            "generator",
            "new",
            "--defaults",
            "--data-file",
            str(ANSWERS),
            str(dst),
        ],
        "copier copy (plain)": lambda dst: [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--quiet",
            "--defaults",
            "--data-file",
            str(ANSWERS),
            "--data",
            "slug=acme-mail",
            str(ROOT),
            str(dst),
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in tools}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs + 1):  # the first round warms the disk cache
            for name, cmd in tools.items():
                dst = Path(tmp) / f"p{run}-{len(times[name])}-{name.split()[0]}"
                elapsed = _time(cmd(dst), ROOT)
                shutil.rmtree(dst)
                if run:
                    times[name].append(elapsed)
    print(
        f"{'tool':<22}{'median s':>10}{'min s':>9}{'max s':>9}   ({args.runs} runs, whole process)"
    )
    for name, values in times.items():
        print(f"{name:<22}{statistics.median(values):>10.3f}{min(values):>9.3f}{max(values):>9.3f}")
    ratio = statistics.median(times["segment-source new"]) / statistics.median(
        times["copier copy (plain)"]
    )
    print(f"segment-source new / copier copy: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
