"""What a hostile answers file costs: time, peak memory and output size of `grader grade`.

The file is the largest a student may hand in (just under the 10 MB read bound) and holds
nothing but unknown part ids, the case that made a 57 MB results.json in 40-52 s and ~590 MB
of memory (issue #12). Each run is a fresh `python -m grader grade PROBLEM FILE --format
gradescope --out results.json`; peak RSS is the child's ru_maxrss.

    python3 bench/bench_hostile.py [--problem csc413-hw2] [--runs 3] [--root DIR]

--root grades with the grader package of another checkout (for a before/after comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOUND = 10 * 1024 * 1024


def flood(path: Path) -> int:
    """A JSON answers file of unknown ids, as large as the reader accepts."""
    per = len(json.dumps({"zz0000000": 1})) - 1
    n = (BOUND - 64) // per
    text = json.dumps({"answers": {f"zz{i:07d}": 1 for i in range(n)}})
    while len(text) > BOUND - 16:
        n -= 1000
        text = json.dumps({"answers": {f"zz{i:07d}": 1 for i in range(n)}})
    path.write_text(text, encoding="utf-8")
    return n


def run_once(root: Path, problem: str, sub: Path, out: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, output bytes) of one grading in a fresh process."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child becomes the grader, so ru_maxrss is its own peak
        os.chdir(root)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(sys.executable, [sys.executable, "-m", "grader", "grade", problem, str(sub),
                                  "--format", "gradescope", "--out", str(out)])
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"grader failed with status {status}")
    return seconds, usage.ru_maxrss / 1024, out.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problem", default="csc413-hw2")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--root", type=Path, default=ROOT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "flood.json"
        n = flood(sub)
        size_in = sub.stat().st_size
        out = Path(tmp) / "results.json"
        runs = [run_once(args.root.resolve(), args.problem, sub, out) for _ in range(args.runs)]
    secs = statistics.median(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    size = runs[-1][2]
    print(f"input: {size_in / 1e6:.2f} MB, {n} unknown part ids")
    print(f"grader at {args.root}: median {secs:.2f} s over {args.runs} run(s), peak RSS {rss:.0f} MB, "
          f"results.json {size / 1e6:.3f} MB")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
