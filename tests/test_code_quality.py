"""Lint and type check as part of the test suite, so the README's test command (and `.ci/run`)
fails on a new ruff finding or mypy error. Configuration: pyproject.toml ([tool.ruff], [tool.mypy])."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    out = _run("ruff", "check", "--no-cache", "grader", "tests", "bench")
    assert out.returncode == 0, f"ruff check grader tests bench:\n{out.stdout}{out.stderr}"


def test_mypy_finds_nothing():
    out = _run("mypy")  # files, level and per-module exceptions: [tool.mypy] in pyproject.toml
    assert out.returncode == 0, f"mypy (files: grader/):\n{out.stdout}{out.stderr}"
    assert "Success: no issues found" in out.stdout, out.stdout
