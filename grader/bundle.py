"""What students are given for self-checking: the problem without its answers.

``grader bundle PROBLEM -o DIR`` writes into DIR:

- ``bundle.yaml``: every part's id, title, prompt, points, type and answer format (the type's
  description, the shape, the variables, the function signature), the options needed to check
  an answer's form (never those that reveal it: accepted texts, option points, rubrics,
  synonyms...), the public test cases of code parts with their expected outputs (computed now
  from the reference solver), and, for self-checkable parts only, a spec fragment with the
  expected answer that `grader check` grades against;
- answer templates with the questions (see :mod:`grader.answer_sheets`): ``answers.md``,
  ``answers.tex`` with ``grader-answers.sty``, ``answers.json``, and ``answers.py`` for code
  parts; ``answers-template.json`` (every part id) is kept for older instructions;
- a wheel of this grader (``answer_grader-<version>-py3-none-any.whl``), so the bundle alone
  is enough to install the self-check;
- ``README.md``: how to install the grader and run the self-check, one command each.

A part is self-checkable when the instructor sets ``self_check: true`` on it, or when it is a
practice part (``points: 0``) that is visible before the deadline. Hidden parts never are.
No solver, no hidden case and no reference answer of another part is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "grader-bundle/1"
BUNDLE_FILE = "bundle.yaml"



@dataclass
class BundleResult:
    """What ``grader bundle`` wrote: the folder, the parts students can self-check, and notes for the instructor."""
    folder: Path
    self_checkable: list[str]
    notes: list[str] = field(default_factory=list)


def self_checkable(part) -> bool:
    """Explicit `self_check: true` (unless hidden), or a practice part visible before the deadline."""
    if part.visibility == "hidden" or not part.kind.self_checkable or part.transform:
        return False
    if getattr(part, "self_check", False):
        return True
    return part.points == 0 and part.visibility == "visible"


def _plain(value: Any) -> Any:
    """Plain YAML/JSON data: numpy scalars and arrays, tuples and str subclasses made plain."""
    from grader.numbers import to_plain

    return to_plain(value, exact=True)


def _is_leafy(value: Any) -> bool:
    """Numbers, strings and lists of them: written inline, as a matrix is read."""
    if isinstance(value, list):
        return all(_is_leafy(v) for v in value)
    return not isinstance(value, dict)


def dump_yaml(data: Any) -> str:
    """Readable YAML: block mappings, inline lists of values, prompts as literal blocks."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_list(dumper, value):
        return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=_is_leafy(value))

    def represent_str(dumper, value):
        style = "|" if "\n" in value else None  # PyYAML falls back to quotes when it must
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(list, represent_list)
    Dumper.add_representer(str, represent_str)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)


def _describe(part, options: dict[str, Any], source: str) -> str:
    from grader.types import PartContext

    kind = part.kind
    full = {name: opt.default for name, opt in kind.options.items()}
    full.update(options)
    ctx = PartContext(part_id=part.id, options=full, source=source, hidden=True,
                      extra={"points": part.points})
    try:
        return kind.describe(ctx)
    except Exception:  # noqa: BLE001 - a description is a courtesy; never fail the bundle for it
        return kind.summary


def _code_entry(part, refs) -> dict[str, Any]:
    """Signature and public cases (with expected outputs from the reference) of a code part."""
    import copy

    from grader.solvers import SolverError, student_seed

    kind = part.kind
    solvers = refs.solvers
    ctx = refs.context(part, seed=student_seed(refs.problem.variant_key, None))
    names = list(part.options.get("args") or [])
    function = part.options.get("function")
    reference = (part.answer or {}).get("solver")
    cases = []
    all_cases = kind._cases(ctx)  # visible cases first, then hidden ones
    for case in all_cases:
        if case.hidden:
            continue
        if case.has_expected:
            expected = case.expected
        elif reference:
            fn = solvers.function(reference)
            try:
                expected = _plain(fn(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs)))
            except Exception as exc:  # noqa: BLE001 - the instructor's solver: say which case
                raise SolverError(f"part {part.id}: {reference}{tuple(case.args)} raised "
                                  f"{type(exc).__name__}: {exc}") from None
        else:
            continue
        entry: dict[str, Any] = {"args": _plain(case.args)}
        if case.kwargs:
            entry["kwargs"] = _plain(case.kwargs)
        entry["expected"] = expected
        if case.weight != 1.0:
            entry["weight"] = case.weight
        cases.append(entry)
    compare = dict(part.options.get("compare") or {"type": "number"})
    return {
        "function": function,
        "signature": f"{function}({', '.join(map(str, names))})",
        "public_cases": cases,
        "hidden_cases": any(case.hidden for case in all_cases),
        "code": {k: v for k, v in {"function": function, "args": names or None,
                                   "numpy_args": part.options.get("numpy_args"),
                                   "timeout": part.options.get("timeout"), "compare": compare}.items()
                 if v is not None},
    }


def _self_check_spec(part, answer: Any, refs) -> dict[str, Any]:
    """A problem.yaml part that grades like the real one, with literal values for solvers."""
    spec: dict[str, Any] = {"id": part.id, "points": part.points, "type": part.type}
    for key, value in part.options.items():
        if value is not None:
            spec[key] = value
    if "value" in (part.answer or {}) and not part.uses:
        spec["answer"] = {"value": part.answer["value"]}
    else:
        spec["answer"] = {"value": answer}
    tiers = []
    for tier in part.tiers:
        overrides = {k: v for k, v in tier.options.items() if part.options.get(k) != v}
        tiers.append({"credit": tier.credit, **({"feedback": tier.feedback} if tier.feedback else {}),
                      **overrides})
    if tiers:
        spec["tiers"] = tiers
    mistakes = []
    for m in part.mistakes:
        value = refs.mistake_value(m)
        mistakes.append({"value": _plain(value), "credit": m.credit, "feedback": m.feedback})
    if mistakes:
        spec["mistakes"] = mistakes
    if part.feedback:
        spec["feedback"] = dict(part.feedback)
    if part.hint:
        spec["hint"] = part.hint
    return spec


def make_bundle(problem_ref: str | Path, out: str | Path, student: str | None = None) -> BundleResult:
    """Write the self-check bundle of a problem (for ``student``'s variant when params are drawn):
    no solvers, reference answers only for self-checkable parts, hidden cases left out."""
    from grader import __version__
    from grader.reference import References
    from grader.session import GradingSession
    from grader.spec import load_problem

    problem = load_problem(problem_ref)
    from grader.templates import for_params

    refs = References(problem, GradingSession(), student)
    problem = for_params(problem, refs.solvers.params)  # this student's numbers in every text
    answers, errors = refs.answers()
    notes = [f"reference failed: {e}" for e in errors]
    if student is None and problem.has_draws:
        notes.append("the default variant (the params' defaults): each student's own numbers are in "
                     "`grader bundle --student ID`")
    has_draws = any(isinstance(v, dict) and "draw" in v for v in problem.params.values())
    parts = []
    checkable = []
    for part in problem.parts:
        entry: dict[str, Any] = {"id": part.id}
        for key in ("title", "section", "prompt", "assumptions"):
            if getattr(part, key, ""):
                entry[key] = getattr(part, key)
        entry.update({"points": part.points, "type": part.type, "visibility": part.visibility})
        reference = answers.get(part.id)
        plain = None if reference is None else _plain(reference)
        options = part.kind.public(part.options, plain)  # never what gives the answer away
        entry.update(part.kind.public_form(plain))
        if part.kind.whole_submission:
            entry.update(_code_entry(part, refs))
            entry["answer_format"] = f"a function {entry['signature']} in your .py file"
        else:
            entry["answer_format"] = _describe(part, options, str(problem.spec_file))
            if options:
                entry["check"] = options
        graded = self_checkable(part) and (part.kind.whole_submission or part.id in answers)
        if getattr(part, "self_check", False) and part.visibility == "hidden":
            notes.append(f"part {part.id}: self_check ignored, the part is hidden")
        entry["self_check"] = graded
        if graded and not part.kind.whole_submission:
            entry["spec"] = _self_check_spec(part, answers[part.id], refs)
            if part.uses:
                entry["note"] = "credit carried forward from earlier parts is decided by the real grader"
        if graded:
            checkable.append(part.id)
        parts.append(entry)
    doc = {
        "format": FORMAT,
        "id": problem.id,
        "title": problem.title,
        "due": problem.due.isoformat() if problem.due else None,
        "total": round(problem.total, 6),
        "variant": student if student else ("default (your own variant may differ)" if has_draws else "the only one"),
        "generated_by": f"grader {__version__}",
        "parts": parts,
    }
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    text = dump_yaml(_plain(doc))
    (folder / BUNDLE_FILE).write_text(text, encoding="utf-8")
    template = {"answers": {p.id: None for p in problem.parts if not p.kind.whole_submission}}
    (folder / "answers-template.json").write_text(json.dumps(template, indent=2) + "\n", encoding="utf-8")
    from grader.answer_sheets import write_templates
    from grader.wheel import build_wheel

    templates = write_templates(_plain(doc), folder)
    wheel = build_wheel(folder).name
    (folder / "README.md").write_text(_readme(problem, checkable, templates, wheel), encoding="utf-8")
    return BundleResult(folder, checkable, notes)


def _readme(problem, checkable: list[str], templates: list[str], wheel: str) -> str:
    graded = (f"It grades parts {', '.join(checkable)} (self-checkable), and code parts on their "
              "public cases; " if checkable else "It runs code parts on their public cases; ")
    code = "answers.py" in templates
    lines = [
        f"# Self-check: {problem.title}",
        "",
        "## 1. Install the grader (once; Python 3.10 or newer)",
        "",
        "In this folder, into a virtual environment `.venv` (nothing else on your machine changes):",
        "",
        f"    python3 -m venv .venv && .venv/bin/python -m pip install ./{wheel}",
        "",
        "On Windows: `py -m venv .venv && .venv\\Scripts\\python -m pip install .\\" + wheel + "`, and",
        "use `.venv\\Scripts\\grader` below. On Debian or Ubuntu, `python3 -m venv` may first need",
        "`sudo apt install python3-venv`. This installs the `grader` command; its distribution is",
        "`answer-grader`: do not `pip install grader`, that is an unrelated project.",
        "",
        "## 2. Answer",
        "",
        "Fill in one of the templates; each holds every part with its question, points and",
        "the format the answer must take:",
        "",
        "- `answers.md`: write each answer under its part's heading. LaTeX as you would write it",
        "  in homework (`$\\frac{n}{2}$`, `\\begin{bmatrix} 1 & 0 \\\\ 0 & 1 \\end{bmatrix}`), no escaping;",
        "- `answers.tex`: write each answer inside its `answer` environment. `pdflatex answers.tex`",
        "  (with `grader-answers.sty` next to it) makes the PDF you hand in for the hand-graded parts;",
        "- `answers.json`: `{\"answers\": {\"<part id>\": <value>}}`; in JSON a backslash must be",
        "  doubled (`\"\\\\frac{n}{2}\"`), which is why the two sheets above are easier for LaTeX;",
    ]
    if code:
        lines.append("- `answers.py`: the code parts' functions, with their signatures and public cases.")
    lines += [
        "",
        "You may hand in several of these files together: a part answered differently in two of",
        "them is not graded until you keep one answer.",
        "",
        "## 3. Check (as often as you like)",
        "",
        "    .venv/bin/grader check . answers.md      # or answers.tex, answers.json"
        + (", answers.py" if code else ""),
        "",
        "To check several files at once, put them in a folder and check the folder:",
        "`.venv/bin/grader check . my-answers/`.",
        "",
        "The check says for every part whether your answer is there and well-formed. " + graded
        + "everything else is decided only by the real grader after you submit.",
        "",
    ]
    return "\n".join(lines)
