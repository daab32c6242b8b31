"""The demo problem's checks written the way instructors write them today: a gradescope-utils
unittest suite. It reads the answers file named by $SUBMISSION (default
/autograder/submission/answers.json) and checks the same parts with the same credit as
tests/problems/demo with `size: 28` (the benchmark's fixed variant). Part 8 is manual (0 here).
"""

import json
import math
import os
import unittest

from gradescope_utils.autograder_utils.decorators import number, partial_credit, weight


def _answers():
    path = os.environ.get("SUBMISSION", "/autograder/submission/answers.json")
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    if isinstance(data, dict) and isinstance(data.get("answers"), dict):
        data = data["answers"]
    return data if isinstance(data, dict) else {}


def _num(x):
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise AssertionError(f"expected a number, got {x!r}")
    return float(x)


class DemoTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = _answers()

    @number("1")
    @partial_credit(1)
    def test_1_output_size(self, set_score=None):
        got = _num(self.a.get("1"))
        if got == 26:
            set_score(1)
        elif got == 14:  # the anticipated mistake: stride 2
            set_score(0.5)
            self.fail("You used stride 2.")
        else:
            set_score(0)
            self.fail(f"{got:g} is not correct")

    @number("2")
    @partial_credit(2)
    def test_2_min_norm(self, set_score=None):
        got = self.a.get("2")
        want = [0.8, 0.4]
        if not isinstance(got, list) or len(got) != 2:
            set_score(0)
            self.fail("expected a vector of 2 numbers")
        vals = [_num(x) for x in got]
        if all(abs(g - w) <= 1e-9 + 1e-4 * abs(w) for g, w in zip(vals, want)):
            set_score(2)
        elif all(abs(g - w) <= 1e-9 + 0.05 * abs(w) for g, w in zip(vals, want)):
            set_score(1)
            self.fail("Close, but not within 1e-4.")
        else:
            set_score(0)
            self.fail("not correct")

    @number("3")
    @partial_credit(1)
    def test_3_shape(self, set_score=None):
        got = self.a.get("3")
        want = [32, 128, 26, 26]
        if not isinstance(got, list) or len(got) != 4:
            set_score(0)
            self.fail("expected a shape of 4 dimensions [N, C, H, W]")
        right = sum(1 for g, w in zip(got, want) if g == w)
        set_score(right / 4)
        self.assertEqual(got, want)

    @number("4")
    @partial_credit(1)
    def test_4_set(self, set_score=None):
        got = self.a.get("4")
        want = {"stride", "dilation", "kernel size"}
        if not isinstance(got, list) or not all(isinstance(x, str) for x in got):
            set_score(0)
            self.fail("expected a list of items")
        items = {x.strip().lower() for x in got}
        set_score(len(items & want) / len(items | want) if items | want else 0)
        self.assertEqual(items, want)

    @number("5")
    @partial_credit(2)
    def test_5_choice(self, set_score=None):
        points = {"A": 0, "B": 2, "C": 2, "D": -1}
        got = self.a.get("5")
        score = points.get(got.strip().upper(), 0) if isinstance(got, str) else 0
        set_score(max(0, score))
        self.assertEqual(score, 2)

    @number("6")
    @partial_credit(2)
    def test_6_multi(self, set_score=None):
        points = {"A": -1, "B": 1, "C": -1, "D": 1}
        got = self.a.get("6")
        if not isinstance(got, list) or not all(isinstance(x, str) for x in got):
            set_score(0)
            self.fail("expected a list of option labels")
        score = sum(points.get(x.strip().upper(), 0) for x in set(got))
        set_score(max(0, min(2, score)))
        self.assertEqual(score, 2)

    @number("7")
    @weight(1)
    def test_7_text(self):
        got = self.a.get("7")
        self.assertIsInstance(got, str)
        self.assertEqual("".join(got.split()), "O(t)")

    @number("9.a")
    @weight(1)
    def test_9a(self):
        self.assertEqual(_num(self.a.get("9.a")), 6)

    @number("9.b")
    @weight(1)
    def test_9b(self):
        got = _num(self.a.get("9.b"))
        earlier = self.a.get("9.a")
        carried = isinstance(earlier, (int, float)) and earlier not in (0, 6) and got == 2 * earlier
        self.assertTrue(got == 12 or carried, f"{got:g} is not correct")

    @number("10")
    @weight(0)
    def test_10_hidden(self):
        self.assertEqual(_num(self.a.get("10")), 24)


if __name__ == "__main__":
    unittest.main()
