"""False-positive rate and detection rate of the class report's copying signals (grader/copying.py),
and what the most powerful test could detect (the oracle).

Classes come from bench/copying_model.py: students drawn band by band from the observed
answers of a graded population (a 2,000-student class of bench/realistic_class.py on
uva-dl1-resit-2022, its 20 automatically graded parts, 9.3-9.5 one item as in the report),
written and graded once into --population (reused afterwards).

    .venv/bin/python bench/bench_copying.py                      # the figures in bench/RESULTS.md
    .venv/bin/python bench/bench_copying.py --null 100 --per-share 20   # quicker
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from copying_model import POPULATION, draw_class, oracle_p, population  # noqa: E402

from grader.copying import copying_signals  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = "uva-dl1-resit-2022"


def ensure_population(folder: Path, n: int = 2000, seed: int = 11) -> Path:
    results = folder / "results"
    if not (results / "_batch.json").is_file():
        subprocess.run([sys.executable, str(ROOT / "bench" / "realistic_class.py"), PROBLEM, str(n),
                        str(folder / "class"), "--seed", str(seed)], check=True)
        subprocess.run([str(Path(sys.executable).parent / "grader"), "grade", PROBLEM, str(folder / "class"),
                        "--batch", "--jobs", "2", "--out", str(results)], check=True, stdout=subprocess.DEVNULL)
    return results


def run_class(pop, n: int, seed: int, shares: list[float], novel: float, oracle: bool = False,
              alpha: float = 0.001):
    """(planted pairs flagged, planted pairs, other pairs flagged, planted pairs the oracle finds)."""
    klass = draw_class(pop, n, np.random.default_rng(seed), shares, novel)
    answers, right, totals = klass.as_report()
    result = copying_signals(klass.ids, pop.items, answers, right, totals, alpha=alpha)
    planted = {frozenset((klass.ids[c], klass.ids[s])) for c, s, _ in klass.copied}
    flagged = {frozenset((p.first, p.second)) for p in result.pairs}
    found_oracle = 0
    if oracle and klass.copied:
        table = pop.chance(novel)
        limit = 0.001 / (n * (n - 1) / 2)  # the oracle knows the direction: one test per pair
        found_oracle = sum(oracle_p(pop, table, klass, c, s, share, 0) <= limit for c, s, share in klass.copied)
    return len(planted & flagged), len(planted), len(flagged - planted), found_oracle


def evidence(pop, n: int, classes: int, shares: list[float], novels: list[float]) -> None:
    """How far the most powerful test's p-value of a planted pair is from the threshold."""
    import math

    limit = math.log10(0.001 / (n * (n - 1) / 2))
    for novel in novels:
        table = pop.chance(novel)
        for share in shares:
            logs, copied = [], []
            for s in range(classes):
                klass = draw_class(pop, n, np.random.default_rng(50_000 + s), [share], novel)
                c, src, _ = klass.copied[0]
                logs.append(math.log10(max(oracle_p(pop, table, klass, c, src, share, 0), 1e-300)))
                copied.append(max(1, round(share * int((klass.codes[src] >= 0).sum()))))
            q = np.percentile(logs, [25, 50, 75]).round(1)
            print(f"novel {novel:g}: {share:.0%} copied: {np.median(copied):.0f} answers copied (median); oracle "
                  f"log10 p quartiles {q[0]}, {q[1]}, {q[2]}; needed {limit:.1f}; found "
                  f"{np.mean(np.array(logs) <= limit):.0%}", flush=True)


def legacy_class(n: int, seed: int, shares: list[float]):
    """The earlier model (bench/synthetic_exam.py: a two-parameter logistic per part, wrong
    answers from the distractors and typical mistakes, 15 % of one's own), every part one item:
    (planted pairs flagged, planted pairs, other pairs flagged)."""
    import json

    from synthetic_exam import draw_students, part_models

    models = part_models(PROBLEM)
    drawn = draw_students(models, n, seed, copy_share=shares)
    ids = sorted(drawn.answers)
    answers = [[json.dumps(drawn.answers[s][m.id], sort_keys=True) if m.id in drawn.answers[s] else None
                for m in models] for s in ids]
    right = [[drawn.right[s][m.id] for m in models] for s in ids]
    result = copying_signals(ids, [m.id for m in models], answers, right, np.array([drawn.score[s] for s in ids]))
    planted = {frozenset(p) for p in drawn.copied}
    flagged = {frozenset((p.first, p.second)) for p in result.pairs}
    return len(planted & flagged), len(planted), len(flagged - planted)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--population", type=Path, default=POPULATION)
    ap.add_argument("--null", type=int, default=1000, help="classes of independent students")
    ap.add_argument("--n", type=int, default=150, help="students per class")
    ap.add_argument("--big", type=int, default=10, help="classes of 1,000 independent students")
    ap.add_argument("--per-share", type=int, default=200, help="planted copiers per share (one per class)")
    ap.add_argument("--shares", type=float, nargs="+", default=[0.3, 0.5, 1.0])
    ap.add_argument("--novel", type=float, nargs="+", default=[0.0, 0.5],
                    help="share of free-form wrong answers turned into answers of one's own")
    ap.add_argument("--calibration", type=int, default=0, metavar="CLASSES",
                    help="null classes run at alpha = 1, to see how far below the bound the p-values stay")
    ap.add_argument("--evidence", type=int, default=0, metavar="CLASSES",
                    help="only the oracle's p-values of planted pairs (quartiles) over this many classes per share")
    ap.add_argument("--legacy", type=int, default=0, metavar="CLASSES",
                    help="also the earlier model's figures: this many null classes, and classes per share")
    args = ap.parse_args()
    if args.legacy:
        false = sum(legacy_class(args.n, 10_000 + s, [])[2] for s in range(args.legacy))
        print(f"legacy model: null: {args.legacy} classes of {args.n}: {false} pair(s) flagged", flush=True)
        for share in args.shares:
            found = sum(legacy_class(args.n, 30_000 + s, [share])[0] for s in range(args.legacy))
            print(f"legacy model: detect: {share:.0%} copied: {found}/{args.legacy} flagged", flush=True)
    pop = population(ensure_population(args.population))
    if args.evidence:
        evidence(pop, args.n, args.evidence, args.shares, args.novel)
        return
    print(f"population: {len(pop.codes)} students, {len(pop.items)} items ({int(pop.free_form.sum())} free-form)")
    for novel in args.novel:
        if args.calibration:  # alpha 1: exactly calibrated p-values list 1 pair per class on average
            listed = sum(run_class(pop, args.n, 40_000 + s, [], novel, alpha=1.0)[2] for s in range(args.calibration))
            print(f"novel {novel:g}: calibration: {args.calibration} classes of {args.n}, alpha 1 (Bonferroni "
                  f"bound: 1 pair per class): {listed} pair(s) listed, {listed / args.calibration:.3f} per class",
                  flush=True)
        start = time.perf_counter()
        false = sum(run_class(pop, args.n, 10_000 + s, [], novel)[2] for s in range(args.null))
        print(f"novel {novel:g}: null: {args.null} classes of {args.n}: {false} pair(s) flagged "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
        if args.big:
            start = time.perf_counter()
            false = sum(run_class(pop, 1000, 20_000 + s, [], novel)[2] for s in range(args.big))
            print(f"novel {novel:g}: null: {args.big} classes of 1000: {false} pair(s) flagged "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
        for share in args.shares:
            found = planted = false = oracle = 0
            for s in range(args.per_share):
                f, p, x, o = run_class(pop, args.n, 30_000 + s, [share], novel, oracle=True)
                found, planted, false, oracle = found + f, planted + p, false + x, oracle + o
            print(f"novel {novel:g}: detect: class of {args.n}, {share:.0%} copied: {found}/{planted} "
                  f"flagged ({found / planted:.0%}); oracle {oracle}/{planted} ({oracle / planted:.0%}); "
                  f"{false} other pair(s) flagged", flush=True)


if __name__ == "__main__":
    main()
