"""One grading session, no hidden state: a spec or solver edited inside a running process is
graded as edited, whether the caller keeps one session (a marking server, a watch mode) or
makes a new one per call."""

from __future__ import annotations

import json
import sys

import pytest

SPEC = """id: live
parts:
  - {id: a, points: 1, type: number, answer: {value: 3}}
  - {id: b, points: 1, type: number, answer: {solver: b}}
  - {id: c, points: 1, type: expression, variables: {x: {}}, answer: {value: "x^2"}}
"""


@pytest.fixture
def live(tmp_path):
    folder = tmp_path / "live"
    folder.mkdir()
    (folder / "problem.yaml").write_text(SPEC, encoding="utf-8")
    (folder / "solver.py").write_text("def b():\n    return 10\n", encoding="utf-8")
    sub = tmp_path / "answers.json"
    sub.write_text(json.dumps({"a": 2, "b": 11, "c": "2*x"}), encoding="utf-8")
    return folder, sub


def _statuses(report) -> dict[str, str]:
    return {p.id: p.status for p in report.parts}


def _edit(folder) -> None:
    (folder / "problem.yaml").write_text(SPEC.replace("value: 3", "value: 2").replace('"x^2"', '"2*x"'),
                                         encoding="utf-8")
    (folder / "solver.py").write_text("def b():\n    return 11\n", encoding="utf-8")


def test_an_edited_spec_and_solver_are_graded_as_edited_by_one_long_lived_session(live):
    from grader import api
    from grader.session import GradingSession

    folder, sub = live
    session = GradingSession()
    before = api.grade(folder, sub, session=session)
    assert _statuses(before) == {"a": "incorrect", "b": "incorrect", "c": "incorrect"}
    assert api.grade(folder, sub, session=session).parts == before.parts  # served again, unchanged
    _edit(folder)
    after = api.grade(folder, sub, session=session)
    assert _statuses(after) == {"a": "correct", "b": "correct", "c": "correct"}
    session.close()


def test_an_edited_spec_and_solver_are_graded_as_edited_by_new_sessions(live):
    from grader.engine import grade_path
    from grader.session import GradingSession

    folder, sub = live
    assert _statuses(grade_path(folder, sub, session=GradingSession())) == {
        "a": "incorrect", "b": "incorrect", "c": "incorrect"}
    _edit(folder)
    assert _statuses(grade_path(folder, sub, session=GradingSession())) == {
        "a": "correct", "b": "correct", "c": "correct"}


def test_a_session_drops_the_solver_modules_it_loaded(live):
    from grader import api
    from grader.session import GradingSession

    folder, sub = live
    before = set(sys.modules)
    with GradingSession() as session:
        api.grade(folder, sub, session=session)
        assert any(name.startswith("_grader_solver_") for name in set(sys.modules) - before)
    assert not any(name.startswith("_grader_solver_") for name in set(sys.modules) - before)


def test_grade_writes_the_reference_cache_and_a_stale_one_is_never_used(live, tmp_path, monkeypatch):
    from grader import api
    from grader.solvers import CACHE_FILE

    folder, sub = live
    api.grade(folder, sub)
    cache = json.loads((folder / CACHE_FILE).read_text())
    assert list(cache["calls"].values()) == [10]
    (folder / "solver.py").write_text("def b():\n    return 11\n", encoding="utf-8")
    assert _statuses(api.grade(folder, sub))["b"] == "correct"  # the cache of the old text is ignored
    assert list(json.loads((folder / CACHE_FILE).read_text())["calls"].values()) == [11]


def test_where_the_spec_folder_cannot_be_written_the_users_cache_folder_is_used(live, tmp_path, monkeypatch):
    from grader import api
    from grader.solvers import CACHE_FILE

    folder, sub = live
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (folder / CACHE_FILE).mkdir()  # in the way (as a read-only folder would be, even for root)
    assert _statuses(api.grade(folder, sub))["b"] == "incorrect"
    written = list((tmp_path / "xdg" / "grader").glob("reference-*.json"))
    assert len(written) == 1 and list(json.loads(written[0].read_text())["calls"].values()) == [10]
    (tmp_path / "xdg").chmod(0o500)  # and where nothing can be written, grading still works
    (folder / "solver.py").write_text("def b():\n    return 11\n", encoding="utf-8")
    try:
        assert _statuses(api.grade(folder, sub))["b"] == "correct"
    finally:
        (tmp_path / "xdg").chmod(0o700)


def test_no_module_level_caches_are_left_in_the_grading_modules():
    """Every cache belongs to a session (or to the object it is about): none at module level."""
    import importlib

    from grader.identity_cache import IdentityCache

    for name in ("grader.engine", "grader.solvers", "grader.batch", "grader.formats.json_report",
                 "grader.expr", "grader.expr.equivalence", "grader.reference", "grader.validate"):
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if attr.startswith("__"):
                continue
            assert not isinstance(value, IdentityCache), f"{name}.{attr}"
            if attr.startswith("_") and attr.isupper():
                assert not isinstance(value, (dict, list, set)), f"{name}.{attr}"
