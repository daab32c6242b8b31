"""False-positive rate and detection rate of the class report's copying signals (grader/copying.py).

Classes are drawn from bench/synthetic_exam.py's model of uva-dl1-resit-2022's 20 automatically
graded parts (abilities, difficulties, common and rare wrong answers, blanks), answers compared
as the report compares them (the 9.3-9.5 chain is one item there; here every part is one item,
which only makes the null model's job harder). Nothing is graded: the statistic only needs the
answers, whether each is right, and the totals.

    .venv/bin/python bench/bench_copying.py                  # the figures in bench/RESULTS.md
    .venv/bin/python bench/bench_copying.py --null 200 --per-share 50   # quicker
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_exam import draw_students, part_models  # noqa: E402

from grader.copying import copying_signals  # noqa: E402


def run_class(models, n: int, seed: int, shares: list[float]):
    drawn = draw_students(models, n, seed, copy_share=shares)
    ids = sorted(drawn.answers)
    answers = [[json.dumps(drawn.answers[s][m.id], sort_keys=True) if m.id in drawn.answers[s] else None
                for m in models] for s in ids]
    right = [[drawn.right[s][m.id] for m in models] for s in ids]
    totals = np.array([drawn.score[s] for s in ids])
    result = copying_signals(ids, [m.id for m in models], answers, right, totals)
    planted = {frozenset(p) for p in drawn.copied}
    flagged = {frozenset((p.first, p.second)) for p in result.pairs}
    return len(planted & flagged), len(planted), len(flagged - planted)


def longer(models, times: int):
    """The exam's parts `times` over (each copy its own item): a longer exam of the same kind."""
    out = []
    for t in range(times):
        for m in models:
            out.append(type(m)(f"{m.id}#{t}", m.points, m.right, m.common, m.rare, m.a, m.b))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--null", type=int, default=1000, help="classes of independent students per size")
    ap.add_argument("--sizes", type=int, nargs="+", default=[150])
    ap.add_argument("--big", type=int, default=20, help="classes of 1,000 independent students")
    ap.add_argument("--per-share", type=int, default=100, help="classes (one planted copier each) per share")
    ap.add_argument("--shares", type=float, nargs="+", default=[0.3, 0.5, 0.8, 1.0])
    args = ap.parse_args()
    models = part_models("uva-dl1-resit-2022")
    print(f"exam: uva-dl1-resit-2022, {len(models)} automatically graded parts")
    for n in args.sizes:
        start = time.perf_counter()
        false = sum(run_class(models, n, 10_000 + s, [])[2] for s in range(args.null))
        print(f"null: {args.null} classes of {n}: {false} pair(s) flagged "
              f"({time.perf_counter() - start:.0f} s)")
    if args.big:
        start = time.perf_counter()
        false = sum(run_class(models, 1000, 20_000 + s, [])[2] for s in range(args.big))
        print(f"null: {args.big} classes of 1000: {false} pair(s) flagged ({time.perf_counter() - start:.0f} s)")
    for label, exam in (("20 parts", models), ("60 parts (the parts three times)", longer(models, 3))):
        for n in (150, 1000):
            classes = args.per_share if n == 150 else max(1, args.per_share // 10)
            per_class = 1 if n == 150 else 5
            for share in args.shares:
                found = planted = false = 0
                for s in range(classes):
                    f, p, x = run_class(exam, n, 30_000 + s, [share] * per_class)
                    found, planted, false = found + f, planted + p, false + x
                print(f"detect: {label}, class of {n}, {share:.0%} copied: {found}/{planted} planted pairs "
                      f"flagged ({found / planted:.0%}); {false} other pair(s) flagged")


if __name__ == "__main__":
    main()
