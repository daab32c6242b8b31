"""The numeric rules every part of the grader shares (grader/numbers.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from grader.numbers import figures, fixed, number_text, to_plain, tolerance_text, within


def test_the_expected_value_sets_the_tolerance_for_scalars_and_arrays():
    assert within(100.00005, 100.0, 1e-6, 0.0) is True
    assert within(100.001, 100.0, 1e-6, 0.0) is False
    assert within(1e-10, 0.0, 1e-6, 1e-9) is True  # near 0 the absolute tolerance decides
    # asymmetric: a wrong student value does not widen its own tolerance
    assert within(0.0, 1.0, 0.5, 0) is False and within(1.0, 0.0, 0.5, 0) is False
    assert within(np.array([1.0, 2.1]), np.array([1.0, 2.0]), 1e-6, 1e-9).tolist() == [True, False]
    assert tolerance_text(0, 0) == "exact" and tolerance_text(1e-6, 1e-9) == "within 1e-09 + 1e-06·|expected|"


@pytest.mark.parametrize("x, gradebook, table", [
    (12.0, "12", "12"), (1 / 3, "0.3333", "0.3333"), (-0.00001, "0", "-1e-05"), (2.5, "2.5", "2.5"),
    (12345.0, "12345", "12345"),
])
def test_numbers_in_gradebooks_and_tables(x, gradebook, table):
    assert fixed(x, 4) == gradebook
    assert figures(x, whole=True) == table
    assert fixed(None, 4) == "" and fixed(None, 2, blank="-") == "-"


def test_feedback_shows_numbers_as_written():
    from grader.types.numeric import WrittenFloat

    assert number_text(WrittenFloat("0.250")) == "0.250"
    assert number_text(3.0) == "3" and number_text(1 / 3) == "0.3333333333"


def test_solver_values_become_plain_data():
    value = {"a": np.arange(3), "b": np.float64(2.5), 1: (np.bool_(True), float("nan"))}
    plain = to_plain(value)
    assert plain["a"] == [0, 1, 2] and type(plain["a"][0]) is int and plain[1][0] is True
    exact = to_plain(value, exact=True, finite=True)
    assert json.dumps(exact, allow_nan=False) == '{"a": [0, 1, 2], "b": 2.5, "1": [true, "nan"]}'
