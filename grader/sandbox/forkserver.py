"""The grader's side of the fork server: start it, talk to it, restart it when it dies.

The fork server (server.py) is a long-lived helper that forks one clean, numpy-preloaded
child per submission. The grader starts it once per grader process as a fresh interpreter
that has never seen a spec or a solver, so nothing secret is in the memory its children
inherit. It is root when the grader is root; each child drops privileges itself. Control
messages are small JSON datagrams over a SOCK_SEQPACKET socketpair; the pipes to a child are
passed as fds, so the grader talks to each child directly.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

MAX_CONTROL = 1 << 16
BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
        "from grader.sandbox.server import serve; serve(int(sys.argv[2]))")


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

    def request(self, msg: dict, fds: list[int] | tuple[()] = ()) -> dict:
        """Send one request (with ``fds``, e.g. a child's pipes) and wait for its reply. Locked:
        replies carry no id, so only one request may be in flight per fork server."""
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
        """Whether it still runs and we still hold its socket (get_server restarts it if not)."""
        return self.proc.poll() is None and self.sock.fileno() >= 0

    def close(self) -> None:
        """Close its socket: EOF makes it finish every live child and exit (killed after 10 s)."""
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
    """Stop this process's fork server (at exit, or a test forcing a fresh one). A forked grader
    process never closes its parent's: the server would lose its children."""
    global _SERVER
    with _LOCK:
        if _SERVER is not None and _SERVER.owner == os.getpid():
            _SERVER.close()
        _SERVER = None
