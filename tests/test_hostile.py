"""Hostile submissions (tests/hostile/*.py) graded end to end against tests/problems/code-demo.

Each one must earn 0, get a clear message, finish in bounded time, leave no process behind and
leak nothing of the solver. Limits are small so the whole file stays fast.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from grader.engine import grade
from grader.loaders import load_submission
from grader.sandbox import session as sandbox
from grader.sandbox.users import children_of, processes_of
from grader.spec import load_problem

ROOT = Path(__file__).resolve().parent
PROBLEM = ROOT / "problems" / "code-demo"
HOSTILE = ROOT / "hostile"
SECRET = "SOLVER-SECRET-7f3a9c"
LIMITS = dict(call_timeout=1.0, import_timeout=3.0, submission_timeout=4.0, cpu_seconds=4,
              memory_mb=768, max_procs=12, max_output_kb=256, max_restarts=8)
pytestmark = pytest.mark.skipif(os.name != "posix", reason="the sandbox needs Linux")


@pytest.fixture(scope="module", autouse=True)
def small_limits():
    saved = (sandbox._DEFAULTS["config"], list(sandbox._DEFAULTS["hide"]))
    sandbox.configure(hide=[PROBLEM], **LIMITS)
    yield
    sandbox._DEFAULTS["config"], sandbox._DEFAULTS["hide"] = saved


def run(name: str, tmp_path: Path, **subst: str):
    """Grade one hostile file; returns (report dict, all text shown, seconds, uids used)."""
    text = (HOSTILE / name).read_text()
    for key, value in subst.items():
        text = text.replace(f"@{key}@", value)
    path = tmp_path / "submission.py"
    path.write_text(text)
    start = time.monotonic()
    problem = load_problem(PROBLEM)
    sub = load_submission(path)
    try:
        report = grade(problem, sub)
        uids = list(getattr(sub.runtime, "uids", []))
        _PIDS[:] = list(getattr(sub.runtime, "pids", []))
    finally:
        sub.close()
    elapsed = time.monotonic() - start
    data = report.to_dict()
    return data, json.dumps(data), elapsed, uids


_PIDS: list = []  # the sandbox processes of the last run (for the non-root checks)


def isolated() -> bool:
    """Whether student code gets namespaces here: root with mount namespaces, or an
    unprivileged user namespace (docs/sandbox.md)."""
    from grader.sandbox.forkserver import get_server

    caps = get_server().caps
    return bool(caps.get("userns") or (caps.get("root") and caps.get("mountns")))


def feedback(data: dict, part: str) -> str:
    return next(p["feedback"] for p in data["parts"] if p["id"] == part)


def assert_contained(data, shown, elapsed, uids, bound=12.0):
    assert data["score"] == 0, shown
    assert elapsed < bound, f"took {elapsed:.1f} s"
    assert SECRET not in shown
    if os.geteuid() == 0:
        assert uids and all(u >= 1_000_000 for u in uids)
        for uid in uids:
            assert processes_of(uid) == [], f"processes of uid {uid} survived"
    else:  # the grader's own uid: nothing the sandbox processes started may be left running
        assert uids and set(uids) == {os.getuid()}
        for pid in _PIDS:
            assert children_of(pid, live_only=True) == [], f"children of {pid} survived"


def test_always_equal_objects_earn_nothing(tmp_path):
    data, shown, elapsed, uids = run("always_equal.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert "returned an object of type AlwaysEqual" in feedback(data, "1")
    assert any("ANSWERS holds an object of type AlwaysEqual" in m for m in data["messages"])


def test_monkeypatched_comparisons_do_not_reach_the_grader(tmp_path):
    data, shown, elapsed, uids = run("monkeypatch.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert "expected [30, 30], got [1, 1]" in feedback(data, "1")
    assert "41" in feedback(data, "4")
    import math

    import numpy as np
    assert np.allclose([1], [2]) is False and math.isclose(1, 2) is False and abs(-1) == 1


def test_forged_results_files_are_never_written(tmp_path):
    outdir = tmp_path / "results"
    outdir.mkdir()
    data, shown, elapsed, uids = run("forge_results.py", tmp_path, OUTDIR=str(outdir),
                                     PROBLEM=str(PROBLEM))
    assert_contained(data, shown, elapsed, uids)
    assert not (outdir / "results.json").exists()
    assert not (PROBLEM / "results.json").exists()
    assert not (tmp_path / "results.json").exists()
    assert "expected [30, 30], got [0, 0]" in feedback(data, "1")


def test_forged_stdout_and_channel_frames(tmp_path):
    data, shown, elapsed, uids = run("forge_stdout.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert "invalid data to the grader's channel" in feedback(data, "1")
    assert "invalid data to the grader's channel" in feedback(data, "2")


def test_infinite_loop_times_out(tmp_path):
    data, shown, elapsed, uids = run("infinite_loop.py", tmp_path)
    assert_contained(data, shown, elapsed, uids, bound=10)
    assert "timed out while running conv_output_shape()" in feedback(data, "1")


def test_sigterm_ignored_still_killed(tmp_path):
    data, shown, elapsed, uids = run("sigterm_ignored.py", tmp_path)
    assert_contained(data, shown, elapsed, uids, bound=10)
    assert "timed out" in feedback(data, "1")


def test_fork_bomb_is_bounded_and_leaves_nothing(tmp_path):
    data, shown, elapsed, uids = run("fork_bomb.py", tmp_path)
    assert_contained(data, shown, elapsed, uids, bound=12)
    assert "timed out" in feedback(data, "1")


def test_memory_bomb(tmp_path):
    data, shown, elapsed, uids = run("memory_bomb.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert "MemoryError" in feedback(data, "1")
    assert "MemoryError" in feedback(data, "2")
    third = feedback(data, "3")
    assert "MemoryError" in third or "time limit" in third or "timed out" in third


def test_300_mb_of_output_is_cut_off(tmp_path):
    data, shown, elapsed, uids = run("output_flood.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert "printed more than 256 KB of output" in feedback(data, "1")
    assert "printed more than 256 KB of output" in feedback(data, "2")
    assert len(shown) < 20_000


@pytest.mark.parametrize("name, expected", [
    ("exit_import_sys.py", "exited while being imported: called sys.exit(0)"),
    ("exit_import_os.py", "exit status 0"),
])
def test_exit_during_import(tmp_path, name, expected):
    data, shown, elapsed, uids = run(name, tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert data["fatal"] and expected in data["fatal"]
    assert "submission.py" in data["fatal"]


def test_exit_inside_a_call(tmp_path):
    data, shown, elapsed, uids = run("exit_in_call.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert "called sys.exit(0)" in feedback(data, "1")
    assert "ended its process (exit status 0" in feedback(data, "2")


def test_killing_the_parent_fails(tmp_path):
    """Not root, this (pytest, the grader) is the student's own uid: it survives only because
    the student's process cannot name it (a PID namespace of its own)."""
    from grader.sandbox.forkserver import get_server

    if os.geteuid() != 0 and not isolated():
        pytest.skip("not root and no user namespace: student code can signal the grader "
                    "(docs/sandbox.md)")
    server = get_server()
    data, shown, elapsed, uids = run("kill_parent.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert "expected [30, 30], got [0, 0]" in feedback(data, "1")
    assert get_server() is server, "the fork server was killed"
    assert server.request({"op": "ping"}).get("ok") is True


def test_solver_and_spec_are_unreadable(tmp_path):
    if os.geteuid() != 0 and not isolated():
        pytest.skip("not root and no user namespace: student code runs as the grader's user "
                    "and can read the solver (docs/sandbox.md)")
    data, shown, elapsed, uids = run("read_secret.py", tmp_path, PROBLEM=str(PROBLEM))
    assert_contained(data, shown, elapsed, uids)
    text = feedback(data, "1")
    assert "raised RuntimeError" in text and "solver.py" in text
    if isolated():  # root or a user namespace: the problem folder does not exist for it
        assert f"{PROBLEM}/solver.py: No such file or directory" in text
    assert "import grader: ModuleNotFoundError" in shown or "import grader" not in shown


@pytest.mark.parametrize("base", ["/srv", "/opt", "/var/tmp"])
def test_a_world_readable_secret_elsewhere_on_the_machine_is_unreadable(tmp_path, base):
    """Another copy of the solver, outside every hidden folder and readable by anyone (another
    checkout, a TA's old course folder): the student's process must not see it at all."""
    if not isolated():
        pytest.skip("no mount namespace here: only the hidden folders are protected "
                    "(docs/sandbox.md, 'Where the OS allows less')")
    if not os.path.isdir(base):
        pytest.skip(f"no {base} here")
    if not os.access(base, os.W_OK):
        pytest.skip(f"this user cannot plant a file in {base}")
    folder = Path(base) / f"grader-plant-{os.urandom(6).hex()}"
    folder.mkdir(mode=0o755)
    planted = folder / "solver.py"
    try:
        folder.chmod(0o755)
        planted.write_text(f"SECRET = {SECRET!r}\n")
        planted.chmod(0o644)
        data, shown, elapsed, uids = run("read_secret.py", tmp_path, PROBLEM=str(PROBLEM),
                                         PLANTED=str(planted))
    finally:
        planted.unlink(missing_ok=True)
        folder.rmdir()
    assert_contained(data, shown, elapsed, uids)
    assert f"{planted}: No such file or directory" in feedback(data, "1")


def test_deep_recursion(tmp_path):
    data, shown, elapsed, uids = run("deep_recursion.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert "RecursionError" in feedback(data, "1")
    second = feedback(data, "2")
    # With a huge recursion limit 3.11 grows frames on the heap: a MemoryError, a crash or,
    # most often, the call's time limit.
    assert any(w in second for w in ("RecursionError", "segmentation fault", "MemoryError", "timed out"))


def test_syntax_error(tmp_path):
    data, shown, elapsed, uids = run("syntax_error.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert "has a syntax error" in data["fatal"] and "line 6" in data["fatal"]


def test_segfault_is_reported_as_a_crash(tmp_path):
    data, shown, elapsed, uids = run("segfault.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert "segmentation fault" in feedback(data, "1")
    assert "segmentation fault" in feedback(data, "2")


def test_bad_answers_and_unsupported_return(tmp_path):
    data, shown, elapsed, uids = run("bad_answers.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert any("ANSWERS must be a dict" in m for m in data["messages"])
    assert "returned an object of type set" in feedback(data, "1")


def test_no_network(tmp_path):
    if not isolated():
        pytest.skip("no network namespace here (neither root nor user namespaces)")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(5)
    got = []
    thread = threading.Thread(target=lambda: got.append(_accept(server)), daemon=True)
    thread.start()
    data, shown, elapsed, uids = run("network.py", tmp_path, PORT=str(server.getsockname()[1]))
    server.close()
    assert_contained(data, shown, elapsed, uids)
    assert "connected" not in feedback(data, "1")
    assert not any(got)


def _accept(server):
    try:
        conn, _ = server.accept()
        conn.close()
        return True
    except OSError:
        return False


def test_the_graders_environment_never_reaches_student_code(tmp_path, monkeypatch):
    """An API token in the grader's environment: student code dumps its own environment and
    every /proc/*/environ it can open into its error messages; none of it may hold the token."""
    token = "tok-HOSTILE-ENV-31c9"
    monkeypatch.setenv("GRADER_API_TOKEN", token)
    data, shown, elapsed, uids = run("read_environment.py", tmp_path)
    assert_contained(data, shown, elapsed, uids)
    assert token not in shown
    text = feedback(data, "1")
    assert "raised RuntimeError" in text and "PATH=/usr/local/bin:/usr/bin:/bin" in text
