"""CSC413 Homework 2: the spec keeps the handout's points, the solvers give the answers worked
out by hand from the handout's numbers, the formula references are the right mathematics, and
the example submissions get their declared scores."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from grader.solvers import load_solvers

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "csc413-hw2"
EXAMPLES = ROOT / "submissions_example" / "csc413-hw2"
SEED = ROOT.parent / "shared" / "seeds" / "004_58a797c32bd82249.txt"
FORMULA_TYPES = ("expression", "matrix_expression")


S = load_solvers(PROBLEM)  # the same loader the engine uses
SPEC = yaml.safe_load((PROBLEM / "problem.yaml").read_text(encoding="utf-8"))
PARTS = {p["id"]: p for p in SPEC["parts"]}
P = SPEC["params"]

# The handout's numbered parts and their points (v1.1).
HANDOUT_POINTS = {
    "1.1.1": 2, "1.2.1": 1, "1.2.2": 0, "2.1.1": 0.5, "2.1.2": 0.5, "2.1.3": 0, "2.2.1": 1,
    "2.2.2": 0, "2.2.3": 1, "2.3.1": 0.5, "2.3.2": 0.5, "2.3.3": 0, "3.1": 0.5, "3.2": 1,
    "3.3": 0.5,
}


def _handout_id(part_id: str) -> str:
    return re.sub(r"\.[a-e]$", "", part_id)


def _formula_types_available() -> bool:
    from grader.types import get_type

    try:
        for name in FORMULA_TYPES:
            get_type(name)
    except (KeyError, ImportError):
        return False
    return True


# ------------------------------------------------------------------ the spec vs the handout


def test_points_are_the_handouts_and_total_is_ten_with_neatness():
    got: dict[str, float] = {}
    for part in SPEC["parts"]:
        if part["id"] != "neatness":
            key = _handout_id(part["id"])
            got[key] = got.get(key, 0) + part["points"]
    assert set(got) == set(HANDOUT_POINTS)
    for key, points in HANDOUT_POINTS.items():
        assert math.isclose(got[key], points), key
    assert math.isclose(sum(HANDOUT_POINTS.values()), 9)
    assert PARTS["neatness"]["points"] == 1 and PARTS["neatness"]["type"] == "manual"
    assert SPEC["total"] == 10


@pytest.mark.skipif(not SEED.exists(), reason="seed document not available")
def test_handout_points_are_read_from_the_seed():
    text = SEED.read_text(encoding="utf-8")
    found = dict(re.findall(r"#+\s*(\d\.\d(?:\.\d)?)\b[^\[\n]*\[(\d(?:\.\d)?)pt\]", text))
    assert {k: float(v) for k, v in found.items()} == {k: float(v) for k, v in HANDOUT_POINTS.items()}
    assert "10% of the homework mark (worth 1 pt)" in text


def test_zero_point_parts_are_hidden_practice_parts_and_proofs_are_manual():
    for pid in ("1.2.2", "2.1.3", "2.2.2", "2.3.3"):
        assert PARTS[pid]["points"] == 0 and PARTS[pid]["visibility"] == "hidden", pid
    for pid in ("1.1.1", "1.2.1.d", "2.1.1", "3.2.e", "3.3.b", "neatness"):
        part = PARTS[pid]
        assert part["type"] == "manual", pid
        assert math.isclose(sum(r["points"] for r in part["rubric"]), part["points"]), pid
    for pid in ("2.2.1.a", "2.2.1.b", "2.2.3.a", "2.2.3.b", "2.3.1.a", "2.3.1.b", "2.3.2"):
        assert PARTS[pid]["type"] in FORMULA_TYPES, pid


def test_every_part_has_a_prompt_and_missing_figures_are_stated():
    for part in SPEC["parts"]:
        assert part.get("prompt", "").strip(), part["id"]
    for pid in ("3.1.a", "3.2.a", "1.2.1.b"):
        assert PARTS[pid].get("assumptions", "").strip(), pid
    assert "[1, 1, 1]" in PARTS["3.1.a"]["assumptions"]
    assert "conv3x3" in PARTS["3.2.a"]["assumptions"]


# ------------------------------------------------------------------ solvers, checked by hand


def test_minimum_norm_solution_of_the_hint_problem():
    # w* = x1 t / ||x1||^2 = [2, 1] * 2 / 5
    assert np.allclose(S.min_norm_solution(P["x_hint"], P["t_hint"]), [0.8, 0.4])


def test_first_rmsprop_step_by_hand_and_it_leaves_the_span():
    run = S.rmsprop(P["x_hint"], P["t_hint"], P["w0_hint"], 0.1, 0.9, 0.01)
    # g0 = (2/1) [2, 1] (0 - 2) = [-8, -4]; v0 = 0.1 g0^2 = [6.4, 1.6]
    w1 = [0.1 * 8 / (math.sqrt(6.4) + 0.01), 0.1 * 4 / (math.sqrt(1.6) + 0.01)]
    assert np.allclose(run["w1"], w1)
    assert np.allclose(run["w1"], [0.31498, 0.31375], atol=1e-5)
    # not a multiple of x1 = [2, 1]
    assert abs(run["w1"][0] - 2 * run["w1"][1]) > 0.3
    # with a negligible epsilon the first step is eta / sqrt(1 - beta) * [1, 1]
    tiny = S.rmsprop(P["x_hint"], P["t_hint"], P["w0_hint"], 0.1, 0.9, 1e-12)
    assert np.allclose(tiny["w1"], [0.1 / math.sqrt(0.1)] * 2)


def test_rmsprop_converges_to_a_solution_that_is_not_the_minimum_norm_one():
    run = S.rmsprop(P["x_hint"], P["t_hint"], P["w0_hint"], P["rms_eta"], P["rms_beta"], P["rms_eps"])
    w = run["w_final"]
    assert math.isclose(2 * w[0] + w[1], 2.0, abs_tol=1e-9)  # X w = t
    assert np.allclose(w, [0.6675, 0.6650], atol=1e-4)
    assert float(w @ w) > 0.8 + 0.08  # ||w*||^2 = 0.8
    longer = S.rmsprop(P["x_hint"], P["t_hint"], P["w0_hint"], P["rms_eta"], P["rms_beta"], P["rms_eps"],
                       steps=10000)
    assert np.allclose(longer["w_final"], w)  # settled


def test_gradient_step_mistake_stays_in_the_span():
    assert np.allclose(S.gd_first_step(P["x_hint"], P["t_hint"], P["w0_hint"], 0.1), [0.8, 0.4])


# Worked by hand: the convolution flips J to [[1,1,1],[0,0,0],[-1,-1,-1]], so each output is
# (sum of the 3 inputs above) - (sum of the 3 inputs below), with zeros outside.
CONV_BY_HAND = [
    [0, -1, -2, -3, -2],
    [-2, -3, -3, -2, -1],
    [-1, -1, -1, 1, 1],
    [2, 2, 2, 1, 1],
    [1, 2, 3, 2, 1],
]


def test_convolution_by_hand_and_cross_correlation_mistake():
    assert P["J"] == [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]
    assert P["I"][0] == [0, 0, 0, 0, 0] and P["I"][1] == [0, 0, 1, 1, 1]
    assert np.array_equal(S.conv2d_same(P["I"], P["J"]), CONV_BY_HAND)
    assert np.array_equal(S.conv2d_same(P["I"], P["J"], flip=False), -np.array(CONV_BY_HAND))


def test_network_counts_by_hand():
    counts = S.net_counts(P["layers"], 32, 3, 2, 2)
    assert counts["cnn_neurons"] == 32 * 32 + 16 * 16 + 16 * 16 + 8 * 8 + 8 * 8 == 1664
    assert counts["cnn_params"] == 3 * (9 + 1) == 30
    assert counts["fcnn_neurons"] == 1664
    assert counts["fcnn_params"] == 1025 * 1024 + 257 * 256 + 65 * 64 == 1119552
    assert S.net_counts(P["layers"], 32, 3, 2, 2, biases=False)["fcnn_params"] == 1024**2 + 256**2 + 64**2
    assert S.net_counts(P["layers"], 32, 3, 2, 2, count_input=True)["cnn_neurons"] == 1664 + 1024


def test_receptive_fields_match_the_handout_and_5x5_gives_14():
    layers = P["layers"]
    # the handout: 3x3 after the first conv, 4x4 after the first pooling, 8x8 after the second conv
    assert [S.receptive_field(layers, 3, 2, 2, upto_layer=i)[0] for i in range(3)] == [3, 4, 8]
    assert S.receptive_field(layers, 5, 2, 2) == [14, 14]  # 1 + 4 + 1 + 4*2
    assert S.receptive_field_off_by_stride(layers, 5, 2, 2) == [15, 15]


# ------------------------------------------------------------------ the formula references


def _evaluate(reference: str, env: dict) -> np.ndarray:
    """Evaluate one of the spec's own (trusted) reference formulas with numpy values.

    `lambda` is a Python keyword, so the weight-decay symbols are renamed first.
    """
    text = re.sub(r"\blambda_tilde\b", "lam_tilde", reference)
    text = re.sub(r"\blambda\b", "lam", text)
    return np.asarray(eval(text, {"__builtins__": {}}, dict(env)))  # noqa: S307 - trusted spec text


def _instance(rng, n, d):
    return {"X": rng.normal(size=(n, d)), "t": rng.normal(size=n), "w0": rng.normal(size=d),
            "eta": float(rng.uniform(0.01, 1.0)), "n": n, "d": d,
            "lam": float(rng.uniform(0.01, 0.5)), "lam_tilde": float(rng.uniform(0.01, 0.5))}


def _loss(env, w):
    r = env["X"] @ w - env["t"]
    return float(r @ r) / env["n"]


@pytest.mark.parametrize("seed", range(5))
def test_gd_formulas_are_the_mathematics(seed):
    rng = np.random.default_rng(seed)
    env = _instance(rng, int(rng.integers(2, 6)), int(rng.integers(2, 6)))
    X, t, w0, n = env["X"], env["t"], env["w0"], env["n"]
    grad = 2 / n * X.T @ (X @ w0 - t)
    w1 = _evaluate(PARTS["2.2.1.a"]["answer"]["value"], env)
    assert np.allclose(w1, w0 - env["eta"] * grad)

    def l1(eta):
        return _loss(env, w0 - eta * grad)

    assert math.isclose(float(_evaluate(PARTS["2.2.1.b"]["answer"]["value"], env)), l1(env["eta"]), rel_tol=1e-9)
    h = 1e-6
    numeric = (l1(env["eta"] + h) - l1(env["eta"] - h)) / (2 * h)
    assert math.isclose(float(_evaluate(PARTS["2.2.3.a"]["answer"]["value"], env)), numeric,
                        rel_tol=1e-5, abs_tol=1e-7)
    star = float(_evaluate(PARTS["2.2.3.b"]["answer"]["value"], env))
    etas = np.linspace(star - 1, star + 1, 2001)
    assert abs(etas[np.argmin([l1(e) for e in etas])] - star) < 1e-3  # the minimizer of L1


@pytest.mark.parametrize("seed", range(3))
def test_weight_decay_formulas_and_the_equivalent_l2_coefficient(seed):
    rng = np.random.default_rng(100 + seed)
    env = _instance(rng, 3, 4)
    X, t, w0, n, eta = env["X"], env["t"], env["w0"], env["n"], env["eta"]
    l2_step = w0 - eta * (2 / n * X.T @ (X @ w0 - t) + 2 * env["lam_tilde"] * w0)
    decay_step = (1 - env["lam"]) * w0 - eta * 2 / n * X.T @ (X @ w0 - t)
    assert np.allclose(_evaluate(PARTS["2.3.1.a"]["answer"]["value"], env), l2_step)
    assert np.allclose(_evaluate(PARTS["2.3.1.b"]["answer"]["value"], env), decay_step)
    env["lam_tilde"] = float(_evaluate(PARTS["2.3.2"]["answer"]["value"], env))
    assert np.allclose(_evaluate(PARTS["2.3.1.a"]["answer"]["value"], env), decay_step)


def test_formula_mistakes_differ_from_the_reference():
    rng = np.random.default_rng(7)
    env = _instance(rng, 3, 4)
    for pid in ("2.2.1.a", "2.2.1.b", "2.2.3.a", "2.2.3.b", "2.3.1.a", "2.3.1.b", "2.3.2"):
        ref = _evaluate(PARTS[pid]["answer"]["value"], env)
        for mistake in PARTS[pid]["mistakes"]:
            assert not np.allclose(_evaluate(mistake["value"], env), ref), (pid, mistake["value"])


# ------------------------------------------------------------------ grading the examples


def _stub_without_formula_parts(tmp_path: Path) -> tuple[Path, dict]:
    """A copy of the problem with the formula parts made manual, until those types exist."""
    spec = yaml.safe_load((PROBLEM / "problem.yaml").read_text(encoding="utf-8"))
    formula = {}
    for part in spec["parts"]:
        if part["type"] in FORMULA_TYPES:
            formula[part["id"]] = part["points"]
            for key in ("answer", "mistakes", "dims", "variables", "rtol"):
                part.pop(key, None)
            part["type"] = "manual"
    folder = tmp_path / "problems" / "csc413-hw2"
    shutil.copytree(PROBLEM, folder)
    (folder / "problem.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    return folder, formula


def _declared() -> dict:
    return yaml.safe_load((EXAMPLES / "expected.yaml").read_text(encoding="utf-8"))


def test_examples_are_declared_and_include_plain_and_latex_formulas():
    declared = _declared()
    names = {p.name for p in EXAMPLES.glob("*.json")}
    assert names == set(declared)
    assert {"full-credit.json", "typical-mistakes.json", "full-credit-latex.json",
            "student-001.json", "student-002.json"} <= names
    assert "\\frac" in json.loads((EXAMPLES / "full-credit-latex.json").read_text())["answers"]["2.3.2"]
    assert "\\" not in json.loads((EXAMPLES / "full-credit.json").read_text())["answers"]["2.2.3.b"]


@pytest.mark.parametrize("name", sorted(_declared()))
def test_example_scores_as_declared(name, tmp_path):
    from grader.engine import grade_path

    want = _declared()[name]
    if _formula_types_available():
        problem, formula = PROBLEM, {}
    else:  # formula parts pending: check everything else now
        problem, formula = _stub_without_formula_parts(tmp_path)
    report = grade_path(problem, EXAMPLES / name)
    parts = {p.id: p for p in report.parts}
    expected_parts = {pid: s for pid, s in (want.get("parts") or {}).items() if pid not in formula}
    for pid, score in expected_parts.items():
        assert math.isclose(parts[pid].score, score, abs_tol=1e-9), (pid, parts[pid].feedback)
    if formula:
        lost = sum(formula.values()) if name.startswith("full-credit") else \
            sum(s for pid, s in (want.get("parts") or {}).items() if pid in formula)
        assert math.isclose(report.score, want["score"] - lost, abs_tol=1e-9)
    else:
        assert math.isclose(report.score, want["score"], abs_tol=1e-9)
    assert report.max_score == 10


def test_typical_mistakes_get_their_specific_feedback(tmp_path):
    from grader.engine import grade_path

    problem = PROBLEM if _formula_types_available() else _stub_without_formula_parts(tmp_path)[0]
    parts = {p.id: p for p in grade_path(problem, EXAMPLES / "typical-mistakes.json").parts}
    assert "cross-correlation" in parts["3.1.a"].feedback and parts["3.1.a"].score == pytest.approx(0.15)
    assert "plain gradient-descent step" in parts["1.2.1.b"].feedback
    assert "minimum norm solution" in parts["1.2.1.c"].feedback
    assert "biases" in parts["3.2.b"].feedback
    assert "not the forward pass" in parts["2.1.2.a"].feedback and "O(1)" not in parts["2.1.2.a"].feedback
    assert parts["3.2.a"].score == pytest.approx(0.2) and "input" in parts["3.2.a"].feedback


def test_malformed_answers_get_a_clear_message_and_zero(tmp_path):
    from grader.engine import grade_path

    problem = PROBLEM if _formula_types_available() else _stub_without_formula_parts(tmp_path)[0]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"answers": {
        "3.1.a": [[0, 1, 2], [2, 3, 3], [1, 1, 1]],
        "3.3.a": "fourteen",
        "3.2.a": "NaN",
        "1.2.1.b": [0.31, "x"],
    }}))
    parts = {p.id: p for p in grade_path(problem, bad).parts}
    for pid in ("3.1.a", "3.3.a", "3.2.a", "1.2.1.b"):
        assert parts[pid].score == 0, pid
        assert parts[pid].feedback, pid
    assert "5" in parts["3.1.a"].feedback  # names the expected 5x5 shape


def test_validate_passes():
    if not _formula_types_available():
        pytest.skip("expression/matrix_expression answer types not available yet")
    from grader.validate import validate

    result = validate(PROBLEM)
    assert result.ok, result.errors
