"""A student's self-check (``grader check TARGET SUBMISSION``), offline and fast.

On a bundle (see :mod:`grader.bundle`) every part is checked for presence and form (it
parses, has the right type and shape, a formula uses only declared variables, a function
exists and runs on the public cases); self-checkable parts are graded against the expected
answers the bundle carries, code parts on their public cases; everything else is said to be
decided by the real grader.

On a full problem (an instructor's or TA's folder, with solvers) it shows what the student
would see on Gradescope before the deadline: visible parts with their feedback,
after_due_date parts without score, hidden parts not at all.
"""

from __future__ import annotations

import datetime as _dt
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grader.bundle import BUNDLE_FILE, FORMAT
from grader.errors import UsageError

REAL_GRADER = "decided by the real grader after you submit"


@dataclass
class CheckLine:
    """One part's line in a self-check: whether it was answered, its form status and, where the self-check
    can grade it, the score (``final`` when the real grader would give the same)."""
    id: str
    title: str
    type: str
    points: float
    present: bool
    status: str  # missing | invalid | well-formed | correct | partial | incorrect | manual | not checked
    message: str
    score: float | None = None  # set only where the self-check grades the part
    final: bool = False  # the score is what the real grader gives (no hidden cases, no reference withheld)


@dataclass
class CheckReport:
    """A whole self-check: one line per part, messages about the submission, and a fatal reason when
    nothing could be checked."""
    mode: str  # "bundle" or "problem"
    problem_id: str
    title: str
    source: str
    lines: list[CheckLine] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    fatal: str | None = None
    gradescope: dict[str, Any] | None = None  # problem mode: the results a student sees

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` output."""
        return asdict(self)


def is_bundle(target: Path) -> bool:
    """Whether ``target`` is a student self-check bundle (the folder or its bundle file) rather than a problem."""
    return (target / BUNDLE_FILE).is_file() or (target.is_file() and target.name == BUNDLE_FILE)


def check(target: str | Path, submission: str | Path, student: str | None = None) -> CheckReport:
    """Self-check ``submission`` against a bundle or a problem folder, whichever ``target`` is;
    raises UsageError naming the path when it is neither."""
    target = Path(target)
    if not Path(submission).exists():
        raise UsageError(f"{submission}: no such file or folder")
    if is_bundle(target):
        return check_bundle(target if target.is_dir() else target.parent, Path(submission))
    if target.is_dir() and not (target / "problem.yaml").is_file():
        raise UsageError(f"{target}: neither a self-check bundle ({BUNDLE_FILE}, from `grader bundle`) "
                         f"nor a problem folder (problem.yaml)")
    return check_problem(target, Path(submission), student)


# ------------------------------------------------------------------ bundles

def read_bundle(folder: Path) -> dict[str, Any]:
    """The bundle's document; raises UsageError saying how to make one when it is unreadable or another format."""
    import yaml

    path = folder / BUNDLE_FILE
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: not a readable bundle ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("parts"), list):
        raise UsageError(f"{path}: not a {FORMAT} bundle (make one with `grader bundle PROBLEM -o DIR`)")
    return doc


def _match(ids: list[str], answers: dict[str, Any], messages: list[str]) -> dict[str, Any]:
    """Student keys -> part ids, tolerating spacing, trailing dots and case, as the grader does."""
    from grader.part_ids import key_index, match_part_ids

    out, notes = match_part_ids(set(ids), key_index(ids), answers)
    messages.extend(f"unknown part id '{str(key)[:60]}': the real grader will ignore it"
                    for key, target in notes if target is None)
    return out


def check_bundle(folder: Path, submission: Path) -> CheckReport:
    """Check a submission with only what a bundle carries (no solvers, no hidden references)."""
    from grader.loaders import load_submission

    doc = read_bundle(folder)
    parts = [p for p in doc["parts"] if isinstance(p, dict) and "id" in p]
    report = CheckReport("bundle", str(doc.get("id")), str(doc.get("title") or doc.get("id")), str(submission))
    variant = str(doc.get("variant") or "")
    if variant.startswith("default") and any(p.get("self_check") and not _kind(p).whole_submission for p in parts):
        report.messages.append("expected answers are those of the default variant; if your numbers "
                               "differ per student, only the real grader knows yours")
    sub = load_submission(submission)
    try:
        report.messages.extend(sub.messages)
        if sub.fatal:
            report.fatal = sub.fatal
            for p in parts:
                report.lines.append(_line(p, False, "not checked", f"your submission could not be read: {sub.fatal}"))
            return report
        answers = _match([str(p["id"]) for p in parts], sub.answers, report.messages)
        answers = {k: v for k, v in answers.items() if k not in sub.rejected}  # answered twice
        graded = _grade_checkable(doc, parts, sub, answers)
        for p in parts:
            pid = str(p["id"])
            if pid in sub.rejected:
                report.lines.append(_line(p, True, "invalid", sub.rejected[pid]))
            elif pid in graded:
                report.lines.append(graded[pid])
            elif _kind(p).whole_submission:
                report.lines.append(_function_exists(p, sub))
            else:
                report.lines.append(_form(p, answers))
    finally:
        sub.close()
    return report


def _kind(p: dict | CheckLine):
    """What a part's answer type declares (a bundle from a newer grader may name a type this
    installation lacks: it gets the defaults)."""
    from grader.types import capabilities

    return capabilities(str(p.type if isinstance(p, CheckLine) else p.get("type")))


def _line(p: dict, present: bool, status: str, message: str, score: float | None = None,
          final: bool = False) -> CheckLine:
    return CheckLine(id=str(p["id"]), title=str(p.get("title") or ""), type=str(p.get("type")),
                     points=float(p.get("points") or 0), present=present, status=status,
                     message=message, score=score, final=final)


def _context(p: dict):
    from grader.types import PartContext, get_type

    kind = get_type(str(p.get("type")))
    options = {name: opt.default for name, opt in kind.options.items()}
    options.update(p.get("check") or {})
    return kind, PartContext(part_id=str(p["id"]), options=options, source=BUNDLE_FILE, hidden=True,
                             extra={"points": float(p.get("points") or 0)})


def _form(p: dict, answers: dict[str, Any]) -> CheckLine:
    """Presence and form of a part the self-check cannot grade."""
    from grader.types import Invalid

    pid = str(p["id"])
    fmt = p.get("answer_format") or p.get("type")
    if pid not in answers or answers[pid] is None:
        return _line(p, False, "missing", f"no answer; expected {fmt}")
    if _kind(p).by_hand:
        return _line(p, True, "manual", "answer recorded; graded by hand after you submit")
    try:
        kind, ctx = _context(p)
        value = kind.parse(answers[pid], ctx)
    except Invalid as exc:
        return _line(p, True, "invalid", f"{exc} (expected {fmt})")
    except RecursionError:
        return _line(p, True, "invalid", "the answer is nested too deeply to read")
    except (KeyError, ImportError):
        return _line(p, True, "not checked", f"this installation cannot read {p.get('type')} answers; "
                                             f"the real grader will")
    except Exception as exc:  # noqa: BLE001 - a self-check must never crash on an answer
        return _line(p, True, "not checked", f"could not be checked offline ({type(exc).__name__}); "
                                             "the real grader will")
    dims = p.get("dimensions")
    if dims is not None and isinstance(value, (list, tuple)) and len(value) != dims:
        return _line(p, True, "invalid", f"expected {dims} dimensions, got {len(value)}: {list(value)}")
    try:
        shown = kind.show(value, ctx)
    except Exception:  # noqa: BLE001
        shown = "your answer"
    return _line(p, True, "well-formed", f"{shown} is well-formed; whether it is right is {REAL_GRADER}")


def _function_exists(p: dict, sub) -> CheckLine:
    """A code part with no public case: can its function at least be found?"""
    fn = p.get("function") or (p.get("code") or {}).get("function")
    sig = p.get("signature") or f"{fn}(...)"
    if not sub.python_files:
        return _line(p, False, "missing", f"needs a function {sig} in a .py file; none was submitted")
    try:
        from grader.sandbox.session import get_session

        found = get_session(sub).find_function(str(fn))
    except Exception as exc:  # noqa: BLE001
        return _line(p, True, "not checked", f"could not load your code here ({exc}); the real grader will")
    if found is None:
        return _line(p, False, "missing", f"function {sig} not found in your .py file(s)")
    return _line(p, True, "well-formed", f"{sig} is defined in {found}; its test cases are {REAL_GRADER}")


def _grade_checkable(doc: dict, parts: list[dict], sub, answers: dict[str, Any]) -> dict[str, CheckLine]:
    """Grade the self-checkable parts and code parts' public cases with the real engine, on a
    problem built in memory from the bundle's literal expected answers (no solver exists)."""
    import dataclasses

    from grader.engine import grade
    from grader.spec import problem_from_data

    specs, kinds = [], {}
    for p in parts:
        pid = str(p["id"])
        if _kind(p).whole_submission:
            cases = p.get("public_cases") or []
            if not cases:
                continue
            spec = {"id": pid, "points": float(p.get("points") or 0), "type": p.get("type"),
                    **(p.get("code") or {}), "cases": cases, "answer": {"value": None}}
            kinds[pid] = "cases"
        elif p.get("self_check") and isinstance(p.get("spec"), dict):
            spec = dict(p["spec"])
            kinds[pid] = "self"
        else:
            continue
        specs.append(spec)
    if not specs:
        return {}
    pid_name = "selfcheck"
    # An empty folder of its own: code parts hide the problem's folder from student code.
    scratch = Path(tempfile.mkdtemp(prefix="grader-check-"))
    try:
        folder = scratch / pid_name
        folder.mkdir()
        problem = problem_from_data({"id": pid_name, "title": "self-check", "parts": specs}, folder,
                                    f"{BUNDLE_FILE} (self-check)")
        trimmed = dataclasses.replace(sub, answers={k: v for k, v in answers.items() if k in kinds},
                                      messages=[])
        result = grade(problem, trimmed)
        sub.runtime = trimmed.runtime  # one sandbox session, closed with the submission
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    by_id = {p["id"]: p for p in parts}
    out: dict[str, CheckLine] = {}
    for r in result.parts:
        p = by_id[r.id]
        present = r.status not in ("missing",)
        if kinds[r.id] == "cases":
            if not r.score:
                exists = _function_exists(p, sub)
                if exists.status == "missing":
                    out[r.id] = exists
                    continue
            final = bool(p.get("self_check")) and p.get("hidden_cases") is False
            message = f"public cases: {r.feedback}; hidden cases, if any, are {REAL_GRADER}"
            out[r.id] = _line(p, present, r.status, message, r.score, final)
        else:
            message = r.feedback
            if p.get("note"):
                message += f" ({p['note']})"
            out[r.id] = _line(p, present, r.status, message, r.score, final=True)
    return out


# ------------------------------------------------------------------ full problems

def check_problem(target: Path, submission: Path, student: str | None = None,
                  now: _dt.datetime | None = None) -> CheckReport:
    """What Gradescope would show this student before the deadline."""
    import time

    from grader.engine import grade
    from grader.gradescope.metadata import Metadata
    from grader.gradescope.results import assemble
    from grader.gradescope.unittests import run_instructor_tests, tests_dir
    from grader.loaders import load_submission
    from grader.spec import load_problem

    start = time.monotonic()
    problem = load_problem(target)
    report = CheckReport("problem", problem.id, problem.title, str(submission))
    sub = load_submission(submission, student, private=[problem.folder])
    before = now or (problem.due - _dt.timedelta(seconds=1) if problem.due
                     else _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc))
    try:
        graded = grade(problem, sub, reveal=problem.due is not None and before >= problem.due)
    finally:
        sub.close()
    report.fatal = graded.fatal
    instructor = None
    folder_tests = tests_dir(problem.folder)
    if folder_tests is not None:
        scratch = Path(tempfile.mkdtemp(prefix="grader-check-sub-"))
        try:
            if submission.is_dir():
                shutil.copytree(submission, scratch / "submission", symlinks=True)
            else:
                (scratch / "submission").mkdir()
                shutil.copy2(submission, scratch / "submission" / submission.name)
            instructor = run_instructor_tests(folder_tests, scratch / "submission", timeout=120)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    results = assemble(graded, problem, Metadata(student_id=student, due=problem.due), before,
                       instructor, execution_time=time.monotonic() - start)
    report.gradescope = student_view(results)
    return report


def student_view(results: dict[str, Any]) -> dict[str, Any]:
    """results.json as a student sees it before the deadline: hidden tests gone, after_due_date
    tests reduced to their name."""
    tests = []
    for test in results.get("tests", []):
        visibility = test.get("visibility", "visible")
        if visibility == "hidden":
            continue
        if visibility in ("after_due_date", "after_published"):
            tests.append({"name": test.get("name"), "number": test.get("number"), "visibility": visibility,
                          "output": "graded; score and feedback are shown after the due date"
                          if visibility == "after_due_date" else
                          "graded; score and feedback are shown when grades are published"})
            continue
        tests.append({k: v for k, v in test.items() if k != "extra_data"})
    return {"output": results.get("output", ""), "tests": tests}


# ------------------------------------------------------------------ text

def _num(x: float) -> str:
    from grader.numbers import figures

    return figures(x)


def render(report: CheckReport, width: int = 100) -> str:
    """The report as wrapped text for the terminal."""
    import textwrap

    if report.mode == "problem":
        return _render_problem(report, width)
    out = [f"Self-check of {report.source} for {report.problem_id}: {report.title}"]
    if report.fatal:
        out.append(f"YOUR SUBMISSION COULD NOT BE READ: {report.fatal}")
    idw = max([4] + [len(line.id) for line in report.lines])
    out += ["", f"{'part':<{idw}}  {'points':>11}  {'status':<11}  what the self-check says", "-" * min(width, 80)]
    indent = " " * (idw + 28)
    for line in report.lines:
        pts = f"{_num(line.score)}/{_num(line.points)}" if line.score is not None else f"-/{_num(line.points)}"
        wrapped = textwrap.wrap(line.message, max(30, width - len(indent))) or [""]
        out.append(f"{line.id:<{idw}}  {pts:>11}  {line.status:<11}  {wrapped[0]}")
        out.extend(indent + more for more in wrapped[1:])
    checked = [line for line in report.lines if line.score is not None]
    left = [line for line in report.lines if line.score is None or not line.final]
    out.append("")
    if checked:
        out.append(f"self-checked: {_num(sum(x.score or 0 for x in checked))} / "
                   f"{_num(sum(x.points for x in checked))} points on parts {', '.join(x.id for x in checked)}")
    if left:
        out.append(f"decided only by the real grader: parts {', '.join(x.id for x in left)} "
                   f"({_num(sum(x.points for x in left))} points"
                   + (", code parts' hidden cases included" if any(_kind(x).whole_submission for x in left) else "") + ")")
    problems = [x for x in report.lines if x.status in ("missing", "invalid")]
    out.append(f"{len(problems)} part(s) missing or malformed" + (": " + ", ".join(x.id for x in problems)
                                                                   if problems else ""))
    if report.messages:
        out += ["", "notes:"] + [f"- {m}" for m in report.messages]
    return "\n".join(out) + "\n"


def _render_problem(report: CheckReport, width: int) -> str:
    import textwrap

    view = report.gradescope or {}
    out = [f"What Gradescope shows for {report.source} ({report.problem_id}) before the deadline", ""]
    if view.get("output"):
        out += [view["output"], ""]
    for test in view.get("tests", []):
        if "score" in test:
            head = f"{test.get('name')}: {_num(test.get('score', 0))} / {_num(test.get('max_score', 0))}"
        else:
            head = f"{test.get('name')}"
        out.append(head)
        for para in str(test.get("output") or "").splitlines():
            out.extend("    " + w for w in (textwrap.wrap(para, max(30, width - 4)) or [""]))
    return "\n".join(out) + "\n"
