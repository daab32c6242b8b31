"""Shared helpers: the demo problem, and grading from a dict of answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "tests" / "problems" / "demo"


def run_cli(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def write_json(tmp_path):
    def write(data, name="answers.json") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return path

    return write


@pytest.fixture
def grade_answers():
    from grader.engine import grade
    from grader.spec import load_problem
    from grader.submission import Submission

    def run(answers: dict, problem: Path = DEMO, student=None, session=None):
        report = grade(load_problem(problem), Submission(source="test", answers=answers, student_id=student),
                       session=session)
        return {p.id: p for p in report.parts}, report

    return run
