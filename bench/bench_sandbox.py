"""How much the sandbox costs: a class of submissions with code parts vs cold interpreters.

Grades N submissions (default 200) of a two-code-part problem (conv_output_shape and
receptive_field from tests/problems/code-demo, 11 calls per submission) in one process, through
the real engine and fork server, and compares with N cold starts of `python -c "import numpy,
yaml"` (measured on a sample and scaled), which is what one fresh interpreter per submission
would cost before running any student code at all.

    python3 bench/bench_sandbox.py [--n 200] [--cold-sample 20]

With --batch it measures instead the whole command a course staff runs: `grader grade
dl-midterm DIR --batch --jobs 2` end to end (a fresh process each time: start-up, fork
servers, workers, CSV) on DIR = N copies of submissions_example/dl-midterm/full-credit.py and
code-buggy.py (half each; ANSWERS for 25 parts plus 2 code parts, 11 sandboxed calls), median
of --runs, against the median of --cold-runs cold `python -c "import numpy, yaml"`:

    python3 bench/bench_sandbox.py --batch [--n 200] [--runs 3] [--cold-runs 7] [--jobs 2]
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

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "tests" / "problems" / "code-demo"


def make_problem(folder: Path) -> Path:
    """code-demo reduced to its two code parts conv_output_shape and receptive_field."""
    spec = yaml.safe_load((DEMO / "problem.yaml").read_text())
    spec["id"] = "bench-code"
    spec["parts"] = [p for p in spec["parts"] if p["id"] in ("1", "2")]
    spec["total"] = 2
    target = folder / "bench-code"
    target.mkdir()
    (target / "problem.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    shutil.copy(DEMO / "solver.py", target / "solver.py")
    return target


def grade_class(problem: Path, subs: list[Path]) -> tuple[float, list[float], list[float]]:
    from grader.engine import grade
    from grader.loaders import load_submission
    from grader.sandbox.forkserver import get_server
    from grader.sandbox.session import configure
    from grader.spec import load_problem

    configure(hide=[problem])
    start = time.perf_counter()
    get_server()  # the one-off fork server start is part of the total
    server_start = time.perf_counter() - start
    prob = load_problem(problem)
    scores, times = [], []
    for path in subs:
        t0 = time.perf_counter()
        sub = load_submission(path, path.stem)
        try:
            scores.append(grade(prob, sub).score)
        finally:
            sub.close()
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    return total, times, [server_start] + scores


def cold_start(sample: int) -> list[float]:
    out = []
    for _ in range(sample):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy, yaml"], check=True)
        out.append(time.perf_counter() - t0)
    return out


def grader_command() -> list[str]:
    script = Path(sys.executable).with_name("grader")
    return [str(script)] if script.exists() else [sys.executable, "-m", "grader"]


def batch(n: int, runs: int, cold_runs: int, jobs: int) -> None:
    """`grader grade dl-midterm DIR --batch --jobs J` end to end vs cold numpy+yaml starts."""
    examples = ROOT / "submissions_example" / "dl-midterm"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        for i in range(n):
            src = examples / ("full-credit.py" if i % 2 == 0 else "code-buggy.py")
            shutil.copy(src, folder / f"student{i:03d}.py")
        csv = Path(tmp) / "grades.csv"
        command = grader_command() + ["grade", "dl-midterm", str(folder), "--batch",
                                      "--jobs", str(jobs), "--csv", str(csv), "--no-progress"]
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - t0)
        rows = csv.read_text().splitlines()[1:]
    totals = sorted({row.split(",")[-3] for row in rows})
    cold = statistics.median(cold_start(cold_runs))
    took = statistics.median(times)
    print(f"{n} Python submissions (half full-credit.py, half code-buggy.py), "
          f"`grader grade dl-midterm DIR --batch --jobs {jobs}`")
    print(f"graded: {len(rows)} rows, totals {totals}")
    print(f"runs: {', '.join(f'{t:.2f}' for t in times)} s; median {took:.2f} s "
          f"({took / n * 1000:.1f} ms per submission, start-up included)")
    print(f"cold `python -c 'import numpy, yaml'`: median {cold * 1000:.0f} ms of {cold_runs}")
    print(f"ratio: {took / cold:.1f}x the cold start (target: under 20x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--cold-sample", type=int, default=20)
    parser.add_argument("--batch", action="store_true", help="time `grader grade --batch` end to end")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if args.batch:
        batch(args.n, args.runs, args.cold_runs, args.jobs)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        problem = make_problem(tmp)
        subs = []
        for i in range(args.n):
            src = DEMO / ("full_credit.py" if i % 2 == 0 else "buggy.py")
            path = tmp / f"student{i:03d}.py"
            shutil.copy(src, path)
            subs.append(path)
        total, times, extra = grade_class(problem, subs)
    server_start, scores = extra[0], extra[1:]
    cold = cold_start(args.cold_sample)
    cold_each = statistics.median(cold)
    print(f"submissions: {args.n} (2 code parts, 11 calls each; half full credit, half buggy)")
    print(f"scores: full={scores.count(2.0)} others={sorted(set(scores) - {2.0})}")
    print(f"fork server start: {server_start * 1000:.0f} ms")
    print(f"sandboxed grading, total: {total:.2f} s "
          f"({total / args.n * 1000:.1f} ms per submission; median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms)")
    print(f"cold `python -c 'import numpy, yaml'`: median {cold_each * 1000:.0f} ms "
          f"(sample {args.cold_sample}); x{args.n} = {cold_each * args.n:.1f} s")
    print(f"ratio: sandboxed class / cold starts alone = {total / (cold_each * args.n):.2f}")


if __name__ == "__main__":
    main()
