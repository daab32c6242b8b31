"""The spec loader and validator: what an instructor sees when a spec is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.errors import SpecError
from grader.spec import load_problem
from tests.conftest import DEMO, run_cli

GOOD_SOLVER = "def six():\n    return 6\n\ndef boom():\n    raise ValueError('bad input')\n"


def make(tmp_path: Path, yaml_text: str, solver: str = GOOD_SOLVER, name: str = "p") -> Path:
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "problem.yaml").write_text(yaml_text, encoding="utf-8")
    (folder / "solver.py").write_text(solver, encoding="utf-8")
    return folder


def errors_of(folder: Path) -> str:
    with pytest.raises(SpecError) as err:
        load_problem(folder)
    return "\n".join(err.value.problems)


def test_demo_spec_loads_with_types_and_defaults():
    problem = load_problem(DEMO)
    assert problem.id == "demo" and problem.total == 13
    assert problem.part("2").tiers[0].credit == 0.5
    assert problem.part("10").visibility == "hidden"


def test_unknown_key_is_reported_with_line_and_suggestion(tmp_path):
    folder = make(tmp_path, "id: p\nparts:\n  - id: '1'\n    points: 1\n    type: number\n"
                            "    answer: {value: 1}\n    tolerence: 0.1\n")
    text = errors_of(folder)
    assert "problem.yaml:7" in text and "unknown key 'tolerence'" in text


def test_points_must_add_up_to_declared_total(tmp_path):
    folder = make(tmp_path, "id: p\ntotal: 5\nparts:\n  - {id: '1', points: 1, type: number, answer: {value: 1}}\n"
                            "  - {id: '2', points: 2, type: number, answer: {value: 1}}\n")
    text = errors_of(folder)
    assert "add up to 3, not the declared total 5" in text and "problem.yaml:2" in text


def test_duplicate_ids_numeric_ids_and_bad_types(tmp_path):
    folder = make(tmp_path, "id: p\nparts:\n  - {id: '1', points: 1, type: number, answer: {value: 1}}\n"
                            "  - {id: '1', points: 1, type: number, answer: {value: 1}}\n"
                            "  - {id: 3.10, points: 1, type: number, answer: {value: 1}}\n"
                            "  - {id: '4', points: 1, type: numbr, answer: {value: 1}}\n")
    text = errors_of(folder)
    assert "duplicate part id '1'" in text
    assert "is a number; quote it" in text
    assert "type must be one of" in text and "'numbr'" in text


def test_tolerances_that_make_no_sense(tmp_path):
    folder = make(tmp_path, "id: p\nparts:\n  - {id: '1', points: 1, type: number, answer: {value: 1}, rtol: 5}\n"
                            "  - {id: '2', points: 1, type: number, answer: {value: 1}, atol: -1}\n"
                            "  - {id: '3', points: 1, type: number, answer: {value: 1}, tiers: [{credit: 2, rtol: 0.1}]}\n")
    text = errors_of(folder)
    assert "rtol 5 accepts any answer" in text
    assert "atol must be a finite number >= 0" in text
    assert "credit must be a fraction between 0 and 1" in text


def test_yaml_syntax_error_names_the_line(tmp_path):
    folder = make(tmp_path, "id: p\nparts:\n  - id: '1'\n   points: [1\n")
    assert "problem.yaml:" in errors_of(folder) and "invalid YAML" in errors_of(folder)


def test_uses_cycle_and_unknown_part(tmp_path):
    folder = make(tmp_path, "id: p\nparts:\n  - {id: a, points: 1, type: number, answer: {solver: six}, uses: {x: b}}\n"
                            "  - {id: b, points: 1, type: number, answer: {solver: six}, uses: {x: a}}\n"
                            "  - {id: c, points: 1, type: number, answer: {solver: six}, uses: {x: zz}}\n")
    text = errors_of(folder)
    assert "uses unknown part 'zz'" in text


def test_validate_reports_missing_solver_and_solver_errors(tmp_path):
    folder = make(tmp_path, "id: p\nparts:\n  - {id: '1', points: 1, type: number, answer: {solver: nope}}\n"
                            "  - {id: '2', points: 1, type: number, answer: {solver: boom}}\n")
    out = run_cli("validate", folder)
    assert out.returncode == 2
    assert "no function 'nope'" in out.stdout
    assert "boom() raised ValueError: bad input" in out.stdout and "solver.py:5" in out.stdout


def test_validate_checks_declared_mistakes_and_examples(tmp_path):
    root = tmp_path / "course"
    folder = make(root / "problems", "id: p\nparts:\n  - id: '1'\n    points: 2\n    type: number\n"
                  "    answer: {solver: six}\n    mistakes:\n      - {value: 6, credit: 0.5, feedback: same as answer}\n"
                  "      - {value: 7, credit: 0.5, feedback: off by one}\n")
    examples = root / "submissions_example" / "p"
    examples.mkdir(parents=True)
    (examples / "good.json").write_text('{"answers": {"1": 6}}')
    (examples / "off.json").write_text('{"answers": {"1": 7}}')
    (examples / "expected.yaml").write_text("good.json: {score: 2}\noff.json: {score: 2}\n")
    out = run_cli("validate", folder)
    assert out.returncode == 2
    assert "mistake 1: equals the reference answer" in out.stdout
    assert "off.json scores 1, declared 2" in out.stdout


def test_validate_demo_is_valid():
    out = run_cli("validate", DEMO)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "demo: valid, reference scores 100%" in out.stdout


def test_schema_is_valid_json_schema_and_accepts_the_demo(tmp_path):
    import json

    import jsonschema
    import yaml

    out = run_cli("schema")
    assert out.returncode == 0
    schema = json.loads(out.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    spec = yaml.safe_load((DEMO / "problem.yaml").read_text())
    jsonschema.validate(spec, schema)
    spec["parts"][0]["tolerence"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(spec, schema)


def test_every_problem_in_the_repo_matches_the_schema():
    import json

    import jsonschema
    import yaml

    schema = json.loads(run_cli("schema").stdout)
    for spec_file in sorted((Path(__file__).parent.parent / "problems").glob("*/problem.yaml")):
        jsonschema.validate(yaml.safe_load(spec_file.read_text()), schema)


def test_seeded_params_same_student_same_variant(grade_answers):
    from grader.solvers import resolve_params

    params = load_problem(DEMO).params
    a1 = resolve_params(params, "demo", "alice")["size"]
    assert a1 == resolve_params(params, "demo", "alice")["size"]
    assert 20 <= a1 <= 40
    assert resolve_params(params, "demo", None)["size"] == 28
    drawn = {resolve_params(params, "demo", f"s{i}")["size"] for i in range(20)}
    assert len(drawn) > 3


def test_copy_of_demo_with_wrong_folder_name(tmp_path):
    target = tmp_path / "other"
    shutil.copytree(DEMO, target)
    assert "differs from the folder name" in errors_of(target)


CARRY_SOLVER = ("def two():\n    return 2\n\ndef twice(x, k=2):\n    return k * x\n\n"
                "def thrice(x):\n    return 3 * x\n")


def test_carry_forward_solver_and_args_are_read(tmp_path):
    folder = make(tmp_path, "id: p\nparts:\n  - {id: a, points: 1, type: number, answer: {solver: two}}\n"
                            "  - {id: b, points: 1, type: number, answer: {value: 4}, uses: {x: a},\n"
                            "     carry_forward: {credit: 0.5, solver: twice}}\n"
                            "  - {id: c, points: 1, type: number, answer: {solver: twice, args: {k: 2}},\n"
                            "     uses: {x: a}, carry_forward: {solver: thrice}}\n"
                            "  - {id: d, points: 1, type: number, answer: {solver: twice}, uses: {x: a},\n"
                            "     carry_forward: {args: {k: 3}}}\n"
                            "  - {id: e, points: 1, type: number, answer: {solver: twice}, uses: {x: a},\n"
                            "     carry_forward: {credit: 1}}\n", CARRY_SOLVER)
    problem = load_problem(folder)
    assert problem.part("b").carry_forward == 0.5
    assert problem.part("b").carry_answer == {"solver": "twice", "args": {}}
    assert problem.part("c").carry_answer == {"solver": "thrice", "args": {"k": 2}}  # the answer's args
    assert problem.part("d").carry_answer == {"solver": "twice", "args": {"k": 3}}  # the answer's solver
    assert problem.part("e").carry_answer is None  # today's behaviour: the answer's own solver


def test_carry_forward_malformed(tmp_path):
    folder = make(tmp_path, "id: p\nparts:\n  - {id: a, points: 1, type: number, answer: {solver: two}}\n"
                            "  - id: b\n    points: 1\n    type: number\n    answer: {solver: two}\n"
                            "    uses: {x: a}\n    carry_forward: {credit: 1, solvr: twice}\n"
                            "  - {id: c, points: 1, type: number, answer: {solver: two}, uses: {x: a},\n"
                            "     carry_forward: {solver: 3}}\n"
                            "  - {id: d, points: 1, type: number, answer: {solver: two}, uses: {x: a},\n"
                            "     carry_forward: {solver: twice, args: [1]}}\n"
                            "  - {id: e, points: 1, type: number, answer: {value: 4}, uses: {x: a},\n"
                            "     carry_forward: {credit: 1}}\n"
                            "  - {id: f, points: 1, type: number, answer: {solver: two}, carry_forward: {solver: twice}}\n"
                            "  - {id: g, points: 1, type: number, answer: {solver: two}, uses: {x: a}, carry_forward: 1}\n",
                  CARRY_SOLVER)
    text = errors_of(folder)
    assert "problem.yaml:9: part b: unknown key 'solvr' in carry_forward (allowed: args, credit, solver)" in text
    assert "part c: carry_forward solver must be a function name, not 3" in text
    assert "part d: carry_forward args must be a mapping of argument: value, not [1]" in text
    assert "part e: carry_forward needs a solver" in text and "literal value" in text
    assert "part f: carry_forward needs `uses`" in text
    assert "part g: carry_forward must be {credit: 0..1, solver: name, args: {...}}" in text


def test_schema_knows_the_carry_forward_solver():
    import json

    import jsonschema

    schema = json.loads(run_cli("schema").stdout)
    part = {"id": "b", "points": 1, "type": "number", "answer": {"value": 4}, "uses": {"x": "a"},
            "carry_forward": {"credit": 1, "solver": "twice", "args": {"k": 2}}}
    spec = {"id": "p", "parts": [{"id": "a", "points": 1, "type": "number", "answer": {"value": 2}}, part]}
    jsonschema.validate(spec, schema)
    for wrong in ({"solvr": "twice"}, {"solver": 3}, {"args": [1]}):
        part["carry_forward"] = wrong
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(spec, schema)


CARRY_SPEC = ("id: p\nparts:\n  - {id: a, points: 1, type: number, answer: {solver: two}}\n"
              "  - id: b\n    points: 1\n    type: number\n    answer: {value: 4}\n    uses: {x: a}\n"
              "    carry_forward: {solver: %s}\n")


def test_validate_accepts_a_consistent_carry_forward_solver(tmp_path):
    out = run_cli("validate", make(tmp_path, CARRY_SPEC % "twice", CARRY_SOLVER))
    assert out.returncode == 0, out.stdout + out.stderr


def test_validate_catches_an_inconsistent_carry_forward_solver(tmp_path):
    out = run_cli("validate", make(tmp_path, CARRY_SPEC % "thrice", CARRY_SOLVER))
    assert out.returncode == 2
    assert ("problem.yaml:4: part b: carry_forward solver thrice(): fed the reference answer of part a, "
            "it gives 6, not this part's reference answer 4") in out.stdout


def test_validate_reports_a_missing_or_failing_carry_forward_solver(tmp_path):
    out = run_cli("validate", make(tmp_path, CARRY_SPEC % "nope", CARRY_SOLVER, name="p"))
    assert out.returncode == 2
    assert "part b: carry_forward solver nope()" in out.stdout and "no function 'nope'" in out.stdout
    broken = CARRY_SOLVER + "\ndef broken(x):\n    raise ValueError('no carry')\n"
    out = run_cli("validate", make(tmp_path / "2", CARRY_SPEC % "broken", broken, name="p"))
    assert out.returncode == 2 and "broken() raised ValueError: no carry" in out.stdout
