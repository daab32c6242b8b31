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


def run_class(pop, n: int, seed: int, shares: list[float], novel: float, oracle: bool = False):
    """(planted pairs flagged, planted pairs, other pairs flagged, planted pairs the oracle finds)."""
    klass = draw_class(pop, n, np.random.default_rng(seed), shares, novel)
    answers, right, totals = klass.as_report()
    result = copying_signals(klass.ids, pop.items, answers, right, totals)
    planted = {frozenset((klass.ids[c], klass.ids[s])) for c, s, _ in klass.copied}
    flagged = {frozenset((p.first, p.second)) for p in result.pairs}
    found_oracle = 0
    if oracle and klass.copied:
        table = pop.chance(novel)
        limit = 0.001 / (n * (n - 1) / 2)  # the oracle knows the direction: one test per pair
        found_oracle = sum(oracle_p(pop, table, klass, c, s, share, 0) <= limit for c, s, share in klass.copied)
    return len(planted & flagged), len(planted), len(flagged - planted), found_oracle


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
    args = ap.parse_args()
    pop = population(ensure_population(args.population))
    print(f"population: {len(pop.codes)} students, {len(pop.items)} items ({int(pop.free_form.sum())} free-form)")
    for novel in args.novel:
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
