"""Statistics of a graded class, read back from the JSON reports that `--batch --out` wrote.

Everything here is plain data for the class report (HTML or JSON): per-part item analysis
(grader/item_stats.py), the most common wrong answers (and the anticipated mistake each
matches), how often each option of a choice part was picked by strong, middling and weak
students, parts that look miskeyed or do not discriminate, the exam's reliability and score
distribution, and pairs of students whose identical answers are far beyond chance
(grader/copying.py). Students are ranked by their score on the *other* parts, so a bad key
does not hide itself.

Hand-graded parts join the statistics once every answer to them is marked: a report entry
whose status is `correct`, `partial` or `incorrect` (or that says `"marked": true`) carries
the marker's points; an entry still `manual` means the part is waiting for its marks.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grader.templates import placeholders

MANIFEST = "_batch.json"
WRONG = ("incorrect", "partial", "invalid")
STATUS_ORDER = ("correct", "partial", "incorrect", "invalid", "missing", "manual", "error")
MARKED = ("correct", "partial", "incorrect")
DEFAULT_PASS = "50%"
MAX_GUESS_OPTIONS = 12  # a multi part with more options gets no random guess score (4095 selections)


@dataclass
class Student:
    """One student's report as the statistics read it (``total`` None for grader errors)."""
    id: str
    status: str  # graded | unreadable | error
    total: float | None
    parts: dict[str, dict[str, Any]]  # part id -> the report's part entry


@dataclass
class WrongAnswer:
    """A frequent wrong answer of a part, with how many gave it and how many of those are strong students."""
    shown: str
    count: int
    top_count: int  # how many of them are in the upper group (top 27 % on the other parts)
    matches: str  # the anticipated mistake it matches, or how it was credited, or ""
    example_feedback: str


@dataclass
class OptionStats:
    """How one choice option was picked, by whom, and whether a distractor attracts strong students."""
    label: str
    text: str
    credit: float  # the option's points as a fraction of the part's (negative: a penalty)
    keyed: bool  # a right option (full or partial credit; for multi: one to select)
    count: int  # students who picked it
    share: float
    by_group: list[float]  # share picking it in the top, middle and bottom third (other parts)
    r_rest: float | None  # correlation of picking it with the score on the other parts
    p_strong: float | None = None  # distractors: one-sided p of r_rest > 0, Holm over the exam's distractors
    note: str = ""  # "attracts strong students", "nobody picks it"


@dataclass
class PartStats:
    """One part's class statistics: score spread, frequent wrong answers, option use and item analysis."""
    id: str
    title: str
    type: str
    max_score: float
    n: int
    mean: float
    std: float
    correct_rate: float
    class_credit: float  # mean fraction of the points
    top_credit: float | None  # the same, for the upper 27 % on the other parts
    bottom_credit: float | None
    statuses: dict[str, int]
    wrong: list[WrongAnswer] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    counted: bool = False  # in the item analysis and the exam's statistics
    note: str = ""  # why not counted
    item: Any = None  # grader.item_stats.ItemStats
    random_guess: float | None = None  # fraction of the points
    options: list[OptionStats] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)  # parts tied to it by `uses`


@dataclass
class ClassStats:
    """Everything the class report shows about one problem's results folder."""
    problem_id: str
    title: str
    max_score: float
    students: list[Student]
    parts: list[PartStats]
    warnings: list[str] = field(default_factory=list)
    exam: Any = None  # grader.item_stats.ExamStats
    pass_mark_text: str = DEFAULT_PASS
    copying: Any = None  # grader.copying.CopyingResult
    option_tests: int = 0  # distractors tested for "attracts strong students"

    @property
    def graded(self) -> list[Student]:
        """Students whose reports were graded (errors and unreadable reports left out of the statistics)."""
        return [s for s in self.students if s.status == "graded"]

    @property
    def counted_parts(self) -> list[PartStats]:
        """Parts included in the item analysis and the exam's statistics."""
        return [p for p in self.parts if p.counted]


def load_students(folder: Path) -> tuple[list[Student], list[str]]:
    """The students of a results folder (its index when present, else every report in it)."""
    warnings: list[str] = []
    index = folder / MANIFEST
    listed: list[tuple[str, str | None]] = []
    if index.is_file():
        try:
            data = json.loads(index.read_text(encoding="utf-8"))
            listed = [(s["file"], s.get("status")) for s in data["students"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            warnings.append(f"{MANIFEST} could not be read ({exc}); reading every report instead")
    if not listed:
        listed = [(p.name, None) for p in sorted(folder.glob("*.json")) if p.name != MANIFEST]
    students = []
    for name, status in listed:
        path = folder / name
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            parts = {str(p["id"]): p for p in report["parts"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            warnings.append(f"{name}: not a report ({type(exc).__name__}); left out")
            continue
        if status is None:
            status = "unreadable" if report.get("fatal") else "graded"
            if report.get("fatal") and all(p.get("status") == "error" for p in parts.values()):
                status = "error"
        total = None if status == "error" else report.get("score")
        students.append(Student(str(report.get("student") or Path(name).stem), status, total, parts))
    students.sort(key=lambda s: s.id)
    return students, warnings


def points(entry: dict[str, Any] | None) -> float:
    """A part's points from a report entry; anything that is not a finite number is 0."""
    try:
        value = float((entry or {}).get("score") or 0)
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def credit(entry: dict[str, Any] | None) -> float:
    """A part's score as a fraction of its points (0-point parts: 1 when correct)."""
    if not entry:
        return 0.0
    top = float(entry.get("max_score") or 0)
    if top <= 0:
        return 1.0 if entry.get("status") == "correct" else 0.0
    return max(0.0, min(1.0, points(entry) / top))


def parse_pass_mark(text: str | float | None, max_points: float) -> float:
    """`55%` of the counted points, or `27.5` points; raises ValueError with the reason."""
    text = DEFAULT_PASS if text is None else str(text).strip()
    try:
        if text.endswith("%"):
            share = float(text[:-1])
            if not 0 <= share <= 100:
                raise ValueError
            return max_points * share / 100
        value = float(text)
        if not math.isfinite(value) or value < 0:
            raise ValueError
        return value
    except ValueError:
        raise ValueError(f"--pass-mark {text!r}: expected points (27.5) or a percentage of the "
                         f"points counted (55%)") from None


def analyse(problem, folder: Path, pass_mark: str | float | None = None, copying: bool = True) -> ClassStats:
    """The statistics of a results folder graded with ``problem``: students ranked by their other parts,
    item analysis per counted part and (with ``copying``) shared unusual answers."""
    import numpy as np

    from grader import item_stats

    students, warnings = load_students(folder)
    graded = [s for s in students if s.status == "graded"]
    ids = {p.id for p in problem.parts}
    extra = sorted({pid for s in graded for pid in s.parts} - ids)
    if extra:
        warnings.append(f"reports have parts that are not in {problem.id}: {', '.join(extra)} "
                        f"(graded with another version of the spec?)")
    warnings.extend(_grader_failures(problem, graded))
    parts = [_basic_stats(part, graded) for part in problem.parts]
    counted = [(part, st) for part, st in zip(problem.parts, parts) if st.counted]
    stats = ClassStats(problem.id, problem.title, float(problem.total), students, parts, warnings,
                       pass_mark_text=str(pass_mark) if pass_mark is not None else DEFAULT_PASS)
    student_ids = [s.id for s in graded]
    scores = np.array([[points(s.parts.get(part.id)) for part, _ in counted] for s in graded],
                      dtype=float).reshape(len(graded), len(counted))
    maxes = np.array([float(part.points) for part, _ in counted], dtype=float)
    groups = _linked_groups(problem)
    position = {part.id: j for j, (part, _) in enumerate(counted)}
    linked = [{position[q] for q in groups[part.id] if q in position} for part, _ in counted]
    items = item_stats.item_statistics(scores, maxes, student_ids, linked) if counted else []
    total = scores.sum(axis=1)
    for j, ((part, st), item) in enumerate(zip(counted, items)):
        st.item = item
        st.linked = sorted(q for q in groups[part.id] if q != part.id)
        rest = total - scores[:, sorted(linked[j])].sum(axis=1)
        order = item_stats.ranked(rest, student_ids)
        g = max(1, round(item_stats.UPPER_LOWER * len(graded)))
        top = [graded[i] for i in order[:g]]
        if len(graded) >= 4:
            st.top_credit, st.bottom_credit = item.upper, item.lower
        st.random_guess = random_guess(part, problem)
        if not part.kind.by_hand:
            st.wrong = _wrong_answers(part, graded, {s.id for s in top})
        if part.kind.selects:
            st.options = _option_stats(part, problem, graded, rest, order)
    stats.option_tests = _flag_options(parts)
    for st in parts:
        if st.counted:
            st.flags = _flags(st, len(counted), max(1, round(item_stats.UPPER_LOWER * len(graded))))
    top_points = float(maxes.sum())
    mark = parse_pass_mark(pass_mark, top_points)
    if counted:
        stats.exam = item_stats.exam_statistics(scores, maxes, mark)
        if mark > top_points + 1e-9:
            warnings.append(f"the pass mark ({mark:g} points) is above the {top_points:g} points counted "
                            f"so far: nobody can pass until the hand-graded parts are marked")
    if copying:
        stats.copying = _copying(problem, graded, total, groups)
    return stats


def _grader_failures(problem, graded: list[Student]) -> list[str]:
    """Parts the grader failed on (a reference solver that raises for some students' numbers):
    named with their students, who are to be regraded once the spec is fixed."""
    out = []
    for part in problem.parts:
        failed = [s.id for s in graded if (s.parts.get(part.id) or {}).get("status") == "error"]
        if failed:
            shown = ", ".join(failed[:10]) + (f" and {len(failed) - 10} more" if len(failed) > 10 else "")
            out.append(f"part {part.id}: not graded for {len(failed)} student(s) because the grader failed "
                       f"on it (their reports and the gradebook note say why): {shown}; fix the spec, "
                       f"then regrade them with `grader grade {problem.id} DIR --batch --out RESULTS "
                       f"--only ID...`")
    return out


def _basic_stats(part, graded: list[Student]) -> PartStats:
    entries = [s.parts.get(part.id) for s in graded]
    scores = [points(e) for e in entries]
    credits = [credit(e) for e in entries]
    n = len(graded)
    mean = sum(scores) / n if n else 0.0
    std = math.sqrt(sum((x - mean) ** 2 for x in scores) / n) if n else 0.0
    statuses = {st: 0 for st in STATUS_ORDER}
    for e in entries:
        st = (e or {}).get("status", "missing")
        statuses[st] = statuses.get(st, 0) + 1
    stats = PartStats(
        id=part.id, title=placeholders(part.title), type=part.type, max_score=float(part.points), n=n, mean=mean,
        std=std, correct_rate=statuses["correct"] / n if n else 0.0,
        class_credit=sum(credits) / n if n else 0.0, top_credit=None, bottom_credit=None,
        statuses=statuses,
    )
    if n == 0:
        stats.note = "no graded students"
    elif part.points <= 0:
        stats.note = "worth 0 points (practice): not part of the score"
    elif part.kind.by_hand:
        marked = sum(1 for e in entries if e and (e.get("status") in MARKED or e.get("marked")))
        waiting = sum(1 for e in entries if e and e.get("status") == "manual" and not e.get("marked"))
        if waiting or not marked:
            stats.note = (f"hand-graded, not marked yet ({marked} of {marked + waiting} answers marked): "
                          f"joins the statistics once every answer is marked")
        else:
            stats.counted = True
    else:
        stats.counted = True
    return stats


def _linked_groups(problem) -> dict[str, set[str]]:
    """Each part -> the parts tied to it by `uses`, directly or through others (itself included)."""
    group = {p.id: {p.id} for p in problem.parts}
    for p in problem.parts:
        for other in (p.uses or {}).values():
            if other in group and group[other] is not group[p.id]:
                merged = group[p.id] | group[other]
                for q in merged:
                    group[q] = merged
    return group


def random_guess(part, problem) -> float | None:
    """The mean fraction of the points a student picking at random earns: every option of a
    choice part equally likely (Moodle's definition), every non-empty selection of a multi part
    equally likely, each pick marked as the engine marks it (the part's scoring, then its
    partial-credit tiers and anticipated mistakes)."""
    if not part.kind.selects:
        return None
    from grader.types.labels import choices

    kind = part.kind
    ctx = part.context(problem.spec_source)
    try:
        expected = kind.expected(part.answer.get("value"), ctx)
        labels = [c.label for c in choices(ctx)]
        if not labels:
            return None
        if kind.selects == "one":
            picks: list = labels
        elif len(labels) <= MAX_GUESS_OPTIONS:
            picks = [frozenset(c) for r in range(1, len(labels) + 1) for c in itertools.combinations(labels, r)]
        else:
            return None
        tiers = [(t.credit, part.context(problem.spec_source, options=t.options)) for t in part.tiers]
        mistakes = [(m.credit, kind.expected(m.value, ctx)) for m in part.mistakes
                    if m.value is not None and not m.solver]
        return sum(_pick_credit(kind, ctx, p, expected, tiers, mistakes) for p in picks) / len(picks)
    except Exception:  # an invalid spec is validate's business; the report just has no figure
        return None


def _pick_credit(kind, ctx, pick, expected, tiers, mistakes) -> float:
    """A pick's fraction as grader/engine.py's _best_mark gives it: the part's own scoring; else
    the best tier (its credit times the tier's scoring); an anticipated mistake it matches
    replaces a tier's credit, or a lower one (carried-forward errors do not apply to a guess)."""
    best = kind.compare(pick, expected, ctx).fraction
    if best >= 1:
        return best
    via_tier = False
    for credit, tctx in tiers:
        fraction = credit * kind.compare(pick, expected, tctx).fraction
        if fraction > best:
            best, via_tier = fraction, True
    for credit, wrong in mistakes:
        if kind.compare(pick, wrong, ctx).fraction >= 1 and (credit >= best or via_tier):
            best, via_tier = credit, False
    return best


def _shown(answer: Any) -> str:
    try:
        text = json.dumps(answer, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(answer)
    return text if len(text) <= 120 else text[:117] + "..."


def _feedback_pattern(template: str):
    """A feedback template as a regex: its literal text, anything where a parameter goes
    (each variant's feedback shows that student's numbers)."""
    import re

    if not template:
        return None
    pieces = re.split(r"\{\{.*?\}\}|\{%.*?%\}", template, flags=re.S)
    return re.compile(".*?".join(re.escape(p) for p in pieces), re.S)


def _which(templates: list[str], feedback: str) -> int | None:
    """Which of these (templated) feedbacks a report's feedback begins with."""
    for i, template in enumerate(templates):
        pattern = _feedback_pattern(template)
        if pattern is not None and pattern.match(feedback):
            return i
    return None


def _credited(part, entry: dict[str, Any]) -> tuple[tuple, str]:
    """(group key, what it matches): a wrong answer credited as an anticipated mistake, a tier
    or a carried error is grouped by which one, across variants; any other by its value."""
    via = entry.get("via") or ""
    feedback = entry.get("feedback") or ""
    if via == "mistake":
        i = _which([m.feedback for m in part.mistakes], feedback)
        if i is None:
            return ("mistake", None), "an anticipated mistake"
        m = part.mistakes[i]
        return ("mistake", i), f"anticipated: {placeholders(m.feedback)} (credit {m.credit:g})"
    if via == "tier":
        i = _which([t.feedback for t in part.tiers], feedback)
        return ("tier", i), "within a looser tolerance (partial credit)"
    if via == "carry_forward":
        return ("carry_forward",), "error carried forward"
    return ("answer", _shown(entry.get("answer"))), ""


def _wrong_answers(part, graded: list[Student], top_ids: set[str], limit: int = 5) -> list[WrongAnswer]:
    groups: dict[tuple, WrongAnswer] = {}
    values: dict[tuple, set[str]] = {}
    for s in graded:
        e = s.parts.get(part.id) or {}
        if e.get("status") not in WRONG:
            continue
        key, matches = _credited(part, e)
        got = groups.get(key)
        if got is None:
            got = groups[key] = WrongAnswer(_shown(e.get("answer")), 0, 0, matches, e.get("feedback") or "")
        values.setdefault(key, set()).add(_shown(e.get("answer")))
        got.count += 1
        got.top_count += s.id in top_ids
    for key, seen in values.items():  # one mistake seen across variants: one row, its values counted
        if len(seen) > 1:
            groups[key].shown = f"{len(seen)} different answers (one anticipated mistake, per-student numbers)" \
                if key[0] == "mistake" else f"{len(seen)} different answers"
    return sorted(groups.values(), key=lambda w: (-w.count, w.shown))[:limit]


def _picked(part, problem, entry: dict[str, Any] | None) -> frozenset | None:
    """The option labels a student picked (the part's own parsing), None when blank or invalid."""
    if not entry or entry.get("answer") is None:
        return None
    ctx = part.context(problem.spec_source)
    try:
        got = part.kind.parse(entry.get("answer"), ctx)
    except Exception:
        return None
    return frozenset([got]) if isinstance(got, str) else frozenset(got)


def _option_stats(part, problem, graded: list[Student], rest, order: list[int]) -> list[OptionStats]:
    import numpy as np

    from grader.item_stats import option_correlation
    from grader.types.labels import choices

    ctx = part.context(problem.spec_source)
    opts = choices(ctx)
    try:
        expected = part.kind.expected(part.answer.get("value"), ctx)
    except Exception:
        expected = {}
    picked = [_picked(part, problem, s.parts.get(part.id)) for s in graded]
    thirds = [list(t) for t in np.array_split(np.array(order, dtype=int), 3)]
    n = len(graded)
    out = []
    for o in opts:
        if isinstance(expected, dict):  # choice: label -> credit
            share_credit = float(expected.get(o.label, 0.0))
            keyed = share_credit > 0
        else:  # multi: the set to select
            keyed = o.label in expected
            share_credit = (o.points / part.points) if o.points is not None and part.points else float(keyed)
        chose = np.array([1.0 if p is not None and o.label in p else 0.0 for p in picked])
        by_group = [float(chose[t].mean()) if len(t) else 0.0 for t in thirds]
        test = option_correlation(chose, rest)
        out.append(OptionStats(o.label, o.text, share_credit, keyed, int(chose.sum()),
                               float(chose.mean()) if n else 0.0, by_group,
                               test.r if test is not None else None,
                               test.p_greater() if test is not None and not keyed else None))
    return out


def _flag_options(parts: list[PartStats]) -> int:
    """Distractors that strong students pick (Holm over every distractor of the exam), and
    options nobody picks."""
    from grader.item_stats import ALPHA, holm

    options = [o for st in parts for o in st.options]
    for o, p in zip(options, holm([o.p_strong for o in options])):
        o.p_strong = p
        if p is not None and p < ALPHA:
            o.note = "attracts strong students: is it also right?"
        elif o.count == 0:
            o.note = "nobody picks it"
    return sum(o.p_strong is not None for o in options)


def _flags(st: PartStats, parts_tested: int, upper_size: int) -> list[str]:
    """Why a part may be miskeyed or not tell students apart; empty when nothing looks wrong."""
    from grader.item_stats import ALPHA, POOR

    flags: list[str] = []
    item = st.item
    answered = st.n - st.statuses.get("missing", 0)
    if answered < max(5, st.n / 5):  # a part most students skipped says nothing about its key
        return flags
    if st.n >= 5 and st.class_credit < 0.1:
        flags.append(f"almost everyone fails it: the class earns {st.class_credit:.0%} of its points")
    if item is not None and item.sd is not None and item.sd == 0 and not flags:
        flags.append(f"it does not discriminate: every student earned the same mark "
                     f"({st.class_credit:.0%} of its points), so it cannot tell students apart")
    elif item is not None and item.p_negative is not None and item.p_negative < ALPHA:
        flags.append(
            f"strong students fail it more often than weak ones: the top 27% (by score on the other "
            f"parts) earn {item.upper:.0%} of its points, the bottom 27% {item.lower:.0%} (p = "
            f"{_p(item.p_negative)}, Mann-Whitney, after Holm's correction over {parts_tested} parts; "
            f"corrected item-total correlation {_r(item.discrimination)})")
    elif item is not None and item.r_high is not None and item.r_high < POOR:
        lean = ", leaning towards weak students," if item.discrimination < 0 else ""
        flags.append(
            f"it hardly discriminates{lean}: corrected item-total correlation {item.discrimination:.2f}, at "
            f"most {item.r_high:.2f} with 95% confidence over all {parts_tested} parts, below the "
            f"{POOR:g} under which items are usually revised")
    common = [w for w in st.wrong if not w.matches and w.count >= 0.25 * st.n
              and w.top_count >= 0.4 * upper_size] if st.n >= 8 else []
    if common:
        w = max(common, key=lambda w: (w.top_count, w.count))
        flags.append(f"one wrong answer dominates: {w.count} students ({w.top_count} of the top "
                     f"27%) gave {w.shown}; is the key right?")
    return flags


def _r(r: float | None) -> str:
    return "undefined" if r is None else f"{r:.2f}"


def _p(p: float) -> str:
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


def answer_key(part, problem, entry: dict[str, Any] | None) -> str | None:
    """A student's answer as a category for comparing students: option labels for choice
    parts, else the answer's JSON without white space; None when blank."""
    if not entry or entry.get("answer") is None or entry.get("status") == "missing":
        return None
    if part.kind.selects:
        picked = _picked(part, problem, entry)
        if picked is not None:
            return "{" + ", ".join(sorted(picked)) + "}" if part.kind.selects == "many" else next(iter(picked))
    try:
        text = json.dumps(entry.get("answer"), sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(entry.get("answer"))
    # Formulas: white space means nothing; prose: runs of it are one space.
    text = " ".join(text.split()) if part.kind.prose else "".join(text.split())
    return text if text not in ('""', "null", "[]", "{}") else None


def _copying(problem, graded: list[Student], total, groups: dict[str, set[str]]):
    from grader.copying import copying_signals

    names, answers, right = copying_items(problem, graded, groups)
    return copying_signals([s.id for s in graded], names, answers, right, total)


def copying_items(problem, graded: list[Student], groups: dict[str, set[str]] | None = None):
    """The class as the copying check compares it: item names (parts tied by `uses` are one
    item), each student's answer key per item (None: blank) and whether it earned full marks
    (None: not marked)."""
    groups = groups or _linked_groups(problem)
    seen: set[str] = set()
    items: list[list] = []
    for part in problem.parts:
        if part.id in seen:
            continue
        members = [p for p in problem.parts if p.id in groups[part.id]]
        seen.update(p.id for p in members)
        items.append(members)
    names = [" + ".join(p.id for p in members) for members in items]
    answers, right = [], []
    for s in graded:
        row_a: list[str | None] = []
        row_r: list[bool | None] = []
        for members in items:
            keys = [answer_key(p, problem, s.parts.get(p.id)) for p in members]
            if all(k is None for k in keys):
                row_a.append(None)
                row_r.append(None)
                continue
            row_a.append(keys[0] if len(keys) == 1 else " | ".join(k or "-" for k in keys))
            entries = [s.parts.get(p.id) or {} for p in members]
            if any(p.kind.by_hand and (e.get("status") not in MARKED and not e.get("marked"))
                   for p, e in zip(members, entries)):
                row_r.append(None)
            else:
                row_r.append(all(e.get("status") == "correct" for e in entries))
        answers.append(row_a)
        right.append(row_r)
    return names, answers, right


def to_data(stats: ClassStats) -> dict[str, Any]:
    """The class report as plain data (`grader report --format json`): numbers rounded to six
    decimals so the same class gives the same bytes everywhere."""
    counts = {k: sum(1 for s in stats.students if s.status == k) for k in ("graded", "unreadable", "error")}
    parts = []
    for p in stats.parts:
        d = asdict(p)
        d["item"] = asdict(p.item) if p.item is not None else None
        parts.append(d)
    data = {
        "problem_id": stats.problem_id, "title": stats.title, "max_score": stats.max_score,
        "students": counts, "warnings": stats.warnings, "pass_mark": stats.pass_mark_text,
        "exam": asdict(stats.exam) if stats.exam is not None else None,
        "parts": parts,
        "copying": asdict(stats.copying) if stats.copying is not None else None,
        "not_graded": [{"student": s.id, "status": s.status} for s in stats.students if s.status != "graded"],
    }
    return _rounded(data)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.6g}") if abs(value) < 1e-4 and value != 0 else round(value, 6)
    if isinstance(value, dict):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value
