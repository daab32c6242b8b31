"""The fork server itself: the process that forks one sandbox child per submission.

Started by ``forkserver.ForkServer`` as ``python -I`` that imports only this, numpy and the
sandbox's own modules: no spec or solver, so nothing secret is in the memory its children
inherit. It deliberately imports neither ``threading`` nor ``random`` (nor ``subprocess`` or
``tempfile``, which pull them in): their fork hooks would run in every child, and in a forked
child every page Python writes is copied (about 5 us each here), so each import costs every
child about 0.2-0.7 ms.

Requests are small JSON datagrams on a SOCK_SEQPACKET socket: ``spawn`` (with the three pipe
fds of the new child), ``finish`` (kill and reap a child and everything it started) and a
status request. It is a child subreaper: whatever a student process leaves behind is
reparented here, killed and reaped.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import socket
import sys
import time

from grader.sandbox import child, namespaces, nspool, userns, users

MAX_CONTROL = 1 << 16
WALL = 0x40000000  # __WALL: wait for every kind of child, clone()d ones included


def serve(fd: int) -> None:
    """Run the fork server on the grader's socket ``fd`` until the grader closes it.

    Everything a child inherits is settled here, once, before the first fork: numpy is
    imported, the capabilities of this machine are probed, the environment and import state
    are prepared (child.prepare_server) and the heap is frozen, so children copy fewer pages.
    """
    import numpy  # noqa: F401 - preloaded once, shared copy-on-write by every child

    sock = socket.socket(fileno=fd)
    sys.path.pop(0)
    server = _Server(_capabilities())
    child.prepare_server()
    sock.sendall(json.dumps({"hello": server.caps}).encode())
    gc.freeze()
    server.run(sock)
    os._exit(0)


def _capabilities() -> dict:
    """What isolation this machine allows us (sent to the grader in the hello message)."""
    try:
        namespaces.prctl(namespaces.PR_SET_CHILD_SUBREAPER, 1)
    except OSError:
        pass
    root = users.is_root()
    caps = {"root": root, "netns": False, "mountns": False, "python": sys.version.split()[0]}
    if root:
        caps.update(namespaces.probe())
    else:
        caps["userns"] = userns.probe()
    return caps


class _Server:
    """The fork server's state: its live children and the namespaces it prepared for them.

    A child is known by a ticket, not by its pid: once a child is reaped (it may end by itself
    while the grader is busy elsewhere) its pid can be reused by a new child before the
    grader asks to finish the old one, and that request must not reach the new child.
    """

    def __init__(self, caps: dict) -> None:
        self.caps = caps
        self.root = bool(caps["root"])
        self.me = os.getpid()
        self.live: dict[int, dict] = {}      # ticket -> the child's pid, uid, lease, ...
        self.unreaped: dict[int, int] = {}   # pid -> ticket, for live children not reaped yet
        self.tickets = 0
        self.held: list = []                 # leases of uids a sweep could not empty yet
        self.pool = nspool.NamespacePool(caps["netns"], caps["mountns"])
        self.runtime = namespaces.runtime_paths()
        self.later: list = []  # cleanup that cannot change a reply: done after sending it
        self.sock: socket.socket | None = None

    def run(self, sock: socket.socket) -> None:
        """Answer requests until the grader goes away (EOF), then finish every live child."""
        self.sock = sock
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(sock, MAX_CONTROL, 4)
            except OSError:
                data, fds = b"", []
            if not data:
                break
            self.reap()
            sock.sendall(json.dumps(self.handle(data, fds)).encode())
            self.run_later()
        for ticket in list(self.live):
            self.finish(ticket)
        self.run_later()

    def run_later(self) -> None:
        """Cleanup queued by finish(), run once its reply is sent: the grader need not wait."""
        while self.later:
            self.later.pop(0)()

    def handle(self, data: bytes, fds: list[int]) -> dict:
        """One request -> its reply. Every fd received is closed here (the child keeps its copies)."""
        try:
            msg = json.loads(data)
            op = msg.get("op")
        except ValueError:
            msg, op = {}, None
        if op == "spawn" and len(fds) == 3:
            return self.spawn(msg["spawn"], fds)
        for f in fds:
            os.close(f)
        if op == "finish":
            return self.finish(int(msg["id"]))
        return {"ok": True, "caps": self.caps, "live": sorted(i["pid"] for i in self.live.values())}

    def spawn(self, spawn: dict, fds: list[int]) -> dict:
        """Fork a child for one submission, with a uid leased for it and the namespaces
        prepared for it (as root)."""
        own_uid = self.root and spawn["config"].get("user") is None
        lease = None
        if own_uid:
            try:
                lease = users.lease_uid(spawn["config"]["uid_base"], self.me * 64 + self.tickets)
            except OSError as exc:
                for f in fds:
                    os.close(f)
                return {"error": f"no uid for the child: {exc}"}
        scratch = namespaces.private_dir("grader-sbx-")
        spawn = {**spawn, "scratch": scratch, "drop": self.root,
                 "userns": self.caps.get("userns", False), "uid": lease.uid if lease else None}
        net = None
        if self.root:
            net = None if spawn["config"].get("network") else self.pool.take_netns()
            mnt = self.pool.template(list(spawn["config"].get("hide_paths") or []), self.runtime)
            spawn.update(net_fd=net[0] if net else -1, mnt_fd=mnt[0], ns_warnings=mnt[1])
        pid = os.fork()
        if pid == 0:
            self.sock.close()  # the grader's channel to us: never the student's
            child.child_main(spawn, fds, self.me)  # never returns
        for f in fds:
            os.close(f)
        self.tickets += 1
        ticket = self.tickets
        self.pool.lend_netns(ticket, net)
        uid = lease.uid if lease else os.getuid()
        self.live[ticket] = {"pid": pid, "uid": uid, "lease": lease, "scratch": scratch,
                             "own_uid": own_uid, "keeper": bool(spawn["userns"])}
        self.unreaped[pid] = ticket
        return {"pid": pid, "uid": uid, "id": ticket}

    def reap(self) -> bool:
        """Reap every zombie; True when no child process of ours is left at all."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG | WALL)
            except ChildProcessError:
                return True
            if pid == 0:
                return False
            ticket = self.unreaped.pop(pid, None)
            if ticket is not None:
                self.live[ticket].update(status=status, reaped=True)

    def finish(self, ticket: int) -> dict:
        """Kill a child and everything it started, reap them; its exit status. Its uid is
        given back only once no process of it is left."""
        info = self.live.pop(ticket, None)
        if info is None:
            return {"error": "unknown child"}
        pid = info["pid"]
        if info["keeper"] and not info.get("reaped"):
            _await_keeper(pid, info)
        self._kill_leader(pid, info)
        if not info.get("reaped"):
            try:
                _, info["status"] = os.waitpid(pid, WALL)
            except ChildProcessError:
                pass
        self.unreaped.pop(pid, None)
        # Every process the student started is a descendant of ours (orphans are reparented
        # to us, the subreaper), so with no child process of ours left, none of the uid is.
        alone = self.reap()
        leftover = [] if alone else self._sweep(info)
        if info["own_uid"] and not self.caps["mountns"]:  # with private mounts its /tmp vanished with it
            _remove_owned(info["uid"])
        if info["lease"] is not None:
            if leftover:  # kept until a later check finds the uid empty
                self.held.append(info["lease"])
            else:  # nothing of the uid is left (the sweep checked, or we have no child at all)
                info["lease"].release()
        self.later.append(lambda: _tidy(self.pool, ticket, alone, info["scratch"]))
        if self.held:
            self.later.append(self.give_back_uids)
        return {"status": _status(info.get("status")), "leftover": len(leftover)}

    def give_back_uids(self) -> None:
        """Release the leases of finished children whose uid has no process left."""
        held, self.held = self.held, []
        for lease in held:
            if users.processes_of(lease.uid):
                self.held.append(lease)
            else:
                lease.release()

    @staticmethod
    def _kill_leader(pid: int, info: dict) -> None:
        """SIGKILL the child and its process group, unless its pid may already be reused."""
        # A reaped leader's pid may be reused: then only the uid sweep may kill (root).
        kills = () if info.get("reaped") and info["own_uid"] else (os.killpg, os.kill)
        if info.get("reaped"):
            kills = kills[:1]
        for kill in kills:
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def _sweep(self, info: dict) -> list[int]:
        """Kill what the child left behind: every process of its uid (root), else the orphans
        reparented to us. Returns the pids of its uid still there (none, normally)."""
        leftover: list[int] = []
        if info["own_uid"]:
            uid = info["uid"]
            users.kill_uid(uid)
            self.reap()
            for _ in range(50):
                leftover = users.processes_of(uid)
                if not leftover:
                    break
                users.kill_uid(uid)
                self.reap()
            return leftover
        live_pids = {i["pid"] for i in self.live.values()}
        for orphan in users.children_of(self.me):
            if orphan not in live_pids:
                try:
                    os.kill(orphan, signal.SIGKILL)
                except OSError:
                    pass
        self.reap()
        return leftover


def _await_keeper(pid: int, info: dict) -> None:
    """User-namespace mode (userns.py): ``pid`` is a keeper that exits as soon as the student's
    process has ended, which the grader may notice first (EOF). If that process is gone, give
    the keeper a moment to exit by itself, so its status (exit code, crash signal) is the
    student's and not our SIGKILL."""
    if users.children_of(pid, live_only=True):
        return
    for _ in range(200):
        got, status = os.waitpid(pid, os.WNOHANG | WALL)
        if got == pid:
            info.update(status=status, reaped=True)
            return
        time.sleep(0.0005)


def _tidy(pool, ticket: int, alone: bool, scratch: str) -> None:
    """After a child is finished: its network namespace back to the pool (if nothing of it is
    left), its scratch folder removed (with private mounts, empty on our side)."""
    pool.give_back(ticket, reusable=alone)
    try:
        os.rmdir(scratch)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)


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

