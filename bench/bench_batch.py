"""Benchmark of class grading (JSON submissions): throughput, cold start, peak memory, and the same
class graded by a plain gradescope-utils unittest autograder and by Otter-Grader's `otter run`.

Every figure is also given as a multiple of the cost of starting `python -c "import numpy, yaml"`
on the same machine in the same run, which is what the targets are stated in.

    .venv/bin/python bench/bench_batch.py                      # everything (Otter on a sample)
    .venv/bin/python bench/bench_batch.py --n 200 --skip-otter # quicker
    .venv/bin/python bench/bench_batch.py --workdir /dev/shm   # classes and results on tmpfs

Batch runs and cold starts are also divided by a baseline run just before each of them
("paired"): on a shared VM the machine's speed drifts within a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BASELINE = [PY, "-c", "import numpy, yaml"]


# ---------------------------------------------------------------- measuring

def _tree_rss_kb(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_measured(cmd: list[str], env: dict | None = None, cwd: Path = ROOT) -> dict:
    """Wall time, the largest single process's max RSS, and the peak RSS summed over the tree."""
    wrapper = ("import resource, subprocess, sys, json\n"
               "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
               "print(json.dumps([rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n")
    start = time.perf_counter()
    proc = subprocess.Popen([PY, "-c", wrapper, *cmd], stdout=subprocess.PIPE, env=env, cwd=cwd, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    rc, maxrss = json.loads(proc.stdout.read().strip().splitlines()[-1])
    return {"wall": wall, "rc": rc, "maxrss_mb": maxrss / 1024, "tree_peak_mb": peak / 1024}


def timed(cmd: list[str], env: dict | None = None, cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd, check=False)
    return time.perf_counter() - start


def median_time(cmd: list[str], runs: int, env: dict | None = None) -> tuple[float, list[float]]:
    times = [timed(cmd, env) for _ in range(runs)]
    return statistics.median(times), times


def paired_time(cmd: list[str], runs: int) -> tuple[float, float]:
    """(median time, median of its ratios to a baseline run just before each run): a shared
    VM's speed drifts within a minute, and a ratio to a baseline from another minute drifts too."""
    times, ratios = [], []
    for _ in range(runs):
        base = timed(BASELINE)
        times.append(timed(cmd))
        ratios.append(times[-1] / base)
    return statistics.median(times), statistics.median(ratios)


# ---------------------------------------------------------------- synthetic classes

def class_from_examples(problem_id: str, n: int, dest: Path, seed: int = 1) -> int:
    """n students, each part's answer taken from a random example submission of the problem."""
    folder = ROOT / "submissions_example" / problem_id
    examples = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        examples.append(data.get("answers", data) if isinstance(data, dict) else {})
    if not examples:
        raise SystemExit(f"no example submissions in {folder}")
    ids = sorted({k for ex in examples for k in ex})
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        answers = {}
        for pid in ids:
            ex = rng.choice(examples)
            if pid in ex:
                answers[pid] = ex[pid]
        (dest / f"s{i:04d}.json").write_text(json.dumps({"answers": answers}), encoding="utf-8")
    return len(examples)


DEMO_RIGHT = {"1": 26, "2": [0.8, 0.4], "3": [32, 128, 26, 26], "4": ["stride", "dilation", "kernel size"],
              "5": "B", "6": ["B", "D"], "7": "O(t)", "8": "updates stay in the span of X", "9.a": 6,
              "9.b": 12, "10": 24}
DEMO_WRONG = {"1": 14, "2": [0.81, 0.4], "3": [32, 128, 28, 28], "4": ["stride"], "5": "A", "6": ["A", "B"],
              "7": "O(t^2)", "8": "no idea", "9.a": 5, "9.b": 10, "10": 0}


def demo_problem(dest: Path) -> Path:
    """tests/problems/demo with the drawn `size` fixed at 28, so unittest and Otter can check it too."""
    folder = dest / "demo"
    shutil.copytree(ROOT / "tests" / "problems" / "demo", folder)
    spec = folder / "problem.yaml"
    spec.write_text(spec.read_text().replace("size: {draw: randint, low: 20, high: 40, default: 28}", "size: 28"))
    return folder


def demo_class(n: int, dest: Path, seed: int = 2) -> None:
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        ability = rng.random()
        answers = {}
        for pid, right in DEMO_RIGHT.items():
            roll = rng.random()
            if roll < ability:
                answers[pid] = right
            elif roll < ability + (1 - ability) * 0.8:
                answers[pid] = DEMO_WRONG[pid]
        (dest / f"s{i:04d}.json").write_text(json.dumps({"answers": answers}), encoding="utf-8")


# ---------------------------------------------------------------- the three graders

def ours_batch(problem: Path | str, subs: Path, out: Path, jobs: int) -> list[str]:
    return [PY, "-m", "grader", "grade", str(problem), str(subs), "--batch", "--no-progress",
            "--jobs", str(jobs), "--out", str(out)]


def gsutils_per_process(subs: list[Path], out: Path, jobs: int) -> float:
    """What Gradescope does: one fresh Python per submission (here `jobs` at a time)."""
    runner = ROOT / "bench" / "gsutils_demo" / "run_tests.py"
    out.mkdir(parents=True, exist_ok=True)

    def one(sub: Path) -> None:
        env = dict(os.environ, SUBMISSION=str(sub))
        subprocess.run([PY, str(runner), str(out / sub.name)], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)

    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, subs))
    return time.perf_counter() - start


OTTER_TESTS = {  # part -> (points, doctest expression); Otter's OK format checks pass/fail only
    "1": (1, "ans.get('1') == 26"),
    "2": (2, "isinstance(ans.get('2'), list) and len(ans.get('2')) == 2 and all(abs(g - w) <= 1e-9 + 1e-4 * abs(w) "
             "for g, w in zip(ans.get('2'), [0.8, 0.4]))"),
    "3": (1, "ans.get('3') == [32, 128, 26, 26]"),
    "4": (1, "isinstance(ans.get('4'), list) and {str(x).strip().lower() for x in ans.get('4')} == "
             "{'stride', 'dilation', 'kernel size'}"),
    "5": (2, "str(ans.get('5')).strip().upper() in ('B', 'C')"),
    "6": (2, "isinstance(ans.get('6'), list) and sorted({str(x).strip().upper() for x in ans.get('6')}) == ['B', 'D']"),
    "7": (1, "isinstance(ans.get('7'), str) and ''.join(ans.get('7').split()) == 'O(t)'"),
    "9.a": (1, "ans.get('9.a') == 6"),
    "9.b": (1, "ans.get('9.b') == 12"),
}


def otter_setup(otter: Path, work: Path) -> Path:
    """An Otter assignment for the demo problem: OK-format tests, `otter generate` -> autograder.zip."""
    tests = work / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    for pid, (points, expr) in OTTER_TESTS.items():
        name = "q" + pid.replace(".", "_")
        test = {"name": name, "points": points, "suites": [{
            "cases": [{"code": f">>> bool({expr})\nTrue", "hidden": False, "locked": False}],
            "scored": True, "setup": "", "teardown": "", "type": "doctest"}]}
        (tests / f"{name}.py").write_text("OK_FORMAT = True\ntest = " + repr(test) + "\n")
    subprocess.run([str(otter), "generate", "-t", "tests", "--no-requirements", "--no-environment"],
                   cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return work / "autograder.zip"


def otter_run(otter: Path, zip_path: Path, subs: list[Path], work: Path, jobs: int) -> tuple[float, int]:
    """`otter run` once per submission (its unit: a .py script defining `ans`), `jobs` at a time."""
    scripts = work / "scripts"
    scripts.mkdir(parents=True, exist_ok=True)
    for sub in subs:
        answers = json.loads(sub.read_text())["answers"]
        (scripts / (sub.stem + ".py")).write_text(f"ans = {answers!r}\n")
    ok = 0

    def one(sub: Path) -> int:
        out = work / "out" / sub.stem
        out.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([str(otter), "run", "-a", str(zip_path), "-o", str(out), "--no-logo",
                               str(scripts / (sub.stem + ".py"))], cwd=work, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, check=False)
        return int(proc.returncode == 0 and (out / "results.json").is_file())

    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        ok = sum(pool.map(one, subs))
    return time.perf_counter() - start, ok


def _totals_ours(results: Path) -> dict[str, float]:
    index = json.loads((results / "_batch.json").read_text())
    return {s["student"]: s["total"] for s in index["students"]}


def _totals_gsutils(out: Path) -> dict[str, float]:
    got = {}
    for path in sorted(out.glob("*.json")):
        data = json.loads(path.read_text())
        got[path.stem] = data.get("score", sum(t.get("score", 0) or 0 for t in data.get("tests", [])))
    return got


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="students per synthetic class")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--runs", type=int, default=3, help="runs of each batch (median)")
    ap.add_argument("--cold-runs", type=int, default=9, help="runs of each cold start (median)")
    ap.add_argument("--problems", default="csc413-hw2,uva-dl1-resit-2022")
    ap.add_argument("--otter", default="/tmp/otter-venv/bin/otter", help="the otter executable (its own venv)")
    ap.add_argument("--otter-n", type=int, default=40, help="submissions graded with `otter run` (slow)")
    ap.add_argument("--skip-otter", action="store_true")
    ap.add_argument("--skip-gsutils", action="store_true")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--workdir", metavar="DIR", default=None,
                    help="where the classes and results go (default: the system's temp folder); "
                         "file creation costs differ a lot between file systems, see RESULTS.md")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench_batch_", dir=args.workdir))
    fig: dict = {"n": args.n, "jobs": args.jobs, "cpus": os.cpu_count(), "python": sys.version.split()[0],
                 "workdir": str(work.parent)}
    try:
        base, base_all = median_time(BASELINE, args.cold_runs)
        fig["baseline_s"] = base
        print(f"baseline `python -c 'import numpy, yaml'`: median {base * 1000:.0f} ms "
              f"(runs: {', '.join(f'{t * 1000:.0f}' for t in base_all)})", flush=True)

        fig["problems"] = {}
        for pid in [p for p in args.problems.split(",") if p]:
            if not (ROOT / "submissions_example" / pid).is_dir():
                print(f"{pid}: no submissions_example folder; skipped")
                continue
            subs = work / f"class-{pid}"
            n_ex = class_from_examples(pid, args.n, subs)
            one = sorted(subs.glob("*.json"))[0]
            cold, cold_x_paired = paired_time([PY, "-m", "grader", "grade", pid, str(one), "--format", "json"],
                                              args.cold_runs)
            # Each run into a new, empty --out folder: 1,000 report files created. A shared VM's
            # speed drifts within a minute, so each run is paired with baselines taken right
            # before it, and the ratio reported is the median of the paired ratios.
            runs, paired = [], []
            for i in range(args.runs):
                near, _ = median_time(BASELINE, 3)
                runs.append(run_measured(ours_batch(pid, subs, work / f"res-{pid}-{i}", args.jobs)))
                paired.append(runs[-1]["wall"] / near)
            wall = statistics.median(r["wall"] for r in runs)
            # A TA's re-run (after a spec fix) into the folder of the first run: files rewritten.
            again = [timed(ours_batch(pid, subs, work / f"res-{pid}-0", args.jobs)) for _ in range(args.runs)]
            rerun = statistics.median(again)
            entry = {"examples": n_ex, "cold_s": cold, "cold_x": cold / base, "cold_paired_x": cold_x_paired,
                     "batch_s": wall,
                     "batch_x": wall / base, "batch_runs_s": [r["wall"] for r in runs],
                     "paired_x": statistics.median(paired), "paired_runs_x": paired,
                     "rerun_s": rerun, "rerun_x": rerun / base, "per_student_ms": wall / args.n * 1000,
                     "maxrss_mb": max(r["maxrss_mb"] for r in runs),
                     "tree_peak_mb": max(r["tree_peak_mb"] for r in runs), "rc": [r["rc"] for r in runs]}
            fig["problems"][pid] = entry
            print(f"{pid}: {args.n} JSON from {n_ex} examples: batch median {wall:.2f} s "
                  f"({entry['batch_x']:.1f}x baseline, {entry['per_student_ms']:.2f} ms/student, jobs {args.jobs}; "
                  f"runs {', '.join(f'{r:.2f}' for r in entry['batch_runs_s'])}; against the baseline "
                  f"taken just before each run: median {entry['paired_x']:.1f}x, runs "
                  f"{', '.join(f'{r:.1f}' for r in paired)}); again into the same folder "
                  f"{rerun:.2f} s ({entry['rerun_x']:.1f}x); "
                  f"cold grade median {cold * 1000:.0f} ms ({entry['cold_x']:.2f}x; paired "
                  f"{cold_x_paired:.2f}x); peak RSS "
                  f"{entry['tree_peak_mb']:.0f} MB summed, {entry['maxrss_mb']:.0f} MB largest process", flush=True)

        # Side by side on the demo problem (fixed variant), the same n submissions for all.
        problem = demo_problem(work / "spec")
        subs = work / "class-demo"
        demo_class(args.n, subs)
        files = sorted(subs.glob("*.json"))
        side: dict = {}
        cold, _ = median_time([PY, "-m", "grader", "grade", str(problem), str(files[0]), "--format", "json"],
                              args.cold_runs)
        runs = [run_measured(ours_batch(problem, subs, work / f"res-demo-{i}", args.jobs)) for i in range(args.runs)]
        side["ours"] = {"s": statistics.median(r["wall"] for r in runs), "cold_s": cold,
                        "tree_peak_mb": max(r["tree_peak_mb"] for r in runs)}
        print(f"demo, ours: batch {side['ours']['s']:.2f} s ({side['ours']['s'] / base:.1f}x); cold "
              f"{cold * 1000:.0f} ms", flush=True)
        if not args.skip_gsutils:
            runner = ROOT / "bench" / "gsutils_demo" / "run_tests.py"
            cold_gs, _ = median_time([PY, str(runner), str(work / "gs-one.json")], args.cold_runs,
                                     env=dict(os.environ, SUBMISSION=str(files[0])))
            per_proc = gsutils_per_process(files, work / "gs-out", args.jobs)
            (work / "gs-many").mkdir(exist_ok=True)
            many = run_measured([PY, str(runner), "--many", str(work / "gs-many"), *map(str, files)])
            ours_tot = _totals_ours(work / "res-demo-0")
            gs_tot = _totals_gsutils(work / "gs-out")
            agree = sum(1 for k, v in gs_tot.items() if k in ours_tot and abs(ours_tot[k] - v) < 1e-6)
            side["gsutils"] = {"per_process_s": per_proc, "one_process_s": many["wall"], "cold_s": cold_gs,
                               "agree": agree, "graded": len(gs_tot)}
            print(f"demo, gradescope-utils: one process per submission {per_proc:.1f} s "
                  f"({per_proc / base:.1f}x); all in one process {many['wall']:.2f} s; cold {cold_gs * 1000:.0f} ms; "
                  f"totals equal to ours for {agree}/{len(gs_tot)}", flush=True)
        if not args.skip_otter:
            otter = Path(args.otter)
            if not otter.exists():
                side["otter"] = {"error": f"{otter} not found (pip install otter-grader ipykernel into its own venv)"}
                print(f"demo, otter: {side['otter']['error']}")
            else:
                zip_path = otter_setup(otter, work / "otter")
                sample = files[: args.otter_n]
                secs, ok = otter_run(otter, zip_path, sample, work / "otter", args.jobs)
                side["otter"] = {"sample": len(sample), "s": secs, "ok": ok,
                                 "per_submission_s": secs / len(sample) * args.jobs,
                                 "projected_s": secs / len(sample) * args.n}
                print(f"demo, otter run: {len(sample)} submissions in {secs:.1f} s ({ok} results), "
                      f"{side['otter']['per_submission_s']:.2f} s each; projected for {args.n}: "
                      f"{side['otter']['projected_s']:.0f} s ({side['otter']['projected_s'] / base:.0f}x)", flush=True)
        fig["demo"] = side
        if args.json:
            Path(args.json).write_text(json.dumps(fig, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
