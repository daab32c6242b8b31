"""cProfile of one batch worker's work: every student of a class folder graded in this process
the way a forked worker grades them (the problem prepared and its reference graded first).

    .venv/bin/python bench/profile_class.py PROBLEM CLASS_DIR [--top 30] [--sort tottime]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("problem")
    ap.add_argument("folder")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--sort", default="tottime")
    ap.add_argument("--out", help="also dump the stats to this file")
    ap.add_argument("--no-profile", action="store_true", help="only time the students (no cProfile)")
    args = ap.parse_args(argv)
    from grader import batch

    start = time.perf_counter()
    job = batch.ClassJob(args.problem).prepare()
    entries, _ = batch.discover(Path(args.folder))
    ready = time.perf_counter()
    prof = cProfile.Profile()
    if not args.no_profile:
        prof.enable()
    outcomes = [job.grade(e) for e in entries]
    prof.disable()
    done = time.perf_counter()
    lost = sum(o.status == "error" for o in outcomes)
    print(f"prepare {ready - start:.2f} s; {len(entries)} students in {done - ready:.2f} s "
          f"({'not ' if args.no_profile else ''}profiled); {lost} not graded")
    if args.no_profile:
        return 0
    stats = pstats.Stats(prof).sort_stats(args.sort)
    stats.print_stats(args.top)
    if args.out:
        stats.dump_stats(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
