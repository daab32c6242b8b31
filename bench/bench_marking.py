"""Benchmark of the marking app with a class of 1,000: how long the real server (waitress, over
HTTP on 127.0.0.1) takes to open a hand-graded part (every answer group, rendered) and to apply
a mark (to one student, and to the largest answer group), and to edit a rubric item that is
applied to many students. Target: each well under 200 ms.

    .venv/bin/python bench/bench_marking.py            # 1,000 students
    .venv/bin/python bench/bench_marking.py --n 3000
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.marking_class import grade_class, write_class  # noqa: E402

TOKEN = "bench-token"


CPU: dict[str, list[float]] = {}  # request kind -> the server thread's CPU ms (Server-Timing)


def _req(port: int, path: str, body=None, kind: str | None = None) -> tuple[float, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 headers={"X-Token": TOKEN, "X-Grader": "bench", "Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as resp:
        payload = resp.read()
        timing = resp.headers.get("Server-Timing", "")
    elapsed = (time.perf_counter() - t0) * 1000
    if kind:
        cpu = re.search(r"cpu;dur=([0-9.]+)", timing)
        CPU.setdefault(kind, []).append(float(cpu.group(1)) if cpu else float("nan"))
    return elapsed, json.loads(payload)


def _stats(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    return f"median {statistics.median(xs):6.1f} ms  p95 {p95:6.1f} ms  max {xs[-1]:6.1f} ms  (n={len(xs)})"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()
    from grader.marking.server import Running

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        subs = write_class(tmp / "subs", args.n)
        results = grade_class(subs, tmp / "results")
        print(f"class of {args.n} written and graded in {time.perf_counter() - t0:.1f} s "
              f"(database {(results / 'gradebook.sqlite').stat().st_size // 1024} KiB)")
        running = Running(results, TOKEN).start()
        try:
            port = running.port
            open_ms, big_ms, one_ms, edit_ms, open_marks_ms = [], [], [], [], []
            parts = ["3.1", "3.3", "4.3", "5.2", "7.1", "8.4"]
            for i in range(args.reps):
                part = parts[i % len(parts)]
                ms, view = _req(port, f"/api/part?part={part}", kind="open")
                open_ms.append(ms)
                ms, _ = _req(port, f"/api/part/marks?part={part}", kind="poll")
                open_marks_ms.append(ms)
                item = view["rubric"][0]
                big = view["groups"][0]
                ms, _ = _req(port, f"/api/apply?part={part}",
                             {"students": [s["student"] for s in big["students"]], "item": item["id"], "on": i % 2 == 0},
                             kind="big")
                big_ms.append(ms)
                one = view["groups"][-1]["students"][0]["student"]
                ms, _ = _req(port, f"/api/apply?part={part}", {"students": [one], "item": item["id"], "on": True},
                             kind="one")
                one_ms.append(ms)
                _, fresh = _req(port, f"/api/part/marks?part={part}")
                cur = next(r for r in fresh["rubric"] if r["id"] == item["id"])
                ms, _ = _req(port, f"/api/item?part={part}", {"id": item["id"], "points": cur["points"],
                                                              "version": cur["version"]}, kind="edit")
                edit_ms.append(ms)
            sizes = [len(_req(port, f"/api/part?part={p}")[1]["groups"]) for p in parts]
            print(f"answer groups per part: {sizes}; largest group {len(big['students'])} students")
            print(f"open a part (answers, groups, marks)   {_stats(open_ms)}")
            print(f"poll a part's marks                    {_stats(open_marks_ms)}")
            print(f"apply an item to the largest group     {_stats(big_ms)}")
            print(f"apply an item to one student           {_stats(one_ms)}")
            print(f"edit an item (re-scores who has it)    {_stats(edit_ms)}")
            print("server thread CPU time per request (Server-Timing; what load does not inflate):")
            for kind, label in (("open", "open a part"), ("poll", "poll marks"), ("big", "apply to largest group"),
                                ("one", "apply to one student"), ("edit", "edit an item")):
                print(f"  {label:<24} {_stats(CPU.get(kind, [float('nan')]))}")
            t0 = time.perf_counter()
            running.refresher.flush()
            from grader.gradebook_views import refresh

            t0 = time.perf_counter()
            refresh(results, everything=True)
            print(f"rewrite every file from the database (gradebook, {args.n} reports, exports): "
                  f"{(time.perf_counter() - t0) * 1000:.0f} ms (in the background, after marks)")
        finally:
            running.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
