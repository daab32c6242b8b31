"""The reconstructed midterm (problems/dl-midterm): the solvers give the values worked out by hand
from the seed, the closed forms agree with running the iterations, kernels are graded by what
they do, and every example submission gets its declared score."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from grader.engine import grade_path
from grader.solvers import load_solvers

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "dl-midterm"
EXAMPLES = ROOT / "submissions_example" / "dl-midterm"


S = load_solvers(PROBLEM)  # the same loader the engine uses
SPEC = yaml.safe_load((PROBLEM / "problem.yaml").read_text(encoding="utf-8"))
PARTS = {p["id"]: p for p in SPEC["parts"]}
LAYERS = SPEC["params"]["layers"]
X = SPEC["params"]["x"]


# ------------------------------------------------------------------ the spec

def test_points_add_up_and_every_part_states_its_question():
    assert sum(p["points"] for p in SPEC["parts"]) == SPEC["total"] == 52
    for part in SPEC["parts"]:
        if part["type"] == "code":
            continue
        assert part.get("prompt", "").strip(), part["id"]
        if part["id"] not in ("Q1.e.b", "Q1.e.c", "Q1.e.d", "Q1.e.e", "Q1.e.f"):
            assert part.get("assumptions", "").strip(), f"{part['id']}: a reconstructed part says what it assumes"
    for pid in ("Q1.b", "Q1.c", "Q1.d", "Q4"):
        assert "transform" in PARTS[pid], pid


# ------------------------------------------------------------------ Q1 shapes, by hand

def test_conv_output_shapes_of_q1a():
    # (i) floor((28 + 0 - 3)/1) + 1 = 26; (ii) floor((28 + 2 - 4)/2) + 1 = 14 (the seed's working)
    assert S.conv2d_output_shape([32, 1, 28, 28], 128, 3, 1, 0) == [32, 128, 26, 26]
    assert S.conv2d_output_shape([32, 1, 28, 28], 128, 4, 2, 1) == [32, 128, 14, 14]
    assert S.conv2d_output_shape([32, 1, 28, 28], 128, 3, 1, 0, variant="no_plus_one") == [32, 128, 25, 25]
    assert S.conv2d_output_shape([32, 1, 28, 28], 128, 4, 2, 1, variant="no_padding") == [32, 128, 13, 13]
    # floor vs ceil differ only when the division is not exact: (29 + 2 - 4)/2 = 13.5
    assert S.conv2d_output_shape([1, 1, 29, 29], 1, 4, 2, 1)[2] == 14
    assert S.conv2d_output_shape([1, 1, 29, 29], 1, 4, 2, 1, variant="ceil")[2] == 15
    with pytest.raises(ValueError):
        S.conv2d_output_shape([32, 28, 28], 128, 3)


def test_encoder_decoder_gives_the_seed_students_shapes():
    shapes = S.all_layer_shapes(LAYERS, SPEC["params"]["net_input"])
    assert shapes == {
        "a": [10, 16, 32, 32], "b": [10, 32, 16, 16], "c": [10, 128, 8, 8],
        "d": [10, 16, 8, 8], "e": [10, 8, 16, 16], "f": [10, 1, 32, 32],
    }
    assert S.skip_concat_shape(shapes["a"], shapes["e"]) == [10, 24, 32, 32]
    with pytest.raises(ValueError):
        S.skip_concat_shape(shapes["a"], [10, 8, 4, 4])  # nothing to carry forward from that


def test_receptive_field_recursion_matches_the_seed_and_the_backward_form():
    # the seed: r_a (written r_0) = 1, r_b = 3, r_c = 7, r_d = 15
    assert [S.receptive_field(LAYERS, u) for u in "abcd"] == [1, 3, 7, 15]
    assert [S.receptive_field_backward(LAYERS, u) for u in "abcd"] == [1, 3, 7, 15]
    assert S.receptive_field(LAYERS, "d", variant="no_jump") == 7
    # the two recursions agree on other stacks too
    rng = np.random.default_rng(1)
    for _ in range(20):
        layers = {str(i): {"k": int(rng.integers(1, 6)), "s": int(rng.integers(1, 4))} for i in range(4)}
        assert S.receptive_field(layers, "3") == S.receptive_field_backward(layers, "3")


# ------------------------------------------------------------------ Q1 kernels, by behaviour

def test_horizontal_edge_detectors_are_recognised_whatever_their_form():
    for k in ([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
              [[-3, -3, -3], [0, 0, 0], [3, 3, 3]], [[0, 0, 0], [1, 1, 1], [-1, -1, -1]],
              [[0, 1, 0], [0, 0, 0], [0, -1, 0]]):
        assert S.horizontal_edge_behaviour(k) == [1, 1, 1], k
    assert S.horizontal_edge_behaviour([[1, 0, -1]] * 3) == [1, 0, 0]          # vertical edges
    assert S.horizontal_edge_behaviour(np.zeros((3, 3))) == [1, 1, 0]          # responds to nothing
    assert S.horizontal_edge_behaviour([[0, 0, 0], [0, 1, 0], [0, 0, 0]]) == [0, 0, 1]  # identity
    assert S.horizontal_edge_behaviour([[1, -1, 0], [-1, 1, 0], [0, 0, 0]])[2] == 0     # checkerboard


def test_diagonal_kernel_accepts_exactly_the_multiples_of_roberts():
    for c in (1, -1, 2.5, -0.01):
        assert S.diagonal_edge_behaviour([[0, c], [-c, 0]]) == [1, 1, 1]
    assert S.diagonal_edge_behaviour([[1, 0], [0, -1]]) == [1, 0, 0]
    rng = np.random.default_rng(2)
    for _ in range(50):
        k = rng.normal(size=(2, 2))
        assert S.diagonal_edge_behaviour(k) != [1, 1, 1]


def test_shift_kernel_moves_the_image_left_under_cross_correlation():
    img = np.arange(36, dtype=float).reshape(6, 6)
    out = S.correlate2d(img, S.shift_kernel(1, 0), padding=1)
    expected = np.zeros_like(img)
    expected[:, :-1] = img[:, 1:]
    assert np.array_equal(out, expected)
    assert np.asarray(S.shift_kernel(1, 0)).tolist() == [[0, 0, 0], [0, 0, 1], [0, 0, 0]]
    ref = S.shift_test_outputs(S.shift_kernel(1, 0))
    flipped = S.shift_test_outputs(S.shift_kernel(-1, 0))
    assert not all(np.array_equal(a, b) for a, b in zip(ref, flipped))
    with pytest.raises(ValueError, match="3x3"):
        S.shift_test_outputs([[0, 1], [1, 0]])


# ------------------------------------------------------------------ Q4

def test_one_hot_rows_are_decoded_whatever_the_column_order():
    table = S.one_hot_table(SPEC["params"]["sentence"])
    assert table.shape == (6, 5)
    assert S.decode_one_hot(table) == [0, 1, 2, 3, 4, 1]
    assert S.decode_one_hot(table[:, [4, 2, 0, 3, 1]]) == [0, 1, 2, 3, 4, 1]
    seed = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert S.decode_one_hot(seed) == [0, 1, 2, 3, -1, -1]
    assert S.decode_one_hot([[1, 1, 0], [0.5, 0, 0]]) == [-1, -1]


# ------------------------------------------------------------------ Q7: closed forms vs iterations

def test_sgd_limit_is_the_minimum_norm_solution():
    closed = S.min_norm_solution(X, 1)
    assert np.allclose(closed, np.array([1, 0.1, 0.01]) / 1.0101)
    assert np.allclose(S.run_sgd(X, 1, steps=3000), closed, atol=1e-9)


def test_rms_preconditioned_limit_by_closed_form_and_by_iteration():
    closed = S.rms_preconditioned_limit(X, 1)
    assert np.allclose(closed, np.ones(3) / 1.11)
    assert np.allclose(S.run_rms_preconditioned(X, 1, epochs=20000), closed, atol=1e-4)
    assert np.allclose(S.run_sgd(X, 1, steps=3000, preconditioner=S.rms_preconditioner(X)), closed, atol=1e-9)
    # without the square root the limit is [1, 10, 100] / 3, the rescaled problem's answer
    assert np.allclose(S.rms_preconditioned_limit(X, 1, power=2), np.array([1, 10, 100]) / 3)


def test_fixed_diagonal_preconditioner_limit_on_random_problems():
    rng = np.random.default_rng(3)
    for _ in range(5):
        A, b = rng.normal(size=(2, 4)), rng.normal(size=2)
        p = rng.uniform(0.2, 3.0, size=4)
        closed = S.preconditioned_limit(A, b, p)
        assert np.allclose(A @ closed, b)
        assert np.allclose(S.run_sgd(A, b, steps=6000, preconditioner=p, seed=1), closed, atol=1e-6)


def test_rescaling_answers():
    out = S.rescaled_solution(X, 1)
    assert np.allclose(out["theta_bar"], [1 / 3] * 3)
    assert np.allclose(out["theta"], [1 / 3, 10 / 3, 100 / 3])
    assert np.allclose(S.theta_from_rescaled(out["theta_bar"], X), out["theta"])
    # the seed student's final answer 1/3 [1, 100, 1000] is none of these
    assert not np.allclose(out["theta"], [1 / 3, 100 / 3, 1000 / 3])


def test_nonuniform_sampling_converges_to_the_minimum_norm_solution_and_x_tilde_fits():
    rng = np.random.default_rng(4)
    A, b = rng.normal(size=(3, 6)), rng.normal(size=3)
    p = np.array([0.6, 0.3, 0.1])
    theta = S.run_sgd(A, b, steps=20000, probs=p, seed=5)
    assert np.allclose(theta, A.T @ np.linalg.solve(A @ A.T, b), atol=1e-6)   # Q7.5
    xt = np.diag(np.sqrt(p)) @ A                                              # Q7.4.a: D X
    theta_star = A.T @ np.linalg.solve(A @ A.T, b)
    t = rng.normal(size=6)
    expected_loss = sum(p[i] * (b[i] - A[i] @ t) ** 2 for i in range(3))
    assert np.isclose(expected_loss, (t - theta_star) @ xt.T @ xt @ (t - theta_star))


# ------------------------------------------------------------------ example submissions

EXPECTED = yaml.safe_load((EXAMPLES / "expected.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_examples_get_their_declared_scores(name):
    report = grade_path(PROBLEM, EXAMPLES / name)
    declared = EXPECTED[name]
    assert report.score == pytest.approx(declared["score"], abs=1e-6)
    scores = {p.id: p.score for p in report.parts}
    for pid, score in (declared.get("parts") or {}).items():
        assert scores[pid] == pytest.approx(score, abs=1e-6), pid


def test_every_example_file_is_declared():
    assert {p.name for p in EXAMPLES.glob("*.json")} | {p.name for p in EXAMPLES.glob("*.py")} == set(EXPECTED)


def _by_id(report):
    return {p.id: p for p in report.parts}


def test_seed_student_sees_why_the_rescaled_answer_and_the_table_lose_credit():
    parts = _by_id(grade_path(PROBLEM, EXAMPLES / "seed-student.json"))
    assert parts["Q7.3.b"].status == "incorrect"
    assert "expected 3.33" in parts["Q7.3.b"].feedback
    assert parts["Q4"].status == "partial" and "got -1" in parts["Q4"].feedback
    assert parts["Q1.g"].status == "manual" and parts["Q7.4.b"].status == "manual"


def test_seed_students_fix_in_their_own_words_chooses_the_right_option():
    raw = json.loads((EXAMPLES / "seed-student.json").read_text())["answers"]["Q2.b"]
    assert raw == "place `optim.zero_grad()` before backward pass."  # as on the sheet
    parts = _by_id(grade_path(PROBLEM, EXAMPLES / "seed-student.json"))
    assert parts["Q2.b"].score == 2 and parts["Q2.b"].feedback.startswith("A is correct")


def test_kernel_feedback_names_the_behaviour(tmp_path):
    sub = tmp_path / "s.json"
    sub.write_text(json.dumps({"answers": {
        "Q1.b": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],          # Sobel for vertical edges
        "Q1.c": [[0, 1], [-1, 0.5]],                           # responds to flat images
        "Q1.d": [[0, 0, 0], [1, 0, 0], [0, 0, 0]],              # flipped: shifts right
        "Q4": [[1, 0], [0, 1]],                                # too few rows
    }}))
    parts = _by_id(grade_path(PROBLEM, sub))
    assert parts["Q1.b"].score == 0 and "vertical edges" in parts["Q1.b"].feedback
    assert parts["Q1.c"].score == 0 and "constant image" in parts["Q1.c"].feedback
    assert parts["Q1.d"].score == 1.0 and "right" in parts["Q1.d"].feedback
    assert parts["Q4"].score == 0 and "shape" in parts["Q4"].feedback


def test_hostile_answers_get_clear_messages_and_no_credit(tmp_path):
    sub = tmp_path / "h.json"
    sub.write_text(json.dumps({"answers": {
        "Q1.b": [[1e300, 0, 0], [0, 0, 0], [0, 0, 0]],
        "Q1.d": [[1, 2], [3, 4]],
        "Q4": [[[1]]],
        "Q1.f": [10, 24, 32],
        "Q7.5": "__import__('os').system('true')",
        "Q7.2": ["nan", 1, 1],
    }}))
    parts = _by_id(grade_path(PROBLEM, sub))
    assert all(parts[k].score == 0 for k in ("Q1.b", "Q1.d", "Q4", "Q1.f", "Q7.5", "Q7.2"))
    assert "too large" in parts["Q1.b"].feedback
    assert "3x3" in parts["Q1.d"].feedback
    assert "3 dimension" in parts["Q4"].feedback
    assert "Q7.5" in parts["Q7.5"].feedback


def test_validate_passes():
    run = subprocess.run([sys.executable, "-m", "grader", "validate", str(PROBLEM)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "valid" in run.stdout
