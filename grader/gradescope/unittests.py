"""An instructor's gradescope-utils tests (``problems/<id>/tests/test*.py``), run safely and
merged so that every test keeps its points and a clear status.

The tests are trusted, but they import and call the student's code, so they run in a child
process (:mod:`grader.gradescope.unittest_child`) with a time limit, in a scratch folder
holding a copy of the submission, as the unprivileged sandbox user when we are root. The
list of tests comes from the child (what unittest discovered) and, for files that cannot be
imported (often: the student's module is missing), from reading the test files' source:
a test that never reported is listed as not run, with its weight and the reason.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHILD = Path(__file__).with_name("unittest_child.py")
DEFAULT_TIMEOUT = 600.0
MAX_LINES = 20000
SANDBOX_USER = "grader-student"


@dataclass
class InstructorRun:
    tests: list[dict[str, Any]] = field(default_factory=list)
    leaderboard: list[dict[str, Any]] = field(default_factory=list)
    student_notes: list[str] = field(default_factory=list)  # shown in results.json's output
    log: list[str] = field(default_factory=list)  # for the instructor (stdout of run_autograder)


def tests_dir(problem_folder: Path) -> Path | None:
    """problems/<id>/tests when it holds test*.py files."""
    folder = Path(problem_folder) / "tests"
    if folder.is_dir() and any(folder.glob("test*.py")):
        return folder
    return None


# ------------------------------------------------------------------ static plan

def _decorator(node: ast.expr) -> tuple[str, list]:
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        args = [a.value for a in node.args if isinstance(a, ast.Constant)]
        return name, args
    return "", []


def _is_testcase(cls: ast.ClassDef, known: set[str]) -> bool:
    for base in cls.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name.endswith("TestCase") or name in known:
            return True
    return False


def static_plan(folder: Path) -> dict[str, dict[str, Any]]:
    """Tests declared in the files' source (never executed): id -> weight, number, visibility."""
    plan: dict[str, dict[str, Any]] = {}
    for file in sorted(folder.glob("test*.py")):
        try:
            tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        except (SyntaxError, ValueError, OSError, UnicodeDecodeError):
            continue
        known: set[str] = set()
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            if not _is_testcase(cls, known):
                continue
            known.add(cls.name)
            for fn in cls.body:
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not fn.name.startswith("test"):
                    continue
                entry: dict[str, Any] = {"name": f"{fn.name} ({file.stem}.{cls.name})", "weight": None,
                                         "number": None, "visibility": None, "tags": None}
                doc = ast.get_docstring(fn)
                if doc and doc.strip():
                    entry["name"] = doc.strip().splitlines()[0]
                for dec in fn.decorator_list:
                    name, args = _decorator(dec)
                    if name in ("weight", "partial_credit") and args and isinstance(args[0], (int, float)):
                        entry["weight"] = args[0]
                    elif name == "number" and args:
                        entry["number"] = str(args[0])
                    elif name == "visibility" and args:
                        entry["visibility"] = str(args[0])
                    elif name == "tags":
                        entry["tags"] = [str(a) for a in args]
                plan[f"{file.stem}.{cls.name}.{fn.name}"] = entry
    return plan


# ------------------------------------------------------------------ running

def _sandbox_ids() -> tuple[int, int] | None:
    """(uid, gid) of the sandbox user when we are root; None when not root."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in (SANDBOX_USER, "nobody"):
        try:
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
        except KeyError:
            continue
    return 65534, 65534


def _copy_submission(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True)
    if not src.is_dir():
        return
    for item in src.iterdir():
        target = dst / item.name
        try:
            if item.is_symlink():
                continue  # never follow a student's links out of their folder
            if item.is_dir():
                shutil.copytree(item, target, symlinks=True)
            else:
                shutil.copy2(item, target)
        except OSError:
            continue


def run_instructor_tests(folder: Path, submission: Path, *, timeout: float = DEFAULT_TIMEOUT,
                         python: str | None = None) -> InstructorRun:
    run = InstructorRun()
    scratch = Path(tempfile.mkdtemp(prefix="grader-unittests-"))
    try:
        work, tests, out = scratch / "work", scratch / "tests", scratch / "events.jsonl"
        _copy_submission(Path(submission), work)
        shutil.copytree(folder, tests, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        out.touch()
        ids = _sandbox_ids()
        extra: dict[str, Any] = {}
        if ids is not None:
            for path in [scratch, *scratch.rglob("*")]:
                try:
                    os.lchown(path, *ids)
                except OSError:
                    pass
            extra = {"user": ids[0], "group": ids[1], "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1", "GRADER_SUBMISSION_DIR": str(work)}
        log_file = scratch / "output.txt"
        started = time.monotonic()
        with open(log_file, "wb") as log:
            argv = [python or sys.executable, "-I", str(CHILD), str(tests), str(out), str(work)]
            common = dict(cwd=str(work), env=env, stdin=subprocess.DEVNULL, stdout=log,
                          stderr=subprocess.STDOUT, start_new_session=True)
            try:
                proc = subprocess.Popen(argv, **common, **extra)
            except PermissionError:
                if not extra:
                    raise
                # The interpreter is not reachable by the sandbox user (a venv under /root, say):
                # run as ourselves rather than not at all. On Gradescope setup.sh makes it reachable.
                run.log.append(f"instructor tests: {argv[0]} cannot be run as uid {ids[0]}; "
                               "running them as the grader's own user")
                proc = subprocess.Popen(argv, **common)
            timed_out = False
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc)
                code = proc.wait()
        elapsed = time.monotonic() - started
        events = _read_events(out)
        text = log_file.read_bytes()[:20000].decode("utf-8", "replace")
        run.log.append(f"instructor tests: exit status {code} after {elapsed:.1f}s"
                       + (f" (killed at the {timeout:g}s limit)" if timed_out else ""))
        if text.strip():
            run.log.append(text)
        _merge(run, events, static_plan(folder), timed_out=timed_out, timeout=timeout, code=code)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return run


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _read_events(path: Path) -> list[dict[str, Any]]:
    events = []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for i, line in enumerate(fh):
                if i >= MAX_LINES:
                    break
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    events.append(event)
    except OSError:
        pass
    return events


# ------------------------------------------------------------------ merging

def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    """A result line as a Gradescope test: known keys only, scores within [0, max_score]."""
    test: dict[str, Any] = {"name": str(record.get("name") or record.get("id") or "instructor test")}
    top = _number(record.get("max_score"))
    score = _number(record.get("score"))
    test["score"] = 0.0 if score is None else max(0.0, score if top is None else min(score, top))
    test["max_score"] = 0.0 if top is None else max(0.0, top)
    test["status"] = "passed" if record.get("status") == "passed" else "failed"
    for key in ("number", "output"):
        if record.get(key):
            test[key] = str(record[key])
    if isinstance(record.get("tags"), list):
        test["tags"] = [str(t) for t in record["tags"]]
    visibility = record.get("visibility")
    test["visibility"] = visibility if visibility in ("visible", "hidden", "after_due_date",
                                                      "after_published") else "visible"
    status = (record.get("extra_data") or {}).get("unittest_status", test["status"])
    if status == "passed" and test["score"] < test["max_score"]:
        status = "partial"  # @partial_credit set a lower score
    test["extra_data"] = {"unittest_status": str(status), "unittest_id": str(record.get("id", ""))}
    return test


def _not_run(test_id: str, entry: dict[str, Any], reason: str) -> dict[str, Any]:
    return _clean({"id": test_id, "name": entry.get("name") or test_id, "score": 0.0,
                   "max_score": entry.get("weight"), "status": "failed",
                   "number": entry.get("number"), "visibility": entry.get("visibility"),
                   "tags": entry.get("tags"), "output": f"Not run: {reason}. This test earned no points.",
                   "extra_data": {"unittest_status": "not_run"}})


def _fixture_target(description: str) -> str:
    """'setUpClass (test_mod.Suite)' -> 'test_mod.Suite'."""
    if "(" in description and description.endswith(")"):
        return description[description.rindex("(") + 1:-1]
    return description


def _merge(run: InstructorRun, events: list[dict[str, Any]], static: dict[str, dict[str, Any]], *,
           timed_out: bool, timeout: float, code: int) -> None:
    plan: dict[str, dict[str, Any]] = {}
    results: dict[str, dict[str, Any]] = {}
    fixtures: list[tuple[str, str]] = []
    finished = False
    for event in events:
        kind = event.get("kind")
        if kind == "plan" and isinstance(event.get("id"), str):
            plan.setdefault(event["id"], event)
        elif kind == "result" and isinstance(event.get("id"), str):
            results.setdefault(event["id"], event)
        elif kind == "fixture_error":
            fixtures.append((_fixture_target(str(event.get("description", ""))), str(event.get("error", ""))))
            run.log.append(f"instructor tests: {event.get('description')}: {event.get('error')}")
        elif kind == "leaderboard" and isinstance(event.get("entry"), dict):
            run.leaderboard.append(event["entry"])
        elif kind == "done":
            finished = True
    import_errors: dict[str, str] = {}
    prefix = "unittest.loader._FailedTest."
    for test_id, record in results.items():
        if test_id.startswith(prefix):
            module = test_id[len(prefix):]
            first = (record.get("output") or "").strip().splitlines()
            import_errors[module] = first[-1] if first else "import failed"
    for test_id, entry in static.items():
        if test_id not in plan:
            plan[test_id] = {"id": test_id, **entry, "leaderboard": False}
    for test_id, entry in plan.items():
        if test_id in results:
            if test_id.startswith(prefix) and any(t.startswith(test_id[len(prefix):] + ".") for t in static):
                continue  # replaced by that module's tests, each listed as not run
            run.tests.append(_clean(results[test_id]))
            continue
        if entry.get("leaderboard"):
            continue
        module = test_id.split(".")[0]
        reason = next((f"{target.split('.')[-1]}'s set-up failed ({error})" for target, error in fixtures
                       if test_id.startswith(target + ".")), None)
        if reason is None and module in import_errors:
            reason = f"the test file {module}.py could not be imported ({import_errors[module]})"
        if reason is None and timed_out:
            reason = f"the instructor tests hit their time limit of {timeout:g} s"
        if reason is None and not finished:
            reason = f"the test process ended early (exit status {code})"
        run.tests.append(_not_run(test_id, entry, reason or "not reached"))
    for test_id, record in results.items():
        if test_id not in plan:
            run.tests.append(_clean(record))
    if timed_out:
        run.student_notes.append(f"The instructor's tests were stopped after {timeout:g} s; "
                                 "tests that had not finished earn no points.")
    elif not finished:
        run.student_notes.append("The instructor's tests stopped early (perhaps your code exited "
                                 "or crashed the test process); tests that had not finished earn no points.")
