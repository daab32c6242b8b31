"""A synthetic class of uva-dl1-resit-2022 for the marking tests and bench: the example
full-credit answers, with each hand-graded part's answer drawn from a few variants (so answers
group), and some students' answers hostile (script tags, event handlers, javascript: URLs, SVG)."""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "uva-dl1-resit-2022"
BASE = ROOT / "submissions_example" / "uva-dl1-resit-2022" / "full-credit.json"
MANUAL = ["3.1", "3.2", "3.3", "4.1", "4.2", "4.3", "4.4", "4.5", "5.1", "5.2", "5.3", "7.1", "7.2",
          "8.1", "8.2", "8.3", "8.4"]
HOSTILE = [
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    "[click](javascript:alert(1)) <a href=\"javascript:document.title='pwned'\">link</a>",
    "<svg onload=\"document.title='pwned'\"><circle r=5/></svg>",
    "$\\href{javascript:alert(1)}{x}$ and $\\htmlId{x}{y}$",
]
VARIANTS = [
    "Permutation invariant: the order of the inputs does not matter, e.g. $\\sum_i h_i$.",
    "It should be differentiable.",
    "It must be invariant to permutations of the neighbours:  the order doesn't change $f(x)$.",
    "```python\ndef agg(h):\n    return h.sum(0)\n```\nsum is permutation invariant",
    "",
]


def write_class(folder: Path, n: int, seed: int = 0, hostile: bool = True) -> Path:
    """n students s0000... in `folder`; returns it."""
    rng = random.Random(seed)
    base = json.loads(BASE.read_text(encoding="utf-8"))["answers"]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        answers = dict(base)
        for pid in MANUAL:
            pick = rng.random()
            if hostile and i % 50 == 7:
                answers[pid] = HOSTILE[(i // 50 + MANUAL.index(pid)) % len(HOSTILE)]
            elif pick < 0.85:
                answers[pid] = VARIANTS[rng.randrange(len(VARIANTS))] if pid == "3.1" else \
                    f"{pid}: answer variant {rng.randrange(6)}"
            else:
                answers[pid] = f"{pid}: an answer of my own, number {i}"
        (folder / f"s{i:04d}.json").write_text(json.dumps({"answers": answers}), encoding="utf-8")
    return folder


def grade_class(subs: Path, out: Path, jobs: int = 2) -> Path:
    from grader.cli import main

    assert main(["grade", str(PROBLEM), str(subs), "--batch", "--out", str(out), "--jobs", str(jobs),
                 "--no-progress"]) == 0
    return out
