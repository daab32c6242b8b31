"""A long-lived helper that forks one clean, numpy-preloaded child per submission.

The grader starts it once (``ForkServer.start``) as a fresh interpreter that has never seen a
spec or a solver, so nothing secret is in the memory its children inherit. It is root when
the grader is root; each child drops privileges itself. Control messages are small JSON
datagrams over a SOCK_SEQPACKET socketpair; the pipes to a child are passed as fds, so the
grader talks to each child directly. The server is a child subreaper: whatever a student
process leaves behind is reparented here, killed and reaped.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

MAX_CONTROL = 1 << 16
BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
        "from grader.sandbox.forkserver import serve; serve(int(sys.argv[2]))")


# ------------------------------------------------------------------------- server side


def serve(fd: int) -> None:
    import numpy  # noqa: F401 - preloaded once, shared copy-on-write by every child

    from grader.sandbox import child, namespaces, users

    sock = socket.socket(fileno=fd)
    sys.path.pop(0)
    me = os.getpid()
    try:
        namespaces.prctl(namespaces.PR_SET_CHILD_SUBREAPER, 1)
    except OSError:
        pass
    root = users.is_root()
    caps = {"root": root, "netns": False, "mountns": False, "python": sys.version.split()[0]}
    if root:
        caps.update(namespaces.probe())
    live: dict[int, dict] = {}
    statuses: dict[int, int] = {}
    sock.sendall(json.dumps({"hello": caps}).encode())
    gc.freeze()

    def reap() -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in live:
                statuses[pid] = status
                live[pid]["reaped"] = True

    def finish(pid: int) -> dict:
        info = live.pop(pid, None)
        if info is None:
            return {"error": "unknown pid"}
        uid = info["uid"]
        # A reaped leader's pid may be reused: then only the uid sweep may kill (root).
        kills = () if info.get("reaped") and info["own_uid"] else (os.killpg, os.kill)
        if info.get("reaped"):
            kills = kills[:1]
        for kill in kills:
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if info["own_uid"]:
            users.kill_uid(uid)
        else:  # no uid of its own: kill what was reparented to us (orphans)
            for orphan in users.children_of(me):
                if orphan not in live:
                    try:
                        os.kill(orphan, signal.SIGKILL)
                    except OSError:
                        pass
        status = statuses.pop(pid, None)
        if status is None:
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                status = None
        reap()
        leftover = []
        if info["own_uid"]:
            for _ in range(50):
                leftover = users.processes_of(uid)
                if not leftover:
                    break
                users.kill_uid(uid)
                reap()
            if not caps["mountns"]:  # with private mounts its /tmp vanished with it
                _remove_owned(uid)
        shutil.rmtree(info["scratch"], ignore_errors=True)
        return {"status": _status(status), "leftover": len(leftover)}

    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, MAX_CONTROL, 4)
        except OSError:
            data, fds = b"", []
        if not data:
            break
        reap()
        try:
            msg = json.loads(data)
            op = msg.get("op")
        except ValueError:
            msg, op = {}, None
        if op == "spawn" and len(fds) == 3:
            spawn = msg["spawn"]
            scratch = tempfile.mkdtemp(prefix="grader-sbx-")
            spawn = {**spawn, "scratch": scratch, "drop": root}
            own_uid = root and spawn["config"].get("user") is None
            pid = os.fork()
            if pid == 0:
                sock.close()
                child.child_main(spawn, fds, me)
            for f in fds:
                os.close(f)
            uid = spawn["config"]["uid_base"] + pid if own_uid else os.getuid()
            live[pid] = {"uid": uid, "scratch": scratch, "own_uid": own_uid}
            reply = {"pid": pid, "uid": uid}
        elif op == "finish":
            for f in fds:
                os.close(f)
            reply = finish(int(msg["pid"]))
        else:
            for f in fds:
                os.close(f)
            reply = {"ok": True, "caps": caps, "live": sorted(live)}
        sock.sendall(json.dumps(reply).encode())
    for pid in list(live):
        finish(pid)
    os._exit(0)


def _status(status: int | None) -> dict:
    if status is None:
        return {"unknown": True}
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"exited": os.WEXITSTATUS(status)}


def _remove_owned(uid: int) -> None:
    """Files the student left in shared temp folders (no private mounts): remove them."""
    for base in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            entries = list(os.scandir(base))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                continue


# ------------------------------------------------------------------------- grader side


class ForkServerError(Exception):
    """The fork server died or misbehaved: a grader problem, never the student's fault."""


class ForkServer:
    """The grader's handle on its fork server (one per grader process)."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        repo = str(Path(__file__).resolve().parents[2])
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOT, repo, str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            env=env, start_new_session=True)
        theirs.close()
        self.sock = ours
        self.sock.settimeout(60)
        self.owner = os.getpid()
        self.lock = threading.Lock()
        hello = self._recv()
        self.caps: dict = hello.get("hello", {})

    def _recv(self) -> dict:
        try:
            data = self.sock.recv(MAX_CONTROL)
        except OSError as exc:
            self.close()
            raise ForkServerError(f"sandbox fork server not answering: {exc}") from None
        if not data:
            self.close()
            raise ForkServerError("sandbox fork server exited")
        return json.loads(data)

    def request(self, msg: dict, fds: list[int] = ()) -> dict:
        with self.lock:
            data = json.dumps(msg).encode()
            try:
                if fds:
                    socket.send_fds(self.sock, [data], list(fds))
                else:
                    self.sock.sendall(data)
            except OSError as exc:
                self.close()
                raise ForkServerError(f"sandbox fork server gone: {exc}") from None
            return self._recv()

    def alive(self) -> bool:
        return self.proc.poll() is None and self.sock.fileno() >= 0

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_SERVER: ForkServer | None = None
_LOCK = threading.Lock()


@atexit.register
def _at_exit() -> None:
    shutdown()


def get_server() -> ForkServer:
    """This process's fork server, started on first use (and again after a fork or a crash)."""
    global _SERVER
    with _LOCK:
        if _SERVER is None or _SERVER.owner != os.getpid() or not _SERVER.alive():
            _SERVER = ForkServer()
        return _SERVER


def shutdown() -> None:
    global _SERVER
    with _LOCK:
        if _SERVER is not None and _SERVER.owner == os.getpid():
            _SERVER.close()
        _SERVER = None
