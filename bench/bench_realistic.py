"""Benchmark of a realistic class: 1,000 students whose answers vary like a real class's
(bench/realistic_class.py: many notations, per-student rounding, slips, blanks, wrong answers),
graded with `grader grade P DIR --batch --jobs 2 --out RESULTS`, against the cost of
`python -c "import numpy, yaml"` measured in the same run (and just before each batch run:
"paired", as this shared VM's speed drifts within a minute). Also checks that no student is
lost: every student has a row, none with status `error`, no part with status `error`.

    .venv/bin/python bench/bench_realistic.py                 # both problems, 1,000 students
    .venv/bin/python bench/bench_realistic.py --n 300 --runs 1

Each problem is validated first (`grader validate`), as an instructor does before grading:
that stores the reference answers, so a class does not start by running the solvers.

The class and its results go to a temporary folder (`--workdir` chooses where). On a disk
whose file system makes creating files slow for minutes after many were deleted (this VM's
ext4: each run deletes its 8,000 files), `--workdir /dev/shm` measures the grader alone; run
`python -m compileall grader` first where PYTHONDONTWRITEBYTECODE is set (see RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_batch import BASELINE, PY, median_time, ours_batch  # noqa: E402
from realistic_class import MOST_DISTINCT, write_class  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def check_class(results: Path, n: int) -> dict:
    """Rows, statuses and parts in error, from the results folder."""
    index = json.loads((results / "_batch.json").read_text(encoding="utf-8"))
    statuses: dict[str, int] = {}
    part_errors = 0
    for s in index["students"]:
        statuses[s["status"]] = statuses.get(s["status"], 0) + 1
        report = json.loads((results / s["file"]).read_text(encoding="utf-8"))
        part_errors += sum(p["status"] == "error" for p in report["parts"])
    return {"rows": len(index["students"]), "expected": n, "statuses": statuses, "part_errors": part_errors}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--problems", default="csc413-hw2,uva-dl1-resit-2022")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--most-distinct", type=float, default=MOST_DISTINCT,
                    help="realistic_class.py's bound on a part's distinct answers (default 0.70, issue "
                         "#11's real class; 1 for the class notations and slips alone make)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--tree", metavar="DIR", default=None,
                    help="grade with the grader of another checkout (e.g. `git archive` of an older "
                         "commit): the same classes, for before/after figures")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench_realistic_", dir=args.workdir))
    tree = Path(args.tree).resolve() if args.tree else ROOT
    env = dict(os.environ, PYTHONPATH=str(tree)) if args.tree else None
    fig: dict = {"n": args.n, "jobs": args.jobs, "most_distinct": args.most_distinct, "cpus": os.cpu_count(),
                 "python": sys.version.split()[0],
                 "tree": str(tree)}
    try:
        before = children_cpu()
        base, base_all = median_time(BASELINE, 5)
        base_cpu = (children_cpu() - before) / 5
        fig["baseline_s"], fig["baseline_cpu_s"] = base, base_cpu
        print(f"baseline `python -c 'import numpy, yaml'`: median {base * 1000:.0f} ms "
              f"(runs: {', '.join(f'{t * 1000:.0f}' for t in base_all)}); CPU {base_cpu * 1000:.0f} ms "
              f"per run", flush=True)
        fig["problems"] = {}
        for pid in [p for p in args.problems.split(",") if p]:
            subprocess.run([PY, "-m", "grader", "validate", pid], cwd=tree, env=env, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subs = work / f"class-{pid}"
            distinct = write_class(pid, args.n, subs, args.seed, args.most_distinct)
            free = {k: v for k, v in distinct.items() if v >= 0.1}
            walls, paired, cpus, checks = [], [], [], []
            for i in range(args.runs):
                near, _ = median_time(BASELINE, 3)
                out = work / f"res-{pid}-{i}"
                before = children_cpu()
                start = time.perf_counter()
                subprocess.run(ours_batch(pid, subs, out, args.jobs), cwd=tree, env=env, check=False,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                walls.append(time.perf_counter() - start)
                cpus.append(children_cpu() - before)
                paired.append(walls[-1] / near)
                checks.append(check_class(out, args.n))
            wall = statistics.median(walls)
            entry = {"batch_s": wall, "batch_x": wall / base, "paired_x": statistics.median(paired),
                     "runs_s": walls, "paired_runs_x": paired, "cpu_s": statistics.median(cpus),
                     # CPU seconds over the two workers against the baseline's CPU: what the wall
                     # ratio would be on an idle machine, but for the parent's serial start
                     "cpu_x": statistics.median(cpus) / args.jobs / base_cpu,
                     "distinct": distinct, "checks": checks[-1]}
            fig["problems"][pid] = entry
            c = checks[-1]
            lost = c["expected"] - c["rows"] + c["statuses"].get("error", 0)
            print(f"{pid}: {args.n} students; answers distinct per part: "
                  f"{min(distinct.values()) * 100:.0f}-{max(distinct.values()) * 100:.0f}% "
                  f"({len(free)} parts at 10% or more, mean {statistics.mean(free.values()) * 100:.0f}%); "
                  f"batch median {wall:.2f} s = {entry['batch_x']:.1f}x baseline (paired "
                  f"{entry['paired_x']:.1f}x; runs {', '.join(f'{w:.2f}' for w in walls)} s); CPU "
                  f"{entry['cpu_s']:.2f} s (/{args.jobs} workers = {entry['cpu_x']:.1f}x the baseline's "
                  f"CPU); rows {c['rows']}/{c['expected']}, statuses {c['statuses']}, "
                  f"parts in error {c['part_errors']}, students lost {lost}", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(fig, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
