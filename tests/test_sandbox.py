"""The sandbox on its own: the wire protocol, the session API and what the child can see."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import protocol
from grader.sandbox.limits import SandboxConfig
from grader.sandbox.session import SandboxSession, _chmod_hide
from grader.sandbox.users import processes_of

PROBLEM = Path(__file__).resolve().parent / "problems" / "code-demo"
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="privilege drop needs root")
FAST = SandboxConfig(call_timeout=1.0, import_timeout=3.0, submission_timeout=8.0, cpu_seconds=5,
                     memory_mb=768, max_procs=12, max_output_kb=64)


def session_for(tmp_path: Path, source: str, config: SandboxConfig = FAST, name="submission.py"):
    path = tmp_path / name
    path.write_text(source)
    session = SandboxSession(config.replace(), hide=[PROBLEM])
    return session, session.add_file(path)


# ----------------------------------------------------------------------------- protocol


def test_frames_round_trip_and_split_reads():
    data = protocol.frame({"a": [1, 2.5, None, "x"], "b": float("nan")})
    reader = protocol.FrameReader(1000)
    for i in range(len(data)):  # one byte at a time
        assert reader.pop() is None
        reader.feed(data[i:i + 1])
    value = reader.pop()
    assert value["a"] == [1, 2.5, None, "x"] and value["b"] != value["b"]


@pytest.mark.parametrize("raw, reason", [
    (b"99999\n{}", "exceeds the limit"),
    (b"12a\n{}", "not a length"),
    (b"1234567890123456", "header too long"),
    (b"3\n{x}", "not valid JSON"),
    (b"4000\n" + b"[" * 4000, "not valid JSON"),
])
def test_frame_reader_rejects_bad_frames(raw, reason):
    reader = protocol.FrameReader(5000)
    reader.feed(raw)
    with pytest.raises(protocol.ProtocolError, match=reason):
        reader.pop()


def test_encoder_accepts_exact_plain_types_and_numpy():
    encode = protocol.make_encoder(np)
    value = encode({"x": (1, 2.0), "a": np.arange(4).reshape(2, 2), "s": np.float32(0.5),
                    "b": np.bool_(True), "n": None})
    decoded = protocol.decode_value(json.loads(json.dumps(value)))
    assert decoded == {"x": [1, 2.0], "a": [[0, 1], [2, 3]], "s": 0.5, "b": True, "n": None}


def _nested(depth):
    value = 0
    for _ in range(depth):
        value = [value]
    return value


class Sneaky(int):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value, message", [
    (Sneaky(3), "type Sneaky"),
    ({1, 2}, "type set"),
    (1 + 2j, "type complex"),
    ({1: 2}, "dict key of type int"),
    (np.array([object()]), "dtype object"),
    (np.array([1 + 1j]), "dtype complex"),
    (_nested(40), "nested more than"),
    (10 ** 400, "more than 300 digits"),
])
def test_encoder_rejects_everything_else(value, message):
    with pytest.raises(protocol.EncodeError, match=message):
        protocol.make_encoder(np)(value)


@pytest.mark.parametrize("raw", [
    {protocol.TAG: [[2], "float64", [1.0]]},            # data does not match the shape
    {protocol.TAG: [[2], "float64", [1.0, [2.0]]]},
    {protocol.TAG: [[-1], "float64", []]},
    {protocol.TAG: [[1], "float64", [1.0]], "extra": 1},
    {protocol.TAG: "nonsense"},
    _nested(50),
])
def test_decoder_rejects_what_no_honest_child_sends(raw):
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_value(raw)


# ----------------------------------------------------------------------------- sessions


def test_calls_return_plain_data_and_exceptions_name_the_student_line(tmp_path):
    session, file = session_for(tmp_path, (
        "import numpy as np\n"
        "ANSWERS = {'1.1': np.float64(2.5), '1.2': [1, 2]}\n"
        "def f(a, b=1):\n"
        "    return np.array(a) * b\n"
        "def g(x):\n"
        "    return x['missing']\n"
        "def h(w):\n"
        "    return type(w).__name__\n"))
    try:
        loaded = session.load(file)
        assert loaded.ok and loaded.answers == {"1.1": 2.5, "1.2": [1, 2]}
        assert {"f", "g", "h"} <= set(loaded.functions)
        assert session.call(file, "f", [[1, 2]], {"b": 3}).value == [3, 6]
        failed = session.call(file, "g", [{}])
        assert not failed.ok and failed.kind == "exception"
        assert failed.describe() == ("raised KeyError: 'missing' (submission.py, line 6, in g: "
                                     "return x['missing'])")
        assert failed.describe(hidden=True) == "raised KeyError"
        assert session.call(file, "h", [[1, 2]], numpy_args=[0]).value == "ndarray"
        assert session.call(file, "h", [[1, 2]]).value == "list"
    finally:
        session.close()


def test_a_timeout_kills_the_child_and_the_next_call_gets_a_fresh_one(tmp_path):
    session, file = session_for(tmp_path, (
        "import time\n"
        "def slow():\n"
        "    while True: pass\n"
        "def fast(x):\n"
        "    return x + 1\n"))
    try:
        start = time.monotonic()
        result = session.call(file, "slow", timeout=0.5)
        assert result.kind == "timeout" and "no result after 0.5 s" in result.message
        assert time.monotonic() - start < 3
        assert session.call(file, "fast", [1]).value == 2
        assert len(session.pids) == 2 and session.restarts == 1
    finally:
        session.close()


def test_the_submission_time_budget_is_enforced(tmp_path):
    session, file = session_for(tmp_path, "def slow():\n    while True: pass\n",
                                FAST.replace(submission_timeout=1.5))
    try:
        kinds = [session.call(file, "slow", timeout=1.0).kind for _ in range(3)]
        assert kinds == ["timeout", "timeout", "budget"]
        assert session.spent < 2.5
    finally:
        session.close()


def test_too_many_restarts_stop_running_the_code(tmp_path):
    session, file = session_for(tmp_path, "import os\ndef die():\n    os._exit(3)\n",
                                FAST.replace(max_restarts=1))
    try:
        results = [session.call(file, "die") for _ in range(3)]
        assert [r.kind for r in results] == ["ended", "ended", "budget"]
        assert "exit status 3" in results[0].message
        assert "stopped 2 times" in results[2].message
    finally:
        session.close()


def test_output_is_capped(tmp_path):
    session, file = session_for(tmp_path, "def noisy():\n    print('x' * 200_000)\n    return 1\n")
    try:
        result = session.call(file, "noisy")
        assert result.kind == "output" and "more than 64 KB" in result.message
    finally:
        session.close()


def test_quiet_printing_is_allowed(tmp_path):
    session, file = session_for(tmp_path, "def chatty():\n    print('hello')\n    return 1\n")
    try:
        assert session.call(file, "chatty").value == 1
    finally:
        session.close()


def _userns() -> bool:
    from grader.sandbox.forkserver import get_server

    return bool(get_server().caps.get("userns"))


def test_the_child_is_unprivileged_and_sees_only_its_scratch_folder(tmp_path):
    """As root: a uid of its own. Not root: the grader's uid, but in a user namespace with no
    capability left, pid 1 of its own PID namespace."""
    if os.geteuid() != 0 and not _userns():
        pytest.skip("not root and no user namespace: student code runs as the grader's user")
    session, file = session_for(tmp_path, (
        "import os, sys\n"
        "def facts(problem):\n"
        "    try:\n"
        "        listing = os.listdir(problem)\n"
        "    except OSError as exc:\n"
        "        listing = type(exc).__name__\n"
        "    try:\n"
        "        import grader\n"
        "        grader_importable = True\n"
        "    except ImportError:\n"
        "        grader_importable = False\n"
        "    return {'uid': os.getuid(), 'gid': os.getgid(), 'groups': os.getgroups(),\n"
        "            'cwd': sorted(os.listdir('.')), 'env': sorted(os.environ),\n"
        "            'problem': listing, 'grader': grader_importable,\n"
        "            'path': [p for p in sys.path if 'work' in p and '-packages' not in p],\n"
        "            'fds': sorted(os.listdir('/proc/self/fd')),\n"
        "            'pid': os.getpid(), 'ppid': os.getppid(),\n"
        "            'caps': [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')]}\n"))
    try:
        facts = session.call(file, "facts", [str(PROBLEM)]).value
    finally:
        session.close()
    if os.geteuid() == 0:
        assert facts["uid"] >= 1_000_000 and facts["gid"] == facts["uid"] and facts["groups"] == []
    else:
        assert facts["uid"] == os.getuid() and facts["pid"] == 1 and facts["ppid"] == 0
        assert facts["problem"] == "FileNotFoundError"  # the whitelist root
    assert facts["caps"] == ["0000000000000000"]
    assert facts["cwd"] == ["submission.py"]
    assert "PYTHONPATH" not in facts["env"] and "HOME" in facts["env"]
    assert facts["problem"] in ("PermissionError", "FileNotFoundError")
    assert facts["grader"] is False and facts["path"] == []
    assert len(facts["fds"]) <= 5  # 0, 1, 2, the reply pipe, and listdir's own fd


def _running(marker: str) -> list[int]:
    """Live pids whose command line holds ``marker`` (zombies left out)."""
    found = []
    for name in os.listdir("/proc"):
        try:
            if (name.isdigit() and marker.encode() in Path(f"/proc/{name}/cmdline").read_bytes()
                    and Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"):
                found.append(int(name))
        except OSError:
            continue
    return found


def test_grandchildren_that_escape_the_process_group_are_killed(tmp_path):
    """In every mode: as root by uid, in a user namespace with its PID namespace, otherwise
    as orphans reparented to the fork server."""
    marker = f"60.{os.getpid()}{int(time.time() * 1000) % 100000}"
    session, file = session_for(tmp_path, (
        "import subprocess\n"
        "def spawn(marker):\n"
        "    p = subprocess.Popen(['sleep', marker], start_new_session=True)\n"
        "    return p.pid\n"))
    try:
        result = session.call(file, "spawn", [marker])
        assert result.ok, result
        for _ in range(200):  # Popen returns before the child has exec'd sleep (slow under load)
            if _running(marker):
                break
            time.sleep(0.01)
        assert _running(marker)
    finally:
        session.close()
    if os.geteuid() == 0:
        assert all(processes_of(uid) == [] for uid in session.uids)
    for _ in range(100):  # SIGKILL is sent; the kernel may take a moment to finish them
        if not _running(marker):
            break
        time.sleep(0.01)
    assert _running(marker) == []


@ROOT_ONLY
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1) (util-linux)")
def test_a_reused_pid_gets_neither_the_old_childs_uid_nor_its_finish():
    """tests/pid_reuse.py, in a PID namespace of its own, gives an ended child's pid to the next
    child on purpose (pids wrap around: pid_max is 32768 here). With uid = uid_base + pid both
    children shared a uid, whose sweeps then killed each other's processes (how the test above
    failed now and then), and finishing the old child killed the new one."""
    done = subprocess.run(["unshare", "--mount", "--pid", "--fork", "--mount-proc", "--propagation",
                           "private", sys.executable, str(Path(__file__).with_name("pid_reuse.py"))],
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    for name, case in report.items():
        assert case.get("reused_pid"), (name, case)  # the set-up did what it meant to
        assert case["uids_differ"], (name, case)
        assert case["new_child_survived"], (name, case)
        assert case["old_leftover_killed"] and case["no_process_of_old_uid"], (name, case)


@ROOT_ONLY
def test_a_named_user_can_be_used_instead_of_fresh_uids(tmp_path):
    session, file = session_for(tmp_path, "import os\ndef who():\n    return os.getuid()\n",
                                FAST.replace(user="nobody"))
    try:
        assert session.call(file, "who").value == 65534
    finally:
        session.close()


def test_the_fork_server_is_restarted_if_it_dies(tmp_path):
    from grader.sandbox.forkserver import get_server

    server = get_server()
    server.proc.kill()
    server.proc.wait()
    session, file = session_for(tmp_path, "def one():\n    return 1\n")
    try:
        assert session.call(file, "one").value == 1
    finally:
        session.close()
    assert get_server() is not server


def test_chmod_fallback_takes_away_other_users_access(tmp_path):
    folder = tmp_path / "problem"
    folder.mkdir(mode=0o755)
    session = SandboxSession(FAST)
    _chmod_hide(str(folder), session)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    assert any("removed other users' access" in w for w in session.warnings)


def test_unreadable_and_oversized_sources_are_refused(tmp_path):
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 200_000)
    binary = tmp_path / "bin.py"
    binary.write_bytes(b"\xff\xfe\x00")
    session = SandboxSession(FAST)
    with pytest.raises(ValueError, match="at most 1024 KB"):
        session.add_file(big)
    with pytest.raises(ValueError, match="not UTF-8"):
        session.add_file(binary)


def test_hidden_folders_never_include_the_interpreter(tmp_path):
    """Gradescope layout: the checkout (with problems/) holds the .venv student code needs."""
    from grader.sandbox.namespaces import split_hidden

    site = tmp_path / "source" / ".venv" / "lib" / "python3.10" / "site-packages"
    site.mkdir(parents=True)
    (site / "numpy").mkdir()
    (tmp_path / "source" / ".venv" / "bin").mkdir()
    (tmp_path / "source" / "problems" / "hw").mkdir(parents=True)
    (tmp_path / "source" / "grader").mkdir()
    (tmp_path / "results").mkdir()
    hidden = split_hidden([str(tmp_path / "source"), str(tmp_path / "results")], [str(site)])
    assert str(tmp_path / "source" / "problems") in hidden
    assert str(tmp_path / "source" / "grader") in hidden
    assert str(tmp_path / "source" / ".venv" / "bin") in hidden
    assert str(tmp_path / "results") in hidden
    assert not any(str(site).startswith(h) for h in hidden)
    assert split_hidden([str(site / "numpy")], [str(site)]) == []


def test_memory_budget_fits_a_small_container(monkeypatch):
    import os

    from grader.sandbox import limits

    monkeypatch.setattr(os, "sysconf", lambda name: 4096 if name == "SC_PAGE_SIZE" else 768 * 256)
    monkeypatch.setattr("builtins.open", lambda *a, **k: (_ for _ in ()).throw(OSError("no cgroup")))
    assert limits.memory_budget_mb() == 460  # 60% of Gradescope's 768 MB


# ------------------------------------------------------------------ prepared namespaces

NS_PROBE = (
    "import os, socket\n"
    "def probe(folder, keep_socket=False):\n"
    "    if keep_socket:\n"
    "        global S\n"
    "        S = socket.socket(socket.AF_UNIX)\n"
    "        S.bind('\\0grader-test')\n"
    "        open('/tmp/left-behind', 'w').write('x')\n"
    "    try:\n"
    "        seen = sorted(os.listdir(folder))\n"
    "    except OSError as exc:\n"
    "        seen = type(exc).__name__\n"
    "    return {'net': os.readlink('/proc/self/ns/net'), 'mnt': os.readlink('/proc/self/ns/mnt'),\n"
    "            'tmp': sorted(os.listdir('/tmp')), 'seen': seen}\n")


@ROOT_ONLY
def test_prepared_namespaces_are_never_shared_by_live_children(tmp_path):
    """Children may reuse a network namespace one after the other, never at the same time;
    each has a mount namespace and a /tmp of its own."""
    first, file = session_for(tmp_path, NS_PROBE)
    second, _ = session_for(tmp_path, NS_PROBE)
    try:
        a = first.call(file, "probe", [str(tmp_path), True]).value
        b = second.call(file, "probe", [str(tmp_path)]).value
    finally:
        first.close()
        second.close()
    # A checkout in /tmp (a CI clone) keeps its .venv visible there, read-only.
    python = {Path(p).parts[2] for p in (sys.prefix, sys.base_prefix)
              if Path(p).parts[:2] == ("/", "tmp")}
    a["tmp"], b["tmp"] = [n for n in a["tmp"] if n not in python], [n for n in b["tmp"] if n not in python]
    assert a["net"] != b["net"] and a["mnt"] != b["mnt"]
    assert "left-behind" in a["tmp"]
    assert len(b["tmp"]) == 1 and b["tmp"][0] not in a["tmp"]  # only its own scratch folder
    third, _ = session_for(tmp_path, NS_PROBE)
    try:
        c = third.call(file, "probe", [str(tmp_path)]).value
    finally:
        third.close()
    c["tmp"] = [n for n in c["tmp"] if n not in python]
    assert len(c["tmp"]) == 1 and "left-behind" not in c["tmp"]


@ROOT_ONLY
def test_a_folder_created_after_the_mount_template_is_still_hidden(tmp_path):
    """The template mount namespace is rebuilt when a hidden folder appears (outside /tmp,
    which the child replaces anyway)."""
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(dir="/var/lib", prefix="grader-test-"))
    base.chmod(0o755)
    later = base / "later"
    config = FAST.replace(hide_paths=[str(later)])
    try:
        before, file = session_for(tmp_path, NS_PROBE, config)
        try:
            seen = before.call(file, "probe", [str(base)]).value["seen"]
            rooted = "rootfs" in before.child.ready.get("isolation", [])
        finally:
            before.close()
        assert seen == ("FileNotFoundError" if rooted else [])
        later.mkdir(mode=0o755)
        (later / "expected.txt").write_text("secret")
        after, file = session_for(tmp_path, NS_PROBE, config)
        try:
            outside = after.call(file, "probe", [str(base)]).value["seen"]
            inside = after.call(file, "probe", [str(later)]).value["seen"]
        finally:
            after.close()
    finally:
        shutil.rmtree(base)
    if rooted:  # the whitelist root: nothing outside it exists for the student
        assert outside == inside == "FileNotFoundError"
    else:
        assert outside == ["later"]
        assert inside == "PermissionError"


@ROOT_ONLY
def test_a_network_namespace_holding_a_socket_is_not_reused():
    import socket

    from grader.sandbox import namespaces
    from grader.sandbox.nspool import NamespacePool

    pool = NamespacePool(netns=True, mountns=False)
    entry = pool.take_netns()
    if entry is None:
        pytest.skip("no network namespaces here")
    namespaces.setns(entry[0], namespaces.CLONE_NEWNET)
    try:
        held = socket.socket(socket.AF_UNIX)  # e.g. passed by a student to a process outside
        held.bind("\0grader-test-held")
    finally:
        namespaces.setns(pool.home_net, namespaces.CLONE_NEWNET)
    pool.lend_netns(1, entry)
    pool.give_back(1, reusable=True)
    assert pool.spare == []
    held.close()
    clean = pool.take_netns()
    pool.lend_netns(2, clean)
    pool.give_back(2, reusable=False)  # something of the child may be left: dropped
    assert pool.spare == []
    clean = pool.take_netns()
    pool.lend_netns(3, clean)
    pool.give_back(3, reusable=True)
    assert pool.spare == [clean]


ROOT_VIEW = (
    "import os\n"
    "def view():\n"
    "    return {'root': sorted(os.listdir('/')), 'ipc': os.readlink('/proc/self/ns/ipc'),\n"
    "            'writable': os.access('/usr', os.W_OK), 'cwd': os.getcwd()}\n")


def test_the_student_sees_only_the_whitelist_root(tmp_path):
    """Only what the interpreter needs exists: no /home, /srv, /opt or /run (/work or /root only
    as the way to the Python folders). The same without root, in a user namespace."""
    from grader.sandbox.forkserver import get_server

    caps = get_server().caps
    if not (caps.get("userns") or (caps.get("root") and caps.get("mountns"))):
        pytest.skip("no mount namespace here (neither root nor user namespaces)")
    session, file = session_for(tmp_path, ROOT_VIEW)
    try:
        seen = session.call(file, "view").value
        isolation = session.child.ready.get("isolation", [])
    finally:
        session.close()
    assert "rootfs" in isolation and "ipcns" in isolation
    assert seen["ipc"] != os.readlink("/proc/self/ns/ipc")
    assert not {"home", "srv", "opt", "run", "autograder", "mnt"} & set(seen["root"])
    assert {"usr", "tmp", "proc", "dev"} <= set(seen["root"])
    assert seen["writable"] is False and seen["cwd"].startswith("/tmp/")


# ------------------------------------------------------------------ not root (user namespaces)

AS_NOBODY = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
from grader.sandbox.forkserver import get_server
from grader.sandbox.limits import SandboxConfig
from grader.sandbox.session import SandboxSession

if not get_server().caps.get("userns"):
    print(json.dumps({"skip": "the kernel refuses unprivileged user namespaces here"}))
    sys.exit(0)
work = sys.argv[2]
with open(os.path.join(work, "submission.py"), "w") as fh:
    fh.write(
        "import os, signal\\n"
        "def attack(solver):\\n"
        "    try:\\n"
        "        seen = open(solver).read()\\n"
        "    except OSError as exc:\\n"
        "        seen = type(exc).__name__\\n"
        "    me, parent = os.getpid(), os.getppid()\\n"
        "    for target in (parent, -1):\\n"
        "        try:\\n"
        "            os.kill(target, signal.SIGKILL)\\n"
        "        except OSError:\\n"
        "            pass\\n"
        "    return {'seen': seen, 'pid': me, 'ppid': parent}\\n")
session = SandboxSession(SandboxConfig(call_timeout=5, import_timeout=10), hide=[sys.argv[3]])
name = session.add_file(os.path.join(work, "submission.py"))
result = session.call(name, "attack", [os.path.join(sys.argv[3], "solver.py")])
isolation = session.child.ready.get("isolation") if session.child else None
session.close()
print(json.dumps({"ok": result.ok, "value": result.value, "message": result.message,
                  "isolation": isolation, "warnings": session.warnings}))
"""


def _python_for(user: str):
    """An interpreter ``user`` may run with numpy and this checkout importable, or None."""
    import shutil
    import subprocess

    repo = str(Path(__file__).resolve().parents[1])
    runuser = shutil.which("runuser")
    if runuser is None:
        return None, None
    for python in (sys.executable, os.environ.get("GRADER_TEST_UNPRIVILEGED_PYTHON"),
                   "/usr/bin/python3"):
        if not python:
            continue
        probe = subprocess.run(
            [runuser, "-u", user, "--", python, "-c",
             "import sys, numpy; sys.path.insert(0, sys.argv[1]); import grader.sandbox.session",
             repo], capture_output=True, timeout=60, cwd="/", check=False)
        if probe.returncode == 0:
            return runuser, python
    return None, None


@ROOT_ONLY
def test_an_unprivileged_grader_isolates_student_code_in_a_user_namespace():
    """The non-root path, run from CI (root) as user nobody: the student's process cannot read
    a world-readable solver, and its kill(getppid()) and kill(-1) reach neither the grader nor
    the fork server (both would be its own uid without a PID namespace of its own)."""
    import json
    import shutil
    import subprocess
    import tempfile

    runuser, python = _python_for("nobody")
    if python is None:
        pytest.skip("no Python with numpy that user nobody may run and import this checkout "
                    "with (set GRADER_TEST_UNPRIVILEGED_PYTHON to one)")
    work = tempfile.mkdtemp(prefix="grader-nobody-", dir="/tmp")
    problem = os.path.join(work, "problem")
    try:
        os.mkdir(problem)
        with open(os.path.join(problem, "solver.py"), "w") as fh:
            fh.write("SECRET = 'UNPRIVILEGED-SECRET-41'\n")
        os.chmod(problem, 0o755)
        os.chmod(os.path.join(problem, "solver.py"), 0o644)
        os.chmod(work, 0o755)
        os.chown(work, 65534, 65534)
        repo = str(Path(__file__).resolve().parents[1])
        done = subprocess.run([runuser, "-u", "nobody", "--", python, "-c", AS_NOBODY, repo,
                               work, problem], capture_output=True, text=True, timeout=120,
                              cwd="/", env={"PATH": "/usr/bin:/bin", "HOME": work}, check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert done.returncode == 0, f"the grader was killed or failed: {done.returncode} {done.stderr[-2000:]}"
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if "skip" in report:
        pytest.skip(report["skip"])
    assert "UNPRIVILEGED-SECRET-41" not in done.stdout
    assert report["ok"], report
    assert report["value"] == {"seen": "FileNotFoundError", "pid": 1, "ppid": 0}
    assert {"userns", "pidns", "rootfs", "netns", "ipcns"} <= set(report["isolation"])
    assert report["warnings"] == []
