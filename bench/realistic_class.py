"""A synthetic class whose answers vary the way a real class's do, for benchmarks.

    .venv/bin/python bench/realistic_class.py PROBLEM N DEST [--seed S] [--most-distinct F]

Each of the N students (s0000.json ...) has an ability; for each part they write the right
answer (in one of many notations: the spec's reference, the example submissions' forms, the
spec's aliases, implicit or explicit products, ^T, ^\\top or ', \\cdot, spacing, per-student
rounding), an anticipated mistake of the spec, a slip of their own (a digit, a sign, a factor,
a number a little off), an answer taken from an example submission, or nothing. A real class
repeats answers too: issue #11 puts it at 30% to 70% of the answers to a part distinct. Parts
that notations and slips alone make more varied than 70% (long formulas, arrays of rounded
numbers: up to 92% before this bound) get classmates who hand in an answer another student
wrote, until at most 70% are distinct (`--most-distinct 1` leaves them as drawn). The figure
is printed per part. Deterministic: the same seed gives the same files.

What is right is decided by the grader later; this only writes what students might write.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------- numbers

def number_text(x: float, rng: random.Random) -> Any:
    """The same value as students write it: rounded to their taste, as a number or as text."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return x
    if float(x).is_integer() and abs(x) < 1e6:
        style = rng.random()
        if style < 0.55:
            return int(x)
        return rng.choice(["{}", "{}.0", "{}.00", " {}", "{} ", "${}$", "= {}", "{}.", "{:.1e}"]).format(
            float(x) if style > 0.97 else int(x))
    digits = rng.choice([2, 3, 3, 4, 4, 5, 6, 8, 17])
    rounded = float(f"{x:.{digits}g}")
    style = rng.random()
    if style < 0.7:
        return rounded
    if style < 0.85:
        return f"{x:.{digits}g}"
    if style < 0.95:
        return f"{x:.{max(1, digits - 1)}e}"
    return f"{x:.{digits}g}".replace("e", " \\times 10^{") + "}" if "e" in f"{x:.{digits}g}" else f"{rounded}"


def number_slip(x: float, rng: random.Random) -> Any:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return x
    kind = rng.random()
    if float(x).is_integer():
        if kind < 0.5:
            return int(x) + rng.choice([-2, -1, 1, 2])
        if kind < 0.7:
            return int(x) * 2
        return -int(x) if x else 1
    if kind < 0.5:
        return float(f"{x * (1 + rng.choice([-1, 1]) * rng.uniform(0.01, 0.3)):.4g}")
    if kind < 0.7:
        return float(f"{x * 10:.4g}")
    return float(f"{-x:.4g}")


def nested(value: Any, fn) -> Any:
    if isinstance(value, list):
        return [nested(v, fn) for v in value]
    return fn(value)


def array_slip(value: Any, rng: random.Random) -> Any:
    flat_positions = []

    def walk(v, path):
        if isinstance(v, list):
            for i, item in enumerate(v):
                walk(item, path + (i,))
        else:
            flat_positions.append(path)

    walk(value, ())
    if not flat_positions:
        return value
    target = rng.choice(flat_positions)
    out = json.loads(json.dumps(value))
    ref = out
    for i in target[:-1]:
        ref = ref[i]
    if target:
        ref[target[-1]] = number_slip(ref[target[-1]], rng)
    return out


# ---------------------------------------------------------------- formulas

def _sub_name(text: str, name: str, alias: str) -> str:
    return re.sub(rf"(?<![A-Za-z_\\]){re.escape(name)}(?![A-Za-z_0-9{{])", lambda _: alias, text)


def formula_variant(text: str, aliases: dict[str, list[str]], rng: random.Random) -> str:
    """The same formula in another student's notation."""
    t = text
    latex = "\\" in t
    for name, names in aliases.items():
        if names and rng.random() < 0.35:
            choices = [a for a in names if ("\\" in a) == latex or rng.random() < 0.3] or names
            t = _sub_name(t, name, rng.choice(choices))
    r = rng.random()
    if r < 0.25:
        t = re.sub(r"\s*\*\s*", " ", t)
    elif r < 0.35:
        t = re.sub(r"\s*\*\s*", " \\\\cdot ", t)
    elif r < 0.45:
        t = re.sub(r"\s*\*\s*", "*", t)
    r = rng.random()
    if r < 0.3:
        t = t.replace(".T", "'") if ".T" in t else t.replace("^\\top", "^T")
    elif r < 0.45:
        t = t.replace(".T", "^T") if ".T" in t else t.replace("^T", "^{\\top}")
    if rng.random() < 0.3:
        t = t.replace("@", " ") if rng.random() < 0.5 else t.replace(" @ ", "@")
    if latex and rng.random() < 0.3:
        t = t.replace("(", "\\left(").replace(")", "\\right)")
    if latex and rng.random() < 0.3:
        t = t.replace("\\frac", rng.choice(["\\dfrac", "\\tfrac"]))
    if latex and rng.random() < 0.25:
        t = re.sub(r"(\\[A-Za-z]+)(?![A-Za-z{])", lambda m: "{" + m.group(1) + "}"
                   if m.group(1) not in ("\\frac", "\\dfrac", "\\tfrac", "\\left", "\\right", "\\sqrt",
                                         "\\log", "\\max", "\\min", "\\cdot", "\\top") else m.group(1), t, count=1)
    if rng.random() < 0.2:
        t = t.replace(" ", rng.choice(["\\,", "\\ ", "  "]), rng.randint(1, 3)) if latex else t.replace(" ", "  ", 1)
    if rng.random() < 0.15:
        t = f"${t}$" if latex else f"({t})"
    r = rng.random()
    if r < 0.4:
        t = re.sub(r"\s*([+\-=])\s*", lambda m: f" {m.group(1)} ", t)
    elif r < 0.6:
        t = re.sub(r"\s+([+\-=/])\s+", lambda m: m.group(1), t)
    if rng.random() < 0.15:
        t = f"  {t} "
    return " ".join(t.split()) if rng.random() < 0.7 else t


def formula_slip(text: str, rng: random.Random) -> str:
    """A slip of the pen: a digit, a sign or a factor changed."""
    kind = rng.random()
    digits = [m.start() for m in re.finditer(r"\d", text)]
    signs = [m.start() for m in re.finditer(r"(?<=\s)[+-](?=\s)", text)]
    if kind < 0.4 and digits:
        i = rng.choice(digits)
        return text[:i] + rng.choice([str((int(text[i]) + 1) % 10), str(int(text[i]) * 2)]) + text[i + 1:]
    if kind < 0.7 and signs:
        i = rng.choice(signs)
        return text[:i] + ("+" if text[i] == "-" else "-") + text[i + 1:]
    return f"2*({text})" if "\\" not in text else f"2\\left({text}\\right)"


# ---------------------------------------------------------------- prose

OPENERS = ["", "", "", "I think ", "Answer: ", "Because ", "We get that ", "In short, ", "So "]
CLOSERS = ["", "", ".", " (see write-up)", "!", " -- see my notes", " I believe.", " as shown in class."]


def prose_variant(text: str, rng: random.Random) -> str:
    """The same idea in another student's words: cut short, framed, a typo or two."""
    words = text.split()
    if words and rng.random() < 0.6:
        words = words[: rng.randint(max(1, len(words) // 2), len(words))]
    for _ in range(rng.choice([0, 0, 1, 2])):
        if words:
            i = rng.randrange(len(words))
            w = words[i]
            if len(w) > 3:
                j = rng.randrange(len(w) - 1)
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    out = rng.choice(OPENERS) + " ".join(words) + rng.choice(CLOSERS)
    return out.lower() if rng.random() < 0.1 else out


# ---------------------------------------------------------------- the class

# Issue #11: in a real class 30-70% of the answers to a part are distinct. Notations and slips
# alone put a long formula or an array of rounded numbers above that; classmates sharing
# answers brings those parts down to it (write_class).
MOST_DISTINCT = 0.70

def part_pools(problem, examples: list[dict]) -> dict[str, dict[str, Any]]:
    """Per part: the reference answer, the declared mistakes' values, the examples' answers."""
    from grader.reference import References
    from grader.session import GradingSession

    refs = References(problem, GradingSession())
    right, _ = refs.answers()
    pools = {}
    for part in problem.parts:
        mistakes = []
        for m in part.mistakes:
            try:
                value = refs.mistake_value(m)
                ctx = refs.context(part)
                mistakes.append(part.kind.example(part.kind.expected(value, ctx), ctx))
            except Exception:  # noqa: BLE001 - a mistake we cannot write is left out
                continue
        options = part.options or {}
        aliases = {}
        for name, var in (options.get("variables") or {}).items():
            if isinstance(var, dict):
                aliases[name] = [str(a) for a in (var.get("aliases") or [])]
        labels = [str(o.get("label")) for o in (options.get("options") or []) if isinstance(o, dict)]
        pools[part.id] = {
            "type": part.type, "right": right.get(part.id), "mistakes": mistakes, "aliases": aliases,
            "examples": [ex[part.id] for ex in examples if part.id in ex], "labels": labels,
        }
    return pools


def answer(pool: dict[str, Any], ability: float, rng: random.Random) -> Any:
    """One student's answer to one part, or None for a blank."""
    kind, right = pool["type"], pool["right"]
    roll = rng.random()
    if roll < 0.06 or (kind == "manual" and roll < 0.2):
        return None
    if kind in ("manual", "text", "code") or right is None:
        if not pool["examples"]:
            return None
        text = rng.choice(pool["examples"])
        if isinstance(text, str) and rng.random() < 0.7:
            text = prose_variant(text, rng)
        return text
    roll = rng.random()
    if roll < ability * 0.85:  # right, in their own notation
        if kind in ("expression", "matrix_expression"):
            forms = [right] + [e for e in pool["examples"] if isinstance(e, str)]
            return formula_variant(rng.choice(forms), pool["aliases"], rng)
        if kind in ("choice",):
            return rng.choice(["{}", "{}", "{}", "{}", "{}".lower(), " {}", "({})", "{})", "Option {}"]).format(right) \
                if isinstance(right, str) else right
        if kind == "multi":
            items = list(right) if isinstance(right, list) else [right]
            rng.shuffle(items)
            return items if rng.random() < 0.7 else ", ".join(map(str, items))
        if kind == "shape":
            return right if rng.random() < 0.8 else " x ".join(map(str, right))
        return nested(right, lambda x: number_text(x, rng))
    roll = rng.random()
    if roll < 0.35 and pool["mistakes"]:
        wrong = rng.choice(pool["mistakes"])
        if kind in ("expression", "matrix_expression") and isinstance(wrong, str):
            return formula_variant(wrong, pool["aliases"], rng)
        return nested(wrong, lambda x: number_text(x, rng)) if kind in ("number", "array") else wrong
    if roll < 0.55 and pool["examples"]:
        seen = rng.choice(pool["examples"])
        if kind in ("expression", "matrix_expression") and isinstance(seen, str):
            return formula_variant(seen, pool["aliases"], rng)
        return seen
    if kind in ("expression", "matrix_expression"):
        forms = [right] + [e for e in pool["examples"] if isinstance(e, str)]
        return formula_slip(formula_variant(rng.choice(forms), pool["aliases"], rng), rng)
    if kind in ("choice", "multi"):
        labels = pool["labels"] or ["A", "B", "C", "D"]
        if kind == "choice":
            return rng.choice(labels)
        return sorted(rng.sample(labels, rng.randint(1, len(labels))))
    if kind == "shape":
        return array_slip(right, rng)
    if kind == "array":
        return nested(array_slip(right, rng), lambda x: number_text(x, rng))
    return number_slip(right, rng)


def write_class(problem_id: str, n: int, dest: Path, seed: int = 7,
                most_distinct: float = MOST_DISTINCT) -> dict[str, float]:
    """Write n students' JSON files into dest; returns the distinct fraction per part.

    A part whose notations and slips alone make more than `most_distinct` of its answers
    distinct (a long formula, an array of rounded numbers) is brought down to it by classmates
    who hand in an answer another student of the class wrote (a study group, a shared solution):
    each of its answers is replaced, with the part's probability, by one drawn from the answers
    written before. The other parts' answers are those of the class without it, byte for byte."""
    from grader.spec import load_problem

    problem = load_problem(problem_id)
    examples = []
    for path in sorted((ROOT / "submissions_example" / problem.id).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        examples.append(data.get("answers", data) if isinstance(data, dict) else {})
    pools = part_pools(problem, examples)
    students = _draw(pools, n, seed, {})
    shared: dict[str, float] = {}
    for _ in range(8):  # copies collide with each other and with fresh answers: a few rounds
        over = {pid: d for pid, d in distinct_fractions(students).items() if d > most_distinct}
        if not over:
            break
        for pid, d in over.items():
            kept = (1.0 - shared.get(pid, 0.0)) * most_distinct / d
            shared[pid] = 1.0 - kept * 0.995  # just under the bound, not on it
        students = _draw(pools, n, seed, shared)
    dest.mkdir(parents=True, exist_ok=True)
    for i, answers in enumerate(students):
        (dest / f"s{i:04d}.json").write_text(json.dumps({"answers": answers}), encoding="utf-8")
    return distinct_fractions(students)


def _draw(pools: dict[str, dict[str, Any]], n: int, seed: int, shared: dict[str, float]) -> list[dict[str, Any]]:
    """n students' answers; `shared`: part id -> the probability that an answer is a classmate's."""
    rng = random.Random(seed)
    # a stream of its own per part: parts without sharing come out unchanged, and one part's
    # sharing does not move another's
    group = {pid: random.Random(f"{seed}:{pid}") for pid in shared}
    written: dict[str, list[Any]] = {pid: [] for pid in pools}
    students = []
    for _ in range(n):
        ability = rng.betavariate(3, 1.6)
        answers = {}
        for pid, pool in pools.items():
            got = answer(pool, ability, rng)  # drawn in any case: the stream stays the same
            if got is not None and written[pid] and pid in group and group[pid].random() < shared[pid]:
                got = group[pid].choice(written[pid])
            if got is not None:
                answers[pid] = got
                written[pid].append(got)
        students.append(answers)
    return students


def distinct_fractions(students: list[dict[str, Any]]) -> dict[str, float]:
    """Per part: distinct answers (as JSON) over answers given."""
    seen: dict[str, set[str]] = {}
    count: dict[str, int] = {}
    for answers in students:
        for pid, got in answers.items():
            seen.setdefault(pid, set()).add(json.dumps(got, sort_keys=True))
            count[pid] = count.get(pid, 0) + 1
    return {pid: len(seen[pid]) / count[pid] for pid in seen}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("problem")
    ap.add_argument("n", type=int)
    ap.add_argument("dest")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--most-distinct", type=float, default=MOST_DISTINCT,
                    help="the largest fraction of a part's answers that are distinct (default 0.70, as "
                         "issue #11 describes a real class; 1 for notations and slips alone)")
    args = ap.parse_args(argv)
    distinct = write_class(args.problem, args.n, Path(args.dest), args.seed, args.most_distinct)
    for pid, frac in distinct.items():
        print(f"{pid:>12}  {frac * 100:5.1f}% distinct")
    auto = [v for v in distinct.values() if v]
    print(f"mean over answered parts: {sum(auto) / max(1, len(auto)) * 100:.1f}% distinct")
    return 0


if __name__ == "__main__":
    sys.exit(main())
