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
    """The instructor tests' outcome, kept apart by audience: what results.json shows the
    student, and the log only the instructor sees (run_autograder's stdout)."""

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

MAX_COPY_BYTES = 64 * 1024 * 1024  # a submission folder larger than this is not copied whole


_STUCK: list = []  # leases of uids whose processes could not all be killed: never given back


def _student_lease():
    """The uid the tests run as when we are root: one of their own, leased machine-wide as the
    sandbox's children's are (grader.sandbox.users.lease_uid), so no sandbox child runs as it
    while the tests or anything they started live. None when we are not root."""
    if os.geteuid() != 0:
        return None
    from grader.sandbox.limits import SandboxConfig
    from grader.sandbox.users import lease_uid

    return lease_uid(SandboxConfig().uid_base, os.getpid() * 64 + 63)


def _gather(submission: Path, tests: Path) -> dict[str, bytes]:
    """The files the test process gets, by path relative to its scratch folder: the
    submission (never following a student's links), the tests and the runner script."""
    files: dict[str, bytes] = {"runner/unittest_child.py": CHILD.read_bytes()}
    total = 0
    for base, prefix in ((Path(submission), "work"), (Path(tests), "tests")):
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if any(p in ("__pycache__",) for p in rel.parts) or path.is_symlink() or not path.is_file():
                continue
            if any(parent.is_symlink() for parent in path.parents if base in parent.parents):
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            total += len(data)
            if total > MAX_COPY_BYTES:
                break
            files[f"{prefix}/{rel.as_posix()}"] = data
    files.setdefault("work/.keep", b"")
    files.setdefault("tests/.keep", b"")
    return files


def _runtime_paths(python: str) -> list[str]:
    """The sandbox's interpreter folders, plus the folder of the interpreter the tests run with."""
    from grader.sandbox.namespaces import runtime_paths

    return runtime_paths([str(Path(python).resolve().parent)])


def unreachable_for(uid: int, gid: int, paths: list[str]) -> list[str]:
    """Folders on the way to ``paths`` that ``uid`` (no supplementary groups) may not enter."""
    blocked = []
    for raw in paths:
        path = Path(raw).resolve()
        for folder in [*reversed(path.parents), path]:
            try:
                st = folder.stat()
            except OSError:
                break
            if st.st_uid == uid:
                ok = st.st_mode & 0o100
            elif st.st_gid == gid:
                ok = st.st_mode & 0o010
            else:
                ok = st.st_mode & 0o001
            if not ok:
                if str(folder) not in blocked:
                    blocked.append(str(folder))
                break
    return blocked


def _hide_paths(folder: Path, extra: list) -> list[str]:
    from grader.sandbox.session import default_hide_paths

    paths = [str(Path(folder).resolve()), *(str(Path(p).resolve()) for p in extra), *default_hide_paths()]
    out: list[str] = []
    for p in paths:
        if p not in out and os.path.isdir(p):
            out.append(p)
    return out


def _preexec(files: dict[str, bytes], scratch: str, ids: tuple[int, int], hide: list[str],
             runtime: list[str], mountns: bool, timeout: float, events_fd: int):
    """What the forked test process does before exec: isolate itself as a sandbox child does
    (namespaces and a whitelist root where the OS allows, see docs/sandbox.md), write its
    files, become its own uid for good and take the sandbox's rlimits. Any failure here
    aborts the exec: the tests then do not run, never as root."""
    from grader.sandbox import limits, namespaces, users

    def run() -> None:
        done: set = set()
        warnings: list[str] = []
        if mountns:
            staging = os.path.join(os.path.dirname(scratch), os.path.basename(scratch) + "-stage")
            os.mkdir(staging, 0o700)
            done, warnings = namespaces.isolate(False, hide, 64, runtime, staging)
        if not os.path.isdir(os.path.dirname(scratch)):  # a private /tmp: make the way again
            os.makedirs(os.path.dirname(scratch), 0o711)
        os.mkdir(scratch, 0o700)
        uid, gid = ids
        for rel, data in files.items():
            target = os.path.join(scratch, rel)
            parent = os.path.dirname(target)
            if not os.path.isdir(parent):
                os.makedirs(parent, 0o700)
            with open(target, "wb") as fh:
                fh.write(data)
        for dirpath, dirnames, filenames in os.walk(scratch):
            for name in [*dirnames, *filenames]:
                os.lchown(os.path.join(dirpath, name), uid, gid)
        os.lchown(scratch, uid, gid)
        os.chdir(os.path.join(scratch, "work"))
        users.drop_privileges(uid, gid)
        namespaces.prctl(namespaces.PR_SET_NO_NEW_PRIVS, 1)
        namespaces.prctl(namespaces.PR_SET_PDEATHSIG, signal.SIGKILL)
        config = limits.SandboxConfig(cpu_seconds=int(timeout) + 5, max_procs=64, max_open_files=256,
                                      max_file_mb=64)
        warnings += limits.apply_rlimits(config, True)
        os.write(events_fd, (json.dumps({"kind": "isolation", "done": sorted(done),
                                         "warnings": warnings}) + "\n").encode())

    return run


def run_instructor_tests(folder: Path, submission: Path, *, timeout: float = DEFAULT_TIMEOUT,
                         python: str | None = None, hide: list | tuple = (),
                         reveal: bool = True) -> InstructorRun:
    """Run the tests in ``folder`` against a copy of ``submission``.

    As root they run as a uid of their own, with the sandbox's isolation (namespaces and a
    whitelist root where the OS allows; otherwise the hidden folders lose their "other"
    permissions), its rlimits and a minimal environment, and every process of that uid is
    killed afterwards. ``reveal`` False (before the due date): a test's output says only how
    it ended, never an assertion's message or what the test printed.
    """
    run = InstructorRun()
    folder = Path(folder)
    python = python or sys.executable
    holder = Path(tempfile.mkdtemp(prefix="grader-unittests-"))
    os.chmod(holder, 0o711)  # the tests' uid may pass through to its own folder, not list it
    scratch = str(holder / "run")
    events_path, log_path = holder / "events.jsonl", holder / "output.txt"
    lease = _student_lease()
    ids = (lease.uid, lease.uid) if lease else None
    code, timed_out, elapsed = -1, False, 0.0
    try:
        files = _gather(Path(submission), Path(folder))
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": f"{scratch}/work", "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1", "GRADER_SUBMISSION_DIR": f"{scratch}/work"}
        events = open(events_path, "ab")
        efd = events.fileno()
        argv = [python, "-I", f"{scratch}/runner/unittest_child.py", f"{scratch}/tests", f"fd:{efd}",
                f"{scratch}/work"]
        refused = None
        preexec = None
        if ids is not None:
            hidden = _hide_paths(folder, list(hide))
            runtime = _runtime_paths(python)
            mountns = _mount_namespaces()
            if not mountns:
                from grader.sandbox.namespaces import split_hidden

                for path in split_hidden(hidden, runtime):
                    _take_other_access(path, run)
                blocked = unreachable_for(ids[0], ids[1], [python, *runtime])
                if blocked:
                    refused = (f"the sandbox user cannot reach the Python installation ({', '.join(blocked)} "
                               "is closed to other users); the tests were not run, rather than run as root")
            preexec = _preexec(files, scratch, ids, hidden, runtime, mountns, timeout, efd)
        else:
            _write_tree(files, scratch)
        if refused:
            events.close()
            run.log.append("INSTRUCTOR TESTS NOT RUN: " + refused)
            run.student_notes.append("The instructor's tests could not be run because of a problem with the "
                                     "autograder (not your code); please tell your instructor.")
            _merge(run, [], static_plan(folder), timed_out=False, timeout=timeout, code=-1,
                   reason="internal error of the autograder: " + refused, reveal=reveal)
            return run
        started = time.monotonic()
        with events, open(log_path, "wb") as log:
            try:
                proc = subprocess.Popen(argv, cwd="/", env=env, stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        pass_fds=(efd,), preexec_fn=preexec)
            except (OSError, subprocess.SubprocessError) as exc:
                run.log.append(f"INSTRUCTOR TESTS NOT RUN: the test process could not start safely ({exc})")
                run.student_notes.append("The instructor's tests could not be run because of a problem with "
                                         "the autograder (not your code); please tell your instructor.")
                _merge(run, [], static_plan(folder), timed_out=False, timeout=timeout, code=-1,
                       reason="internal error of the autograder: the test process could not start",
                       reveal=reveal)
                return run
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc)
                code = proc.wait()
        elapsed = time.monotonic() - started
        if lease is not None and _sweep(lease.uid, run):
            lease.release()
            lease = None
        events_list = _read_events(events_path)
        for event in events_list:
            if event.get("kind") == "isolation":
                run.log.append(f"instructor tests: uid {ids[0] if ids else os.getuid()}, isolation "
                               f"{', '.join(event.get('done') or []) or 'permissions only'}")
                for warning in event.get("warnings") or []:
                    run.log.append(f"instructor tests: {warning}")
        text = log_path.read_bytes()[:20000].decode("utf-8", "replace")
        run.log.append(f"instructor tests: exit status {code} after {elapsed:.1f}s"
                       + (f" (killed at the {timeout:g}s limit)" if timed_out else ""))
        if text.strip():
            run.log.append(text)
        _merge(run, events_list, static_plan(folder), timed_out=timed_out, timeout=timeout, code=code,
               reveal=reveal)
    finally:
        shutil.rmtree(holder, ignore_errors=True)
        if lease is not None:
            if _processes_left(lease.uid):
                _STUCK.append(lease)
            else:
                lease.release()
    return run


def _write_tree(files: dict[str, bytes], scratch: str) -> None:
    for rel, data in files.items():
        target = Path(scratch) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _mount_namespaces() -> bool:
    """Whether this machine lets root make mount namespaces (not in Docker's default mode)."""
    try:
        from grader.sandbox.forkserver import get_server

        return bool(get_server().caps.get("mountns"))
    except Exception:  # noqa: BLE001 - then assume the weaker mode
        return False


def _take_other_access(path: str, run: InstructorRun) -> None:
    try:
        st = os.stat(path)
        if st.st_mode & 0o007:
            os.chmod(path, st.st_mode & ~0o007)
            run.log.append(f"instructor tests: no mount namespace: removed other users' access to {path}")
    except OSError as exc:
        run.log.append(f"instructor tests: could not hide {path}: {exc}")


def _processes_left(uid: int) -> list[int]:
    from grader.sandbox.users import processes_of

    return processes_of(uid)


def _sweep(uid: int, run: InstructorRun) -> bool:
    """Kill every process of the tests' uid (a test may have started some); True when none is
    left (then the uid may be given back)."""
    from grader.sandbox.users import kill_uid

    for _ in range(20):
        if not _processes_left(uid):
            return True
        kill_uid(uid)
        time.sleep(0.01)
    left = _processes_left(uid)
    if left:
        run.log.append(f"instructor tests: processes {left} of uid {uid} could not be killed")
    return not left


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


def _clean(record: dict[str, Any], reveal: bool = True) -> dict[str, Any]:
    """A result line as a Gradescope test: known keys only, scores within [0, max_score].

    ``reveal`` False: only the outcome (``brief``), since an assertion's message or what the
    test printed may state the expected values, and results.json comes back to student code
    in a later submission's metadata (``previous_submissions[].results``)."""
    test: dict[str, Any] = {"name": str(record.get("name") or record.get("id") or "instructor test")}
    if not reveal and "brief" in record:
        brief = str(record.get("brief") or "")
        if record.get("output") and str(record.get("output")).strip() != brief.strip():
            brief = (brief + "\n" if brief else "") + "The details are shown after the due date."
        record = {**record, "output": brief}
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
           timed_out: bool, timeout: float, code: int, reason: str | None = None,
           reveal: bool = True) -> None:
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
            run.tests.append(_clean(results[test_id], reveal))
            continue
        if entry.get("leaderboard"):
            continue
        module = test_id.split(".")[0]
        why = next((f"{target.split('.')[-1]}'s set-up failed ({error})" for target, error in fixtures
                    if test_id.startswith(target + ".")), None)
        if why is None and module in import_errors:
            why = f"the test file {module}.py could not be imported ({import_errors[module]})"
        if why is None and reason:
            why = reason
        if why is None and timed_out:
            why = f"the instructor tests hit their time limit of {timeout:g} s"
        if why is None and not finished:
            why = f"the test process ended early (exit status {code})"
        run.tests.append(_not_run(test_id, entry, why or "not reached"))
    for test_id, record in results.items():
        if test_id not in plan:
            run.tests.append(_clean(record, reveal))
    if reason:
        return
    if timed_out:
        run.student_notes.append(f"The instructor's tests were stopped after {timeout:g} s; "
                                 "tests that had not finished earn no points.")
    elif not finished:
        run.student_notes.append("The instructor's tests stopped early (perhaps your code exited "
                                 "or crashed the test process); tests that had not finished earn no points.")
