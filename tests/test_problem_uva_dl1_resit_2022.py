"""The UvA DL1 resit 2022 problem: the spec keeps the seed's points, the solvers compute the
answers that the seed's key gives, and the example submissions get their declared scores."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from grader.solvers import load_solvers

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "uva-dl1-resit-2022"
EXAMPLES = ROOT / "submissions_example" / "uva-dl1-resit-2022"
SEED = ROOT.parent / "shared" / "seeds" / "003_064c90fcb075f0e0.txt"


S = load_solvers(PROBLEM)  # the same loader the engine uses
SPEC = yaml.safe_load((PROBLEM / "problem.yaml").read_text(encoding="utf-8"))
PARTS = {p["id"]: p for p in SPEC["parts"]}


# ------------------------------------------------------------------ the spec vs the seed

# Declared points of the export's exercises ("8 pts · ...") and of every question in them.
SEED_POINTS = {
    "1": (8, [2, 2, 2, 2]),
    "2": (15, [2, 2, 2, 3, 3, 1, 2]),
    "3": (10, [2, 4, 4]),
    "4": (9, [1, 1, 3, 2, 2]),
    "5": (6, [2, 2, 2]),
    "6": (13, [2, 3, 4, 4]),
    "7": (9, [4, 5]),
    "8": (15, [3, 4, 4, 4]),
    "9": (15, [3, 5, 3, 2, 2]),
}

# The seed's per-option points, in the export's order.
SEED_OPTION_POINTS = {
    "1.1": [-1, 1, -1, 1], "1.2": [2, -1, -1, -1], "1.3": [-1, 1, 1, -1], "1.4": [2, 0, 0, 0],
    "2.1": [0, 2, 2, 0], "2.2": [2, 0, 0, 0], "2.3": [0, 2, 0, 0], "2.4": [0, 0, 3, 0],
    "2.6": [1, 0, 0], "2.7": [2, -2, -2, -2],
}


def test_total_is_100_and_every_exercise_has_the_seeds_points():
    assert SPEC["total"] == 100
    assert sum(p["points"] for p in SPEC["parts"]) == 100
    for ex, (total, questions) in SEED_POINTS.items():
        got = [p["points"] for p in SPEC["parts"] if p["id"].split(".")[0] == ex]
        assert got == questions, ex
        assert sum(got) == total, ex


def test_option_points_are_the_seeds():
    for pid, points in SEED_OPTION_POINTS.items():
        assert [o["points"] for o in PARTS[pid]["options"]] == points, pid
        assert PARTS[pid]["type"] == ("multi" if pid in ("1.1", "1.2", "1.3") else "choice")
    for pid in ("1.1", "1.2", "1.3"):
        assert PARTS[pid]["scoring"] == "per_option"


def _squash(text: str) -> str:
    """Whitespace and Markdown emphasis dropped: the export spaces math and headings freely."""
    return re.sub(r"[\s*]+", "", text)


@pytest.mark.skipif(not SEED.exists(), reason="seed document not available")
def test_rubric_items_option_texts_and_feedback_are_copied_from_the_seed():
    seed = _squash(SEED.read_text(encoding="utf-8"))
    for part in SPEC["parts"]:
        for item in part.get("rubric", []):
            assert _squash(item["item"]) in seed, (part["id"], item["item"][:60])
        for option in part.get("options", []):
            assert _squash(option["text"]) in seed, (part["id"], option["label"])
            if "feedback" in option:
                assert _squash(option["feedback"]) in seed, (part["id"], option["label"])


@pytest.mark.skipif(not SEED.exists(), reason="seed document not available")
def test_rubric_points_are_the_seeds():
    seed = _squash(SEED.read_text(encoding="utf-8"))
    for part in SPEC["parts"]:
        for item in part.get("rubric", []):
            # the seed prints the item's first words, "...", then "<points> pt(s)"
            head = re.escape(_squash(item["item"])[:15])
            found = re.search(head + r".{0,40}?(?:\.\.\.)?(\d[\d.]*)pts?", seed)
            assert found, (part["id"], item["item"][:40])
            assert float(found.group(1)) == item["points"], part["id"]


def test_every_part_says_where_its_answer_comes_from():
    for part in SPEC["parts"]:
        assert part.get("prompt"), part["id"]
        if part["type"] == "manual":
            assert part["rubric"] and part.get("reference"), part["id"]
        elif part["type"] not in ("choice", "multi"):
            assert "solver" in part["answer"] or "value" in part["answer"], part["id"]


def test_solver_functions_named_in_the_spec_exist():
    for part in SPEC["parts"]:
        names = [part.get("answer", {}).get("solver")]
        names += [m.get("solver") for m in part.get("mistakes", [])]
        for name in filter(None, names):
            assert callable(getattr(S, name, None)), (part["id"], name)


# ------------------------------------------------------------------ exercise 2: parameters


def _brute_force_params(M, N):
    """Count the distinct trainable numbers of an M -> N quadratic layer one by one."""
    names = set()
    for i in range(N):
        for r in range(M):
            for c in range(M):
                names.add(("A", i, min(r, c), max(r, c)))  # symmetric: A[r,c] is A[c,r]
            names.add(("b", i, r))
        names.add(("c", i))
    return len(names)


@pytest.mark.parametrize("M,N", [(1, 1), (2, 3), (3, 2), (10, 10), (784, 10)])
def test_parameter_count_matches_a_brute_force_count(M, N):
    assert S.quadratic_model_params(M, N) == _brute_force_params(M, N)


def test_parameter_count_formula_and_its_miscounts():
    # M = 3, N = 2: per output 6 (A) + 3 (b) + 1 (c) = 10, so 20
    assert S.quadratic_model_params(3, 2) == 20
    assert S.params_full_matrix(3, 2) == 2 * (9 + 3 + 1)
    assert S.params_no_bias(3, 2) == 2 * (6 + 3)
    assert S.params_no_diagonal(3, 2) == 2 * (3 + 3 + 1)
    assert S.params_one_output(3, 2) == 10
    assert S.quadratic_model_params() == "N*(M + 1)*(M + 2)/2"
    assert S.params_full_matrix() == "N*(M**2 + M + 1)"


def test_parameter_ratio_is_the_right_option():
    assert S.params_ratio() == "M/2 + 1"
    assert PARTS["2.4"]["options"][2]["text"] == r"$\frac{1}{2}M + 1$"


# ------------------------------------------------------------------ exercise 6: variances


def test_variances_are_the_seeds():
    assert S.post_ln_forward_var() == 1.0  # seed: N(0, 1)
    assert S.pre_ln_forward_var() == 3.0  # seed: N(0, 3)
    assert S.post_ln_grad_var() == 1.0  # seed: N(0, 1)
    assert S.pre_ln_grad_var() == 3.0  # 1 -> 3/2 -> 3
    assert S.pre_ln_grad_one_sublayer() == 1.5
    assert S.pre_ln_grad_no_ln() == 4.0
    assert S.pre_ln_forward_std() == pytest.approx(math.sqrt(3))


def _layer_norm(x):
    mu = x.mean(axis=1, keepdims=True)
    sd = x.std(axis=1, keepdims=True)
    return (x - mu) / sd, sd


def _haar(rng, d):
    """A uniformly random orthogonal matrix (trace about 0: output uncorrelated with input)."""
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def test_variances_agree_with_a_monte_carlo_simulation():
    """Blocks as random orthogonal maps (same variance, uncorrelated output), LN gradients
    through the statistics dropped, as the exam's assumptions say."""
    rng = np.random.default_rng(0)
    rows, d = 1000, 256
    q1, q2 = _haar(rng, d), _haar(rng, d)
    x = rng.normal(size=(rows, d))
    g = rng.normal(size=(rows, d))

    # (a) Post-LN
    s1 = x + x @ q1
    xa, sd1 = _layer_norm(s1)
    s2 = xa + xa @ q2
    out_a, sd2 = _layer_norm(s2)
    g_s2 = g / sd2
    g_xa = g_s2 + g_s2 @ q2.T
    g_s1 = g_xa / sd1
    g_a = g_s1 + g_s1 @ q1.T
    assert out_a.var() == pytest.approx(S.post_ln_forward_var(), rel=0.05)
    assert g_a.var() == pytest.approx(S.post_ln_grad_var(), rel=0.05)

    # (b) Pre-LN
    ln1, sdx = _layer_norm(x)
    xb = x + ln1 @ q1
    ln2, sdxb = _layer_norm(xb)
    out_b = xb + ln2 @ q2
    g_xb = g + (g @ q2.T) / sdxb
    g_b = g_xb + (g_xb @ q1.T) / sdx
    assert out_b.var() == pytest.approx(S.pre_ln_forward_var(), rel=0.05)
    assert g_b.var() == pytest.approx(S.pre_ln_grad_var(), rel=0.05)


# ------------------------------------------------------------------ exercise 9: optimization


def _random_spd(rng, n):
    q = np.linalg.qr(rng.normal(size=(n, n)))[0]
    lam = rng.uniform(0.1, 10, size=n)
    return (q * lam) @ q.T, lam


def test_gradient_of_the_quadratic_is_A_x():
    rng = np.random.default_rng(1)
    A, _ = _random_spd(rng, 4)
    x = rng.normal(size=4)
    f = lambda v: 0.5 * v @ A @ v  # noqa: E731
    h = 1e-6
    numeric = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(4)])
    assert S.GRADIENT == "A @ x"
    np.testing.assert_allclose(numeric, A @ x, rtol=1e-6, atol=1e-8)
    assert S.gd_step() == "x - eta*(A @ x)"


def _rate(eta, lmin, lmax):
    return max(abs(1 - eta * lmin), abs(1 - eta * lmax))


def test_rate_is_the_spectral_norm_of_the_step_matrix():
    rng = np.random.default_rng(2)
    for _ in range(20):
        A, lam = _random_spd(rng, 5)
        eta = rng.uniform(0.01, 0.5)
        norm = np.linalg.norm(np.eye(5) - eta * A, 2)
        assert norm == pytest.approx(_rate(eta, lam.min(), lam.max()), rel=1e-9)
    assert S.gd_rate() == "max(abs(1 - eta*lambda_min), abs(1 - eta*lambda_max))"


def test_optimal_learning_rate_minimizes_the_rate():
    assert S.optimal_lr() == "2/(lambda_max + lambda_min)"
    for lmin, lmax in [(0.1, 2.0), (1.0, 4.0), (0.5, 10.0)]:
        best = 2 / (lmin + lmax)
        grid = np.linspace(0.001, 2 / lmax, 20001)
        rates = [_rate(e, lmin, lmax) for e in grid]
        assert grid[int(np.argmin(rates))] == pytest.approx(best, rel=1e-3)
        assert _rate(best, lmin, lmax) == pytest.approx((lmax / lmin - 1) / (lmax / lmin + 1))


def test_optimal_rate_in_kappa_and_carried_forward():
    assert S.optimal_rate(S.optimal_lr()) == "(kappa - 1)/(kappa + 1)"
    # a student's 9.3 of 1/lambda_max gives 1 - 1/kappa at that learning rate
    assert S.optimal_rate("1/lambda_max") == "(kappa - 1)/kappa"
    # a learning rate that is not scale-free cannot be written in kappa: nothing carried
    with pytest.raises(ValueError):
        S.optimal_rate("1/lambda_max^2")
    with pytest.raises(ValueError):
        S.optimal_rate("2/(lambda_min + mu)")


def test_momentum_steps_about_046_n():
    assert S.momentum_steps_coefficient() == pytest.approx(math.log(5) / math.log(3) - 1)
    assert round(S.momentum_steps_coefficient(), 2) == 0.46
    # (1/3)^m = (3/5)^n with m = 0.465 n
    n = 100
    m = S.momentum_steps_coefficient() * n
    assert (1 / 3) ** m == pytest.approx((3 / 5) ** n)
    assert S.momentum_steps("(kappa - 1)/(kappa + 1)") == "-n + n*log(5)/log(3)"
    # carried forward from a 9.4 of (kappa-1)/kappa: rate 3/4 at kappa = 4
    assert S.momentum_steps("(kappa-1)/kappa") == "-n + 2*n*log(2)/log(3)"
    assert S.momentum_steps_rate_ratio() == "5*n/9"
    assert S.momentum_steps_kappa_not_sqrt() == "n"
    with pytest.raises(ValueError):
        S.momentum_steps("kappa")  # a "rate" of 4 is no rate


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "kappa.real", "lambda: 1", "[1, 2]", "kappa if 1 else 2",
    "(" * 5000 + "1" + ")" * 5000, "9" * 3000, "kappa ** 10**9", "", "open('x')", "nan",
    "1e999",
])
def test_formula_reader_refuses_hostile_text(text):
    with pytest.raises(ValueError):
        S.to_sympy(text, {"kappa": 1})


def test_formula_reader_reads_plain_formulas():
    import sympy

    k = sympy.Symbol("kappa")
    assert S.to_sympy("(kappa-1)/(kappa+1)", {"kappa": k}) == (k - 1) / (k + 1)
    assert S.to_sympy("sqrt(kappa)^2", {"kappa": k}) == k
    assert S.to_sympy(k + 1, {}) == k + 1


# ------------------------------------------------------------------ the example submissions


def _expected():
    return yaml.safe_load((EXAMPLES / "expected.yaml").read_text(encoding="utf-8"))


def test_examples_cover_full_credit_mistakes_and_both_formula_styles():
    expected = _expected()
    assert {"full-credit.json", "full-credit-latex.json", "typical-mistakes.json"} <= set(expected)
    latex = json.loads((EXAMPLES / "full-credit-latex.json").read_text())["answers"]
    plain = json.loads((EXAMPLES / "full-credit.json").read_text())["answers"]
    formula_parts = [p for p, d in PARTS.items() if d["type"].endswith("expression")]
    assert all("\\" in latex[p] for p in formula_parts if p != "9.1")
    assert not any("\\" in plain[p] for p in formula_parts)
    auto = sum(d["points"] for d in PARTS.values() if d["type"] != "manual")
    assert expected["full-credit.json"]["score"] == auto == 51


def _grade(path: Path) -> dict:
    """The engine's report of one submission (in process if the engine offers it)."""
    try:
        from grader.engine import grade_path  # type: ignore
    except ImportError:
        grade_path = None
    if grade_path is not None:
        report = grade_path(PROBLEM, path)
        return report if isinstance(report, dict) else report.to_dict()
    done = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(PROBLEM), str(path), "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _parts(report: dict) -> dict:
    parts = report.get("parts") or report.get("tests") or []
    return {str(p.get("id", p.get("number"))): p for p in parts}


ENGINE = importlib.util.find_spec("grader.engine") is not None


@pytest.mark.skipif(not ENGINE, reason="the grading engine (grader/engine.py) is not there yet")
@pytest.mark.parametrize("name", ["full-credit.json", "full-credit-latex.json",
                                  "typical-mistakes.json"])
def test_example_submission_gets_its_declared_score(name):
    declared = _expected()[name]
    report = _grade(EXAMPLES / name)
    assert report["score"] == pytest.approx(declared["score"], abs=1e-3)
    parts = _parts(report)
    for pid, score in declared.get("parts", {}).items():
        assert parts[pid]["score"] == pytest.approx(score, abs=1e-3), pid


@pytest.mark.skipif(not ENGINE, reason="the grading engine (grader/engine.py) is not there yet")
def test_typical_mistakes_get_their_specific_feedback():
    parts = _parts(_grade(EXAMPLES / "typical-mistakes.json"))
    assert "M(M+1)/2 free numbers, not M^2" in parts["2.5"]["feedback"]  # almost correct: 2 of 3 points
    assert parts["2.5"]["via"] == "mistake"
    assert "see above" in parts["1.2"]["feedback"]  # the seed's feedback of the -1 option
    assert "floored at 0" in parts["2.7"]["feedback"]
    assert "only for small enough steps" in parts["9.2"]["feedback"]  # without 9.3's answer
    assert parts["9.4"]["via"] == "carry_forward"  # right for the student's own 1/lambda_max
    assert "sqrt(kappa) = 2" in parts["9.5"]["feedback"]  # the momentum-rate mistake
    assert parts["6.4"]["score"] == 0 and "LayerNorm" in parts["6.4"]["feedback"]


@pytest.mark.skipif(not ENGINE, reason="the grading engine (grader/engine.py) is not there yet")
def test_hostile_formula_answers_score_zero_with_a_message(tmp_path):
    answers = {"2.5": "__import__('os').system('echo hi')", "9.1": "x" * 100000,
               "9.3": "((((((((((" * 500, "9.4": float("nan"), "9.5": {"n": 1}, "6.2": "1e999",
               "2.1": ["B", "C"], "1.1": "A" * 10000}
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps({"answers": answers}))
    report = _grade(path)
    parts = _parts(report)
    for pid in answers:
        assert parts[pid]["score"] == 0, pid
        assert parts[pid]["feedback"], pid
    assert report["score"] == 0


@pytest.mark.skipif(not ENGINE, reason="the grading engine (grader/engine.py) is not there yet")
def test_errors_carry_forward_along_the_optimization_chain(tmp_path):
    # 9.3 wrong (1/lambda_max); 9.4 right for it ((kappa-1)/kappa, i.e. 3/4 at kappa = 4);
    # 9.5 right for that rate: (1/3)^m = (3/4)^n
    answers = {"9.3": "1/lambda_max", "9.4": "(kappa-1)/kappa", "9.5": "n*log(4/3)/log(3)"}
    path = tmp_path / "chain.json"
    path.write_text(json.dumps({"answers": answers}))
    parts = _parts(_grade(path))
    assert parts["9.3"]["score"] == 0
    assert parts["9.4"]["score"] == 2 and parts["9.4"]["via"] == "carry_forward"
    assert parts["9.5"]["score"] == 2 and parts["9.5"]["via"] == "carry_forward"
    # the reference's own 9.5 is still right whatever 9.4 was
    answers["9.5"] = "n*(log(5)/log(3) - 1)"
    path.write_text(json.dumps({"answers": answers}))
    assert _parts(_grade(path))["9.5"]["score"] == 2


@pytest.mark.skipif(not ENGINE, reason="the grading engine (grader/engine.py) is not there yet")
def test_a_learning_rate_that_is_not_scale_free_carries_nothing(tmp_path):
    answers = {"9.3": "1/lambda_max^2", "9.4": "(kappa-1)/kappa^2", "9.5": "0.46 n"}
    path = tmp_path / "chain.json"
    path.write_text(json.dumps({"answers": answers}))
    parts = _parts(_grade(path))
    assert parts["9.3"]["score"] == 0
    assert parts["9.4"]["score"] == 0 and parts["9.4"]["via"] != "carry_forward"
    assert parts["9.5"]["score"] == 2  # "0.46 n" within rtol 0.02 of 0.465 n


# ------------------------------------------------------------------ carried forward without sympy


def _same_formula(part_id: str, got: str, want: str) -> bool:
    """What the engine asks: does the part's answer type judge the two formulas equal?"""
    from grader.spec import load_problem

    part = load_problem(PROBLEM).part(part_id)
    ctx = part.context("test")
    kind = part.kind
    return kind.compare(kind.expected(got, ctx), kind.expected(want, ctx), ctx).fraction == 1


@pytest.mark.parametrize("eta", [
    "2/(lambda_max + lambda_min)", "1/lambda_max", "1/(lambda_min + lambda_max)", "2/lambda_max",
    "1/lambda_min", "sqrt(1/(lambda_min*lambda_max))", "(lambda_max - lambda_min)/lambda_max^2",
    "2/(lambda_max + lambda_min)*exp(0)", "e/(pi*lambda_max)", "sqrt(4/(lambda_min + lambda_max)^2)",
])
def test_rate_in_kappa_agrees_with_optimal_rate(eta):
    # sympy prints Max and E, which the expression type does not read (so carrying 2/lambda_max
    # through optimal_rate gave no credit); the float solver writes max and e
    want = re.sub(r"\bE\b", "e", S.optimal_rate(eta).replace("Max(", "max("))
    assert _same_formula("9.4", S.rate_in_kappa(eta), want)


@pytest.mark.parametrize("eta", ["1/lambda_max^2", "lambda_min", "0.1", "1/(lambda_max + 1)",
                                 "2/(lambda_min + mu)", "log(lambda_max)"])
def test_rate_in_kappa_refuses_what_is_not_a_rate_in_kappa(eta):
    with pytest.raises(ValueError):
        S.rate_in_kappa(eta)


@pytest.mark.parametrize("rate", ["(kappa - 1)/(kappa + 1)", "(kappa - 1)/kappa", "kappa/(kappa + 1)",
                                  "max(abs(1 - 2/(kappa + 1)), abs(1 - 2/(kappa + 1)*kappa))",
                                  "1 - 1/kappa^2", "sqrt((kappa - 1)/kappa)"])
def test_momentum_steps_from_rate_agrees_with_momentum_steps(rate):
    fast = S.momentum_steps_from_rate(rate)
    assert re.fullmatch(r"[0-9.e+-]+\*n", fast)
    assert _same_formula("9.5", fast, S.momentum_steps(rate))


@pytest.mark.parametrize("rate", ["kappa", "1", "0", "kappa - 4", "1/(kappa - 4)", "-(kappa - 1)/kappa",
                                  "1 - kappa", "sqrt(2 - kappa)", "n/kappa"])
def test_momentum_steps_from_rate_refuses_what_is_no_rate_at_kappa_4(rate):
    with pytest.raises(ValueError):
        S.momentum_steps_from_rate(rate)


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "kappa.real", "lambda: 1", "[1, 2]", "kappa if 1 else 2",
    "(" * 5000 + "1" + ")" * 5000, "-" * 100 + "kappa", "9" * 3000, "kappa ** 10**9", "10.0**400 * kappa",
    "", "open('x')", "nan", "1e999", "1j * kappa", "max(*[kappa])", "sqrt(kappa, 2)", "log(x=kappa)",
    "exp(exp(exp(kappa)))", "1/(kappa - kappa)", "(-kappa)^0.5", "True + kappa", "'kappa'", None, [1],
    "+".join(["kappa"] * 300), "*".join(["10.0**90"] * 4) + "*kappa",
])
def test_float_carry_solvers_refuse_hostile_text(text):
    with pytest.raises(ValueError):
        S.momentum_steps_from_rate(text)
    with pytest.raises(ValueError):
        S.rate_in_kappa(text)


def _carried_parts(tmp_path: Path, answers: dict) -> dict:
    path = tmp_path / "carried.json"
    path.write_text(json.dumps({"answers": answers}))
    return _parts(_grade(path))


@pytest.mark.skipif(not ENGINE, reason="the grading engine (grader/engine.py) is not there yet")
@pytest.mark.parametrize("eta, rate, steps", [
    ("1/lambda_max", "(kappa-1)/kappa", "n*log(4/3)/log(3)"),
    ("1/(lambda_min + lambda_max)", "kappa/(kappa+1)", "n*log(5/4)/log(3)"),
    ("\\frac{1}{\\lambda_{\\max}}", "\\frac{\\kappa - 1}{\\kappa}", "0.262 n"),
    ("\\frac{1}{\\lambda_{\\min} + \\lambda_{\\max}}", "1 - \\frac{1}{\\kappa + 1}", "\\frac{n \\ln(5/4)}{\\ln 3}"),
])
def test_wrong_learning_rates_carry_forward(tmp_path, eta, rate, steps):
    parts = _carried_parts(tmp_path, {"9.3": eta, "9.4": rate, "9.5": steps})
    assert parts["9.3"]["score"] == 0
    assert parts["9.4"]["score"] == 2 and parts["9.4"]["via"] == "carry_forward"
    assert parts["9.5"]["score"] == 2 and parts["9.5"]["via"] == "carry_forward"


@pytest.mark.skipif(not ENGINE, reason="the grading engine (grader/engine.py) is not there yet")
def test_carried_forward_but_still_wrong_or_partly_right(tmp_path):
    # 9.4 right for neither the key nor 1/lambda_max; 9.5 right for the rate 9.4 gave
    parts = _carried_parts(tmp_path, {"9.3": "1/lambda_max", "9.4": "(kappa-1)/kappa^2",
                                      "9.5": "n*log(16/3)/log(3)"})
    assert parts["9.4"]["score"] == 0 and parts["9.4"]["via"] != "carry_forward"
    assert parts["9.5"]["score"] == 2 and parts["9.5"]["via"] == "carry_forward"
    # a step count 6% off what the carried rate gives is outside 9.5's rtol of 2%
    parts = _carried_parts(tmp_path, {"9.3": "1/lambda_max", "9.4": "(kappa-1)/kappa", "9.5": "0.246 n"})
    assert parts["9.4"]["score"] == 2 and parts["9.5"]["score"] == 0
    # a scale-dependent learning rate carries nothing; a 9.4 that is no rate at kappa = 4 neither
    parts = _carried_parts(tmp_path, {"9.3": "1/lambda_max^2", "9.4": "kappa + 1", "9.5": "0.5 n"})
    assert [parts[p]["score"] for p in ("9.3", "9.4", "9.5")] == [0, 0, 0]
    assert parts["9.4"]["via"] != "carry_forward" and parts["9.5"]["via"] != "carry_forward"


@pytest.mark.skipif(not ENGINE, reason="the grading engine (grader/engine.py) is not there yet")
def test_grading_with_carried_errors_never_imports_sympy(tmp_path):
    """A worker grading a class must not pay for sympy: the reference answers come from the
    cache `grader validate` writes, carried ones from the float solvers. A copy of the problem
    is validated here, so the test does not depend on (nor touch) the repository's cache."""
    copy = tmp_path / "problems" / PROBLEM.name
    shutil.copytree(PROBLEM, copy, ignore=shutil.ignore_patterns(".reference-cache.json", "__pycache__"))
    done = subprocess.run([sys.executable, "-m", "grader", "validate", str(copy)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (copy / ".reference-cache.json").exists()
    extra = tmp_path / "carried.json"
    extra.write_text(json.dumps({"answers": {"9.3": "\\frac{1}{\\lambda_{\\min}+\\lambda_{\\max}}",
                                             "9.4": "kappa/(kappa+1)", "9.5": "n*log(5/4)/log(3)"}}))
    files = sorted(str(p) for p in EXAMPLES.glob("*.json")) + [str(extra)]
    code = (
        "import json, sys\n"
        "from grader.engine import grade_path\n"
        "out = {}\n"
        f"for f in {files!r}:\n"
        f"    report = grade_path({str(copy)!r}, f)\n"
        "    out[f] = {p.id: [p.score, p.via] for p in report.parts if p.id.startswith('9.')}\n"
        "print(json.dumps({'parts': out, 'sympy': 'sympy' in sys.modules}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    mistakes = result["parts"][str(EXAMPLES / "typical-mistakes.json")]
    assert mistakes["9.4"] == [2, "carry_forward"]
    assert result["parts"][str(extra)]["9.4"] == [2, "carry_forward"]
    assert result["parts"][str(extra)]["9.5"] == [2, "carry_forward"]
    assert result["sympy"] is False
