"""Per-student variants end to end (issue #13): each student reads, is graded on and is
regraded on their own numbers; validate proves every variant before students see one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

VDEMO = ROOT / "tests" / "problems" / "variants-demo"


def params_of(student, problem=VDEMO):
    from grader.solvers import resolve_params
    from grader.spec import load_problem

    prob = load_problem(problem)
    return resolve_params(prob.params, prob.variant_key, student)


def copy_problem(tmp_path: Path, new_id: str, edit=None, solver_extra: str = "") -> Path:
    folder = tmp_path / "problems" / new_id
    shutil.copytree(VDEMO, folder)
    text = (folder / "problem.yaml").read_text().replace("id: variants-demo", f"id: {new_id}")
    (folder / "problem.yaml").write_text(edit(text) if edit else text)
    if solver_extra:
        with open(folder / "solver.py", "a") as fh:
            fh.write(solver_extra)
    return folder


# ---------------------------------------------------------------- seeds

def test_students_differ_and_the_seed_survives_a_rename(tmp_path):
    from grader.solvers import resolve_params
    from grader.spec import load_problem

    a, b = params_of("alice"), params_of("bob")
    assert a != b
    renamed = load_problem(copy_problem(tmp_path, "variants-demo-2027"))
    assert renamed.id == "variants-demo-2027"
    assert resolve_params(renamed.params, renamed.variant_key, "alice") == a
    # without a seed, the problem id seeds the draws, as before the key existed: nobody reshuffles
    unseeded = load_problem(copy_problem(tmp_path / "u", "variants-demo",
                                         lambda t: t.replace("seed: variants-demo-2026\n", "")))
    assert unseeded.seed is None
    assert resolve_params(unseeded.params, unseeded.variant_key, "alice") == \
        resolve_params(unseeded.params, "variants-demo", "alice")


def test_validate_asks_for_a_seed_when_params_are_drawn(tmp_path):
    folder = copy_problem(tmp_path, "variants-demo", lambda t: t.replace("seed: variants-demo-2026\n", ""))
    out = run_cli("validate", folder, "--variants", "2")
    assert out.returncode == 0, out.stdout
    assert "has no `seed:`; add `seed: variants-demo`" in out.stdout


# ---------------------------------------------------------------- templates

@pytest.mark.parametrize("old, field, text, expected", [
    ('prompt: "And', "prompt", "eta is {{ etaa }}",
     "prompt uses unknown name(s) etaa (the problem's params: eta, n, w0)"),
    ('title: "After', "title", "{{ eta ", "title: template error"),
])
def test_a_bad_template_is_a_spec_error_naming_file_part_and_field(tmp_path, old, field, text, expected):
    from grader.errors import SpecError
    from grader.spec import load_problem

    def edit(spec: str) -> str:
        lines = spec.splitlines()
        i = next(i for i, line in enumerate(lines) if line.strip().startswith(old))
        lines[i] = f"    {field}: {json.dumps(text)}"
        return "\n".join(lines) + "\n"

    folder = copy_problem(tmp_path, "variants-demo", edit)
    with pytest.raises(SpecError) as err:
        load_problem(folder)
    message = str(err.value)
    assert "problem.yaml:" in message and "part 2" in message and expected in message


def test_numbers_render_as_the_spec_says():
    from grader.templates import render

    params = {"eta": 0.000123456, "w": [[1, 2.5], [3, 4]], "n": 3.0}
    assert render("{{ eta }}", params) == "0.000123456"
    assert render("{{ eta | digits(2) }}", params) == "0.00012"
    assert render("{{ eta | fixed(5) }}", params) == "0.00012"
    assert render("{{ eta | latex(3) }}", params) == r"0.000123"
    assert render("{{ 1.5e-9 | latex }}", params) == r"1.5 \times 10^{-9}"
    assert render("{{ w | latex }}", params) == r"\begin{bmatrix} 1 & 2.5 \\ 3 & 4 \end{bmatrix}"
    assert render("{{ n }} steps", params) == "3 steps"
    assert render("{{ 0.1 + 0.2 }}", params) == "0.3"


def test_templates_cannot_reach_python():
    from grader.templates import RenderError, render

    for text in ("{{ ''.__class__.__mro__ }}", "{{ eta.__class__.__subclasses__() }}",
                 "{% set x = [].append(1) %}"):
        with pytest.raises(RenderError):
            render(text, {"eta": 0.1})


# ---------------------------------------------------------------- a student's own numbers

def test_bundle_carries_the_students_numbers(tmp_path):
    import yaml

    docs = {}
    for student in ("alice", "bob"):
        out = run_cli("bundle", VDEMO, "-o", tmp_path / student, "--student", student)
        assert out.returncode == 0, out.stderr
        docs[student] = yaml.safe_load((tmp_path / student / "bundle.yaml").read_text())
    for student, doc in docs.items():
        p = params_of(student)
        first, second = doc["parts"][0], doc["parts"][1]
        assert first["title"] == f"One step with eta = {p['eta']}"
        assert f"\\eta = {p['eta']}$" in first["prompt"]
        assert second["prompt"] == f"And $w_{{{p['n']}}}$, after {p['n']} steps?"
        sheet = (tmp_path / student / "answers.md").read_text()
        assert f"eta = {p['eta']}" in sheet and "{{" not in sheet


def test_report_check_and_gradescope_output_carry_the_students_numbers(tmp_path):
    p = params_of("alice")
    sub = tmp_path / "alice.json"
    sub.write_text(json.dumps({"1": 2.0 * (1 + p["eta"])}))  # the anticipated wrong-sign mistake
    report = json.loads(run_cli("grade", VDEMO, sub, "--format", "json").stdout)  # id: the file stem
    assert report["student"] == "alice"
    assert report["variant"] == {"student": "alice", "params": {"eta": p["eta"], "n": p["n"]}}
    first = report["parts"][0]
    assert first["title"] == f"One step with eta = {p['eta']}"
    assert first["via"] == "mistake" and f"(eta = {p['eta']})" in first["feedback"]

    results = json.loads(run_cli("grade", VDEMO, sub, "--format", "gradescope").stdout)
    assert f"eta = {p['eta']}, n = {p['n']}" in results["output"]
    assert results["tests"][1]["name"] == f"2 After {p['n']} steps"

    check = run_cli("check", VDEMO, sub, "--student", "alice", "--format", "json")
    assert check.returncode == 0, check.stderr
    assert f"One step with eta = {p['eta']}" in check.stdout and f"n = {p['n']}" in check.stdout

    table = run_cli("grade", VDEMO, sub)
    assert f"graded: the variant of student alice (eta = {p['eta']}, n = {p['n']})" in table.stdout
    assert "graded the variant of student alice" in table.stderr


def test_a_code_part_nobody_submitted_is_missing_not_incorrect(tmp_path):
    sub = tmp_path / "s1.json"
    sub.write_text(json.dumps({"1": 1.0}))
    report = json.loads(run_cli("grade", VDEMO, sub, "--format", "json").stdout)
    assert report["parts"][2]["status"] == "missing"
    assert "none was submitted" in report["parts"][2]["feedback"]


# ---------------------------------------------------------------- validate --variants

BROKEN_SOLVER = '''

def n_steps(w1, eta, n):  # noqa: F811 - fails for some students' numbers
    if n > 20:
        raise ValueError(f"n = {n} is too large")
    return w1 * (1 - eta) ** (n - 1)
'''


def test_validate_variants_catches_a_solver_failing_for_some_params(tmp_path):
    folder = copy_problem(tmp_path, "variants-demo", solver_extra=BROKEN_SOLVER)
    ok = run_cli("validate", folder, "--variants", "0")  # the default variant (n = 10) works
    assert ok.returncode == 0, ok.stdout
    out = run_cli("validate", folder, "--variants", "10")
    assert out.returncode == 2
    line = next(ln for ln in out.stdout.splitlines() if "part 2: reference fails in the variant of student" in ln)
    assert "problem.yaml:" in line and "n_steps() raised ValueError: n = " in line
    n = int(line.split("n = ")[-1].split()[0])
    assert n > 20 and f"n = {n})" in line  # the parameter values of that variant
    built = run_cli("gradescope", folder, "-o", tmp_path / "autograder.zip")
    assert built.returncode != 0 and not (tmp_path / "autograder.zip").exists()
    assert "part 2: reference fails" in built.stdout + built.stderr


def test_validate_catches_a_broken_code_part_reference(tmp_path):
    folder = copy_problem(tmp_path, "variants-demo", lambda t: t.replace(
        "      - {args: [1.0, 0.5, 0], hidden: true}", "      - {args: [1.0, 0.5], hidden: true}"))
    out = run_cli("validate", folder, "--variants", "0")
    assert out.returncode == 2
    assert "part 3: the reference fails on hidden case steps(w=1.0, eta=0.5)" in out.stdout
    assert "TypeError" in out.stdout


# ---------------------------------------------------------------- a class

def make_class(folder: Path, answers: dict[str, dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for student, given in answers.items():
        (folder / f"{student}.json").write_text(json.dumps(given))
    return folder


def wrong_sign_class(students=("s1", "s2", "s3", "s4", "s5")) -> dict[str, dict]:
    out = {}
    for i, s in enumerate(students):
        p = params_of(s)
        right = 2.0 * (1 - p["eta"])
        out[s] = {"1": 2.0 * (1 + p["eta"]) if i % 2 == 0 else right,
                  "2": right * (1 - p["eta"]) ** (p["n"] - 1)}
    return out


def test_a_single_student_regrade_equals_the_batch_row(tmp_path):
    subs = make_class(tmp_path / "subs", wrong_sign_class())
    out = run_cli("grade", VDEMO, subs, "--batch", "--out", tmp_path / "res", "--jobs", "1")
    assert out.returncode == 0, out.stderr
    in_batch = json.loads((tmp_path / "res" / "s3.json").read_text())
    alone = json.loads(run_cli("grade", VDEMO, subs / "s3.json", "--format", "json").stdout)
    in_batch.pop("source"), alone.pop("source")
    assert alone == in_batch
    # reports on disk are indented, one field per line, so diff -r shows the change per part
    assert (tmp_path / "res" / "s3.json").read_text().startswith('{\n  "problem_id": "variants-demo",\n')


def test_only_regrades_in_place_byte_identical_to_a_full_rerun(tmp_path):
    subs = make_class(tmp_path / "subs", wrong_sign_class())
    for res in ("full", "only"):
        assert run_cli("grade", VDEMO, subs, "--batch", "--out", tmp_path / res, "--jobs", "1").returncode == 0
    before = (tmp_path / "only" / "s2.json").read_bytes()
    (subs / "s3.json").write_text(json.dumps({"1": 0.5}))  # s3 resubmits
    (subs / "s5.json").write_text(json.dumps({"2": 0.5}))
    out = run_cli("grade", VDEMO, subs, "--batch", "--out", tmp_path / "only", "--only", "s3", "s5")
    assert out.returncode == 0, out.stderr
    assert "regraded 2 of 5 student(s): s3 (0), s5 (0)" in out.stderr
    assert run_cli("grade", VDEMO, subs, "--batch", "--out", tmp_path / "full").returncode == 0
    full = {p.name: p.read_bytes() for p in (tmp_path / "full").iterdir()}
    only = {p.name: p.read_bytes() for p in (tmp_path / "only").iterdir()}
    assert sorted(full) == sorted(only)
    assert full == only
    assert only["s2.json"] == before
    assert b'"s3",0,0,0,0,"graded",""' in only["gradebook.csv"]


def test_only_refuses_what_it_cannot_do_in_place(tmp_path):
    subs = make_class(tmp_path / "subs", wrong_sign_class(("s1", "s2")))
    assert run_cli("grade", VDEMO, subs, "--batch", "--only", "s1").returncode == 2  # no --out
    missing = run_cli("grade", VDEMO, subs, "--batch", "--out", tmp_path / "res", "--only", "s1")
    assert missing.returncode == 2 and "grade the whole class first" in missing.stderr
    assert run_cli("grade", VDEMO, subs, "--batch", "--out", tmp_path / "res").returncode == 0
    unknown = run_cli("grade", VDEMO, subs, "--batch", "--out", tmp_path / "res", "--only", "zed")
    assert unknown.returncode == 2 and "no submission for zed" in unknown.stderr


def test_solver_failures_are_counted_noted_and_listed(tmp_path):
    from grader.class_stats import analyse
    from grader.spec import load_problem

    folder = copy_problem(tmp_path, "variants-demo", solver_extra=BROKEN_SOLVER)
    students = [f"s{i}" for i in range(1, 9)]
    failing = sorted(s for s in students if params_of(s)["n"] > 20)
    assert failing and len(failing) < len(students)
    subs = make_class(tmp_path / "subs", {s: {"1": 1.0, "2": 1.0} for s in students})
    out = run_cli("grade", folder, subs, "--batch", "--out", tmp_path / "res")
    assert f"{len(failing)} part(s) of {len(failing)} graded student(s) not graded" in out.stderr
    rows = (tmp_path / "res" / "gradebook.csv").read_text().splitlines()
    for s in failing:
        row = next(r for r in rows if r.startswith(f'"{s}"'))
        assert ',"",' in row and "part 2 the reference solution failed" in row and "not your fault" in row
        report = json.loads((tmp_path / "res" / f"{s}.json").read_text())
        assert report["parts"][1]["status"] == "error"
    stats = analyse(load_problem(folder), tmp_path / "res", copying=False)
    listed = [w for w in stats.warnings if w.startswith("part 2: not graded for")]
    assert listed and all(s in listed[0] for s in failing)


def test_class_report_groups_one_mistake_across_variants(tmp_path):
    from grader.class_stats import analyse
    from grader.spec import load_problem

    subs = make_class(tmp_path / "subs", wrong_sign_class())
    assert run_cli("grade", VDEMO, subs, "--batch", "--out", tmp_path / "res").returncode == 0
    stats = analyse(load_problem(VDEMO), tmp_path / "res", copying=False)
    part = next(p for p in stats.parts if p.id == "1")
    assert len(part.wrong) == 1  # s1, s3, s5: three different values, one anticipated mistake
    row = part.wrong[0]
    assert row.count == 3 and row.matches.startswith("anticipated: You added the step (eta = [eta])")
    assert row.shown.startswith("3 different answers")
    code = next(p for p in stats.parts if p.id == "3")
    assert code.statuses["missing"] == 5 and not code.wrong


def test_examples_declared_for_every_variant_are_graded_in_each(tmp_path):
    folder = copy_problem(tmp_path, "variants-demo")
    examples = tmp_path / "submissions_example" / "variants-demo"
    examples.mkdir(parents=True)
    (examples / "default-only.json").write_text(json.dumps({"1": 1.8}))  # right for eta = 0.1 only
    (examples / "expected.yaml").write_text("default-only.json: {score: 2, variants: true}\n")
    out = run_cli("validate", folder, "--variants", "3")
    assert out.returncode == 2
    assert "example default-only.json scores 0, declared 2, in the variant of student variant-001 (eta = " in out.stdout
    assert "example default-only.json: 2/6 (as declared)" in out.stdout  # the default variant


MANUAL_PART = '''  - id: "4"
    title: "Why eta = {{ eta }} converges"
    prompt: "Explain why $\\\\eta = {{ eta }}$ makes gradient descent converge here."
    points: 1
    type: manual
    rubric:
      - {item: "0 < eta < 2", points: 1}
'''


def test_marking_views_show_each_students_numbers_and_only_keeps_marks(tmp_path):
    pytest.importorskip("flask", reason="the marking app's packages (the 'mark' extra) are not installed")
    from grader.gradebook import read_gradebook
    from grader.marking.app import create_app

    folder = copy_problem(tmp_path, "variants-demo",
                          lambda t: t.replace("total: 6", "total: 7") + MANUAL_PART)
    answers = {s: {**a, "4": "because it is small"} for s, a in wrong_sign_class().items()}
    subs = make_class(tmp_path / "subs", answers)
    res = tmp_path / "res"
    assert run_cli("grade", folder, subs, "--batch", "--out", res).returncode == 0
    client = create_app(res, "tok", grader_name="ta").test_client()
    view = client.get("/api/part?part=4", headers={"X-Token": "tok"}).get_json()
    assert "[eta]" in view["part"]["prompt"] and "{{" not in view["part"]["prompt"]
    shown = {s["student"]: s["variant"] for g in view["groups"] for s in g["students"]}
    for student, text in shown.items():
        p = params_of(student, folder)
        assert text == f"eta = {p['eta']}, n = {p['n']}"
    item = view["rubric"][0]["id"]
    r = client.post("/api/apply?part=4", json={"students": ["s2"], "item": item, "on": True},
                    headers={"X-Token": "tok", "X-Grader": "ta"})
    assert r.status_code == 200, r.data
    out = run_cli("grade", folder, subs, "--batch", "--out", res, "--only", "s1")
    assert out.returncode == 0, out.stderr
    rows = {r["student"]: r for r in read_gradebook(res / "gradebook.csv")}
    assert rows["s2"]["4"] == "1"  # the mark given in the marking app is kept


def test_one_file_is_named_as_the_batch_names_it(tmp_path):
    from grader.regrade import student_for

    (tmp_path / "ana.json").write_text("{}")
    (tmp_path / "bo.json").write_text("{}")
    (tmp_path / "bo.py").write_text("")
    (tmp_path / "cy").mkdir()
    (tmp_path / "ana.yaml").write_text("")  # not a submission: no twin
    assert student_for(tmp_path / "ana.json") == "ana"
    assert student_for(tmp_path / "bo.json") == "bo.json"  # two entries named bo: full names
    assert student_for(tmp_path / "cy") == "cy"


def test_gradescope_worked_solutions_after_the_deadline_use_the_students_numbers():
    import datetime as dt

    from grader.engine import grade
    from grader.gradescope.metadata import Metadata
    from grader.gradescope.results import assemble
    from grader.spec import load_problem
    from grader.submission import Submission

    problem = load_problem(VDEMO)
    report = grade(problem, Submission(source="x", answers={"1": 0.0}, student_id="alice"))
    past = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    data = assemble(report, problem, Metadata(student_id="alice", due=past), past + dt.timedelta(days=1))
    p = params_of("alice")
    first = next(t for t in data["tests"] if t.get("number") == "1")
    assert f"Worked solution:\n$w_1 = w_0 (1 - \\eta) = 2 \\times {1 - p['eta']:.12g}" in first["output"]
    assert "{{" not in json.dumps(data)
    assert data["output"].startswith(f"Graded with your numbers: the variant of student alice (eta = {p['eta']}")
