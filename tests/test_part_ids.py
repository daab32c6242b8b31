"""Answer keys are matched to part ids by one rule, in the grader and in the self-check."""

from __future__ import annotations

from grader.part_ids import key_index, match_part_ids


def test_near_miss_keys_are_taken_unless_the_exact_id_was_answered_too():
    ids = ["3.1", "q1.a"]
    answers = {"3.1.": 1, "Q1.A": 2, "q1.a": 3, "4": 4}
    out, notes = match_part_ids(set(ids), key_index(ids), answers)
    assert out == {"3.1": 1, "q1.a": 3}
    assert notes == [("3.1.", "3.1"), ("Q1.A", None), ("4", None)]


def test_the_self_check_reports_what_the_grader_will_ignore():
    from grader.selfcheck import _match

    messages: list[str] = []
    assert _match(["1", "2"], {" 1 ": "a", "2": "b", "2.": "c"}, messages) == {"1": "a", "2": "b"}
    assert messages == ["unknown part id '2.': the real grader will ignore it"]
