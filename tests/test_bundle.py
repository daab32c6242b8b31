"""Students' bundles: the format of every part, public cases with expected outputs, and not
one reference value of a part the student may not check."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import DEMO, ROOT, run_cli

from grader.prose_leaks import form_pattern, textual_forms

CODE_DEMO = ROOT / "tests" / "problems" / "code-demo"
PROBLEMS = sorted(p.parent for p in (ROOT / "problems").glob("*/problem.yaml"))


def make(problem: Path, out: Path, *extra: str) -> dict:
    proc = run_cli("bundle", problem, "-o", out, *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return yaml.safe_load((out / "bundle.yaml").read_text(encoding="utf-8"))


def self_check_demo(tmp_path: Path) -> Path:
    """The demo with part 1 marked self-checkable and a visible practice part added."""
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder)
    text = (folder / "problem.yaml").read_text(encoding="utf-8")
    text = text.replace('    answer: {solver: conv_out, args: {kernel: 3}}\n',
                        '    answer: {solver: conv_out, args: {kernel: 3}}\n    self_check: true\n', 1)
    text += ('  - id: "11"\n    title: Practice\n    points: 0\n    type: number\n'
             '    answer: {solver: conv_out, args: {kernel: 7, size: 777}}\n')
    (folder / "problem.yaml").write_text(text, encoding="utf-8")
    return folder


# ------------------------------------------------------------------ reference values
# How a reference value could be written (textual_forms) and found as a whole token
# (form_pattern) are the rules `grader validate` warns by: grader/prose_leaks.py.

def secrets_of(problem_dir: Path) -> dict[str, set]:
    """Every reference value of every part a student may not check, by part id."""
    from grader.bundle import self_checkable
    from grader.reference import References
    from grader.session import GradingSession
    from grader.solvers import student_seed
    from grader.spec import load_problem

    problem = load_problem(problem_dir)
    refs = References(problem, GradingSession())
    answers, _ = refs.answers()
    solvers = refs.solvers
    out: dict[str, set] = {}
    for part in problem.parts:
        if self_checkable(part):
            continue
        values = []
        if part.id in answers:
            values.append(answers[part.id])
        if "value" in part.answer:
            values.append(part.answer["value"])
        for m in part.mistakes:
            values.append(solvers.call(m.solver, m.args, m.key) if m.solver else m.value)
        for key in ("accept", "regex", "reference", "synonyms"):
            if part.options.get(key):
                values.append(part.options[key])
        if part.type == "code":
            ctx = part.context(str(problem.spec_file), solvers=solvers.module, params=solvers.params,
                               seed=student_seed(problem.id, None))
            fn = solvers.function(part.answer["solver"])
            for case in part.kind._cases(ctx):
                if case.hidden:
                    values.append(case.args)
                    values.append(solvers_plain(fn(*case.args, **case.kwargs)))
        forms = set()
        for value in values:
            forms |= textual_forms(solvers_plain(value))
        out[part.id] = forms
    return out


def solvers_plain(value):
    from grader.solvers import to_plain

    return to_plain(value)


def public_text(problem_dir: Path) -> str:
    """What is public whatever the bundle: the answer types' own examples (an answer format
    such as "[3, 1]"), and the integers and integer lists the questions themselves state (a
    batch of 32). The spec's prose is NOT public: it is searched like every other byte."""
    from grader.prose_leaks import givens
    from grader.spec import load_problem
    from grader.types import available_types, get_type

    problem = load_problem(problem_dir)
    texts = sorted(givens(problem))
    for name in available_types():
        try:
            texts.append(get_type(name).summary)
        except Exception:  # noqa: BLE001 - a type that cannot load is not in any bundle
            pass
    return "\n".join(texts)


def leaks(problem_dir: Path, bundle: Path) -> list[str]:
    """Every byte of the bundle (prose included) searched for every textual form of every
    secret, and every formula-like span of it judged by the grader's own equivalence.

    The wheel is the grader package itself, the same for every problem and built from the
    repository (tests/test_answer_sheets checks it holds only `grader/` and its metadata); the
    answer types' examples it holds also ship as text in the templates, which are searched."""
    from grader.prose_leaks import is_given

    blob = b"".join(p.read_bytes() for p in sorted(bundle.rglob("*"))
                    if p.is_file() and p.suffix != ".whl").decode("utf-8")
    blob += "\n" + " ".join(blob.split())  # YAML folds long lines: "[32, 128,\n    26, 26]"
    public = public_text(problem_dir)
    given = set(public.split("\n"))
    found = []
    for part_id, forms in secrets_of(problem_dir).items():
        for form in sorted(forms):
            pattern = form_pattern(form)
            hit = pattern.search(blob)
            if hit and not is_given(form, given) and not pattern.search(public):
                at = hit.start()
                found.append(f"part {part_id}: {form!r} in ...{blob[max(0, at - 60):at + 40]!r}...")
    for part_id, form in _formula_leaks(problem_dir, blob):
        found.append(f"part {part_id}: {form!r}, equivalent to its reference, in the bundle")
    return found


def _formula_leaks(problem_dir: Path, blob: str) -> list[list[str]]:
    """grader.prose_leaks.formula_leaks on the bundle's text, in a child process: the grader's
    own comparison arms SIGALRM time limits, and restoring SIGALRM's default handler in this
    process breaks test_sandbox's grandchildren test under pytest's faulthandler."""
    code = ("import json, sys\n"
            "from grader.bundle import self_checkable\n"
            "from grader.prose_leaks import formula_leaks\n"
            "from grader.spec import load_problem\n"
            "leaks = formula_leaks(load_problem(sys.argv[1]), [('the bundle', sys.stdin.read())],\n"
            "                      skip=self_checkable)\n"
            "print(json.dumps([[leak.part, leak.form] for leak in leaks]))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(problem_dir)], input=blob, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def keys_of(data) -> set:
    if isinstance(data, dict):
        return set(data) | set().union(*(keys_of(v) for v in data.values()))
    if isinstance(data, list):
        return set().union(set(), *(keys_of(v) for v in data))
    return set()


@pytest.mark.parametrize("problem", [DEMO, CODE_DEMO] + PROBLEMS, ids=lambda p: p.name)
def test_no_reference_value_of_a_non_public_part_in_the_bundle(problem, tmp_path):
    from grader.errors import SpecError
    from grader.spec import load_problem

    try:
        load_problem(problem)
    except SpecError as exc:  # a problem being written by someone else right now
        pytest.skip(f"{problem.name} does not load: {exc}")
    out = tmp_path / "bundle"
    make(problem, out)
    assert not (out / "solver.py").exists()
    doc = yaml.safe_load((out / "bundle.yaml").read_text(encoding="utf-8"))
    assert not keys_of(doc) & {"solver", "accept", "regex", "reference", "rubric", "synonyms", "correct"}
    assert secrets_of(problem), "nothing to look for: the test would prove nothing"
    assert leaks(problem, out) == []


def test_the_leak_search_finds_what_is_there(tmp_path):
    """A positive control: self-checkable answers are in the bundle, and the search sees them."""
    problem = self_check_demo(tmp_path)
    out = tmp_path / "bundle"
    make(problem, out)
    blob = (out / "bundle.yaml").read_text(encoding="utf-8")
    assert "771" in blob  # part 11's expected answer, 777 - 7 + 1
    # ... and a bundle that did include a hidden answer would be caught
    (out / "extra.txt").write_text("Part 7 is O(t); 9.b is 12.", encoding="utf-8")
    found = leaks(problem, out)
    assert any("part 7" in f for f in found) and any("part 9.b" in f for f in found), found
    assert not any("part 1:" in f for f in found)  # self-checkable: its answer may be there


def test_bundle_describes_every_part(tmp_path):
    doc = make(DEMO, tmp_path / "b")
    parts = {p["id"]: p for p in doc["parts"]}
    assert list(parts) == ["1", "2", "3", "4", "5", "6", "7", "8", "9.a", "9.b", "10"]
    assert parts["1"]["prompt"].startswith("Output size") and parts["1"]["points"] == 1
    assert parts["2"]["check"]["shape"] == [2] and "of shape 2" in parts["2"]["answer_format"]
    assert parts["3"]["dimensions"] == 4 and parts["3"]["check"]["names"] == ["N", "C", "H", "W"]
    # choice options keep their labels and texts, never their points
    assert parts["5"]["check"]["options"][1] == {"label": "B", "text": "BatchNorm layer"}
    assert all(set(o) <= {"label", "text"} for o in parts["6"]["check"]["options"])
    assert "accept" not in parts["7"].get("check", {}) and "rubric" not in parts["8"].get("check", {})
    assert not any(p["self_check"] for p in parts.values())  # part 10 has 0 points but is hidden
    template = json.loads((tmp_path / "b" / "answers-template.json").read_text())
    assert list(template["answers"]) == list(parts)


def test_code_parts_carry_public_cases_with_expected_outputs(tmp_path):
    doc = make(CODE_DEMO, tmp_path / "b")
    parts = {p["id"]: p for p in doc["parts"]}
    conv = parts["1"]
    assert conv["signature"] == "conv_output_shape(input_hw, kernel, stride, padding)"
    assert [c["args"] for c in conv["public_cases"]] == [[[32, 32], 3, 1, 0], [[28, 28], 5, 1, 2],
                                                       [[224, 224], 7, 2, 3]]
    assert [c["expected"] for c in conv["public_cases"]] == [[30, 30], [28, 28], [112, 112]]
    assert conv["hidden_cases"] is True
    assert "[7, 9]" not in (tmp_path / "b" / "bundle.yaml").read_text()  # a hidden case's arguments
    rf = parts["2"]
    assert [c["expected"] for c in rf["public_cases"]] == [5, 15]  # generated cases are hidden there
    assert parts["3"]["code"]["compare"] == {"type": "array", "rtol": 1e-6, "atol": 1e-9}


def test_self_checkable_parts_carry_their_answers(tmp_path):
    doc = make(self_check_demo(tmp_path), tmp_path / "b")
    parts = {p["id"]: p for p in doc["parts"]}
    assert parts["1"]["self_check"] and parts["11"]["self_check"]
    assert parts["1"]["spec"]["answer"] == {"value": 26}
    assert parts["1"]["spec"]["mistakes"] == [{"value": 14, "credit": 0.5, "feedback": "You used stride 2."}]
    assert parts["11"]["spec"]["answer"] == {"value": 771}
    assert not parts["2"]["self_check"] and "spec" not in parts["2"]


def test_student_variant_bundle(tmp_path):
    doc = make(self_check_demo(tmp_path), tmp_path / "b", "--student", "alice@example.edu")
    from grader.solvers import resolve_params

    size = resolve_params({"size": {"draw": "randint", "low": 20, "high": 40}}, "demo", "alice@example.edu")["size"]
    parts = {p["id"]: p for p in doc["parts"]}
    assert parts["1"]["spec"]["answer"] == {"value": size - 2}
    assert doc["variant"] == "alice@example.edu"


def test_the_leak_search_reads_prose_and_formulas_in_any_spelling(tmp_path):
    """A positive control for the prose: an answer restated in another form (LaTeX, reordered,
    in an assumption) is found, whichever file of the bundle holds it."""
    problem = ROOT / "problems" / "uva-dl1-resit-2022"
    out = tmp_path / "bundle"
    make(problem, out)
    assert leaks(problem, out) == []
    (out / "notes.md").write_text(
        "Assumptions: the step is $\\eta^* = \\frac{2}{\\lambda_{\\max} + \\lambda_{\\min}}$, and "
        "the count is n*(log(5)/log(3) - 1).\n", encoding="utf-8")
    found = leaks(problem, out)
    assert any(f.startswith("part 9.3:") for f in found), found
    assert any(f.startswith("part 9.5:") for f in found), found
    csc = ROOT / "problems" / "csc413-hw2"
    make(csc, tmp_path / "b2")
    (tmp_path / "b2" / "bundle.yaml").write_text(
        (tmp_path / "b2" / "bundle.yaml").read_text(encoding="utf-8")
        + "# forward memory: \\mathcal{O}(1)\n", encoding="utf-8")
    assert any(f.startswith("part 2.1.2.a:") for f in leaks(csc, tmp_path / "b2"))


def test_validate_warns_when_prose_states_an_answer(tmp_path):
    folder = tmp_path / "uva-dl1-resit-2022"
    shutil.copytree(ROOT / "problems" / "uva-dl1-resit-2022", folder)
    spec = folder / "problem.yaml"
    text = spec.read_text(encoding="utf-8")
    marker = "    assumptions: >-\n      The seed's key is worth 3 pts.\n"
    assert marker in text
    spec.write_text(text.replace(marker, "    assumptions: >-\n      The seed's key is worth 3 pts: "
                                 "eta = 2 / (lambda_max + lambda_min).\n"), encoding="utf-8")
    proc = run_cli("validate", folder, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning: part 9.3: its answer is stated in part 9.3's assumptions" in proc.stdout
    assert "move it to `solution:`" in proc.stdout
    proc = run_cli("validate", ROOT / "problems" / "uva-dl1-resit-2022", timeout=600)
    assert "part 9.3: its answer is stated in part 9.3's assumptions" not in proc.stdout
