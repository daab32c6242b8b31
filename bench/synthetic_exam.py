"""Synthetic classes of an exam, for the class report's tests and benchmarks.

Two kinds:

- `independent_class`: every answer is drawn at random from the problem's example submissions,
  whatever the student: no part can tell strong students from weak ones (the null case for
  "strong students fail it").
- `ability_class`: each student has an ability; each automatically graded part has a difficulty
  and a discrimination (a two-parameter logistic model), so strong students answer right more
  often. A wrong answer is a common one (a distractor, a typical mistake from the examples or
  the spec's anticipated mistakes) or, now and then, a rare one of the student's own; some
  answers are left blank. Optionally, planted copiers copy a share of another student's
  answers, wrong ones included.

`draw_students` returns the answers (and an approximate score) without writing files, for the
copying benchmark that needs thousands of classes.

    .venv/bin/python bench/synthetic_exam.py uva-dl1-resit-2022 1000 /tmp/class --copiers 3
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _examples(problem_id: str) -> dict[str, dict[str, Any]]:
    folder = ROOT / "submissions_example" / problem_id
    out = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[path.stem] = data.get("answers", data) if isinstance(data, dict) else {}
    return out


def independent_class(problem_id: str, n: int, dest: Path, seed: int = 1) -> None:
    """n students; each part's answer from a random example submission, independent of anything
    (the class bench_batch.py times)."""
    from bench_batch import class_from_examples

    class_from_examples(problem_id, n, dest, seed)


@dataclass
class PartModel:
    id: str
    points: float
    right: list[Any]
    common: list[Any]  # common wrong answers, most popular first
    rare: Any  # rare(rng) -> a wrong answer of the student's own
    a: float = 1.0
    b: float = 0.0


@dataclass
class Drawn:
    answers: dict[str, dict[str, Any]]  # student -> answers
    score: dict[str, float]  # student -> approximate score (right answers' points)
    right: dict[str, dict[str, bool]] = field(default_factory=dict)
    copied: list[tuple[str, str]] = field(default_factory=list)  # (copier, source)


def _rare_maker(part, right: list[Any]):
    if part.type == "number":
        return lambda rng: rng.choice([rng.randint(5, 60), round(rng.uniform(0.01, 9.99), 2)])
    base = next((r for r in right if isinstance(r, str)), "x")
    return lambda rng: f"({base})*{rng.randint(3, 97)}"


def part_models(problem_id: str, seed: int = 5) -> list[PartModel]:
    """A model of every automatically graded part: right answers, common and rare wrong ones."""
    from grader.spec import load_problem

    problem = load_problem(problem_id)
    examples = _examples(problem_id)
    rng = random.Random(seed)
    models = []
    for part in problem.parts:
        if part.type == "manual":
            continue
        full = [ex[part.id] for name, ex in sorted(examples.items()) if name.startswith("full") and part.id in ex]
        typical = [ex[part.id] for name, ex in sorted(examples.items())
                   if not name.startswith("full") and part.id in ex]
        if part.type in ("choice", "multi"):
            opts = part.options.get("options") or []
            labels = [str(o["label"]) if isinstance(o, dict) else str(o) for o in opts]
            pts = {str(o["label"]): float(o.get("points") or 0) for o in opts if isinstance(o, dict)}
            if part.type == "choice":
                top = max(pts.values()) if pts else 0
                right = [lab for lab in labels if pts.get(lab, 0) >= top > 0] or full[:1]
                common = [lab for lab in labels if lab not in right]
                rng.shuffle(common)  # popularity order of the distractors
                rare = (lambda wrong: (lambda r: r.choice(wrong)))(common or labels)
            else:
                key = sorted(lab for lab in labels if pts.get(lab, 0) > 0)
                right = [key]
                flips = []
                for lab in labels:  # one option too many or too few
                    sel = sorted(set(key) ^ {lab})
                    if sel:
                        flips.append(sel)
                rng.shuffle(flips)
                common = [t for t in typical if sorted(t) != key] + flips
                rare = (lambda labs: (lambda r: sorted(r.sample(labs, r.randint(1, len(labs))))))(labels)
        else:
            right = full or [None]
            common = list(typical)
            for m in part.mistakes:
                if m.value is not None and m.value not in common:
                    common.append(m.value)
            rare = _rare_maker(part, right)
        models.append(PartModel(part.id, float(part.points), right, common, rare,
                                a=rng.uniform(0.8, 2.0), b=rng.uniform(-1.2, 1.2)))
    return models


def draw_students(models: list[PartModel], n: int, seed: int, copiers: int = 0,
                  copy_share: float | list[float] = 0.3, blank: float = 0.06, rare: float = 0.15) -> Drawn:
    """n students of normally distributed ability; `copiers` of them copy `copy_share` of the
    answers of another student (a random one), wrong answers included (a list: one share per
    copier)."""
    rng = random.Random(seed)
    out = Drawn({}, {}, {})
    ids = [f"s{i:04d}" for i in range(n)]
    for sid in ids:
        theta = rng.gauss(0, 1)
        answers, right = {}, {}
        for m in models:
            p = 1 / (1 + math.exp(-1.7 * m.a * (theta - m.b)))
            if rng.random() < p:
                answers[m.id], right[m.id] = rng.choice(m.right), True
                continue
            right[m.id] = False
            u = rng.random()
            if u < blank:
                continue
            if u < blank + rare or not m.common:
                answers[m.id] = m.rare(rng)
            else:  # popularity falls off with rank: 1, 1/2, 1/3 ...
                weights = [1 / (k + 1) for k in range(len(m.common))]
                answers[m.id] = rng.choices(m.common, weights)[0]
        out.answers[sid], out.right[sid] = answers, right
    order = ids[:]
    rng.shuffle(order)
    shares = copy_share if isinstance(copy_share, list) else [copy_share] * copiers
    for k in range(min(len(shares), n // 2)):
        copier, source = order[2 * k], order[2 * k + 1]
        given = sorted(out.answers[source])
        for pid in rng.sample(given, round(shares[k] * len(given))):
            out.answers[copier][pid] = out.answers[source][pid]
            out.right[copier][pid] = out.right[source][pid]
        out.copied.append((copier, source))
    for sid in ids:
        out.score[sid] = sum(m.points for m in models if out.right[sid].get(m.id))
    return out


def ability_class(problem_id: str, n: int, dest: Path, seed: int = 1, copiers: int = 0,
                  copy_share: float | list[float] = 0.3, manual_text: bool = True) -> Drawn:
    """Write n students' JSON submissions into dest; returns what was drawn (with the copiers)."""
    drawn = draw_students(part_models(problem_id), n, seed, copiers=copiers, copy_share=copy_share)
    texts = {}
    if manual_text:  # the examples' answers to hand-graded parts, for some students
        for ex in _examples(problem_id).values():
            for pid, value in ex.items():
                if isinstance(value, str) and len(value) > 40:
                    texts.setdefault(pid, value)
    rng = random.Random(seed + 1)
    dest.mkdir(parents=True, exist_ok=True)
    for sid, answers in drawn.answers.items():
        data = dict(answers)
        for pid, text in texts.items():
            if pid not in data and rng.random() < 0.5:
                data[pid] = text
        (dest / f"{sid}.json").write_text(json.dumps({"answers": data}, sort_keys=True), encoding="utf-8")
    return drawn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("problem")
    ap.add_argument("n", type=int)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--copiers", type=int, default=0)
    ap.add_argument("--copy-share", type=float, nargs="+", default=[0.3],
                    help="share of the source's answers each copier copies (one value, or one per copier)")
    ap.add_argument("--independent", action="store_true", help="answers independent of ability")
    args = ap.parse_args()
    if args.independent:
        independent_class(args.problem, args.n, args.dest, args.seed)
        return
    shares = args.copy_share if len(args.copy_share) > 1 else args.copy_share[0]
    drawn = ability_class(args.problem, args.n, args.dest, args.seed, copiers=args.copiers, copy_share=shares)
    for copier, source in drawn.copied:
        print(f"planted: {copier} copied from {source}")


if __name__ == "__main__":
    main()
