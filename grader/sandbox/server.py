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

MAX_CONTROL = 1 << 16
WALL = 0x40000000  # __WALL: wait for every kind of child, clone()d ones included


def serve(fd: int) -> None:
    import numpy  # noqa: F401 - preloaded once, shared copy-on-write by every child

    from grader.sandbox import child, namespaces, nspool, userns, users

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
    else:
        caps["userns"] = userns.probe()
    live: dict[int, dict] = {}
    statuses: dict[int, int] = {}
    pool = nspool.NamespacePool(caps["netns"], caps["mountns"])
    runtime = sorted({sys.prefix, sys.base_prefix, sys.exec_prefix,
                      *[p for p in sys.path if p.endswith("-packages")]})
    child.prepare_server()
    sock.sendall(json.dumps({"hello": caps}).encode())
    gc.freeze()

    def reap() -> bool:
        """Reap every zombie; True when no child process of ours is left at all."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG | WALL)
            except ChildProcessError:
                return True
            if pid == 0:
                return False
            if pid in live:
                statuses[pid] = status
                live[pid]["reaped"] = True

    later: list = []  # cleanup that cannot change a reply: done after sending it

    def finish(pid: int) -> dict:
        info = live.pop(pid, None)
        if info is None:
            return {"error": "unknown pid"}
        uid = info["uid"]
        if info["keeper"] and not info.get("reaped"):
            _await_keeper(pid, live, statuses, info)
        # A reaped leader's pid may be reused: then only the uid sweep may kill (root).
        kills = () if info.get("reaped") and info["own_uid"] else (os.killpg, os.kill)
        if info.get("reaped"):
            kills = kills[:1]
        for kill in kills:
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass
        status = statuses.pop(pid, None)
        if status is None:
            try:
                _, status = os.waitpid(pid, WALL)
            except ChildProcessError:
                status = None
        # Every process the student started is a descendant of ours (orphans are reparented
        # to us, the subreaper), so with no child process of ours left, none of the uid is.
        alone = reap()
        leftover = []
        if not alone and info["own_uid"]:
            users.kill_uid(uid)
            reap()
            for _ in range(50):
                leftover = users.processes_of(uid)
                if not leftover:
                    break
                users.kill_uid(uid)
                reap()
        elif not alone:  # no uid of its own: kill what was reparented to us (orphans)
            for orphan in users.children_of(me):
                if orphan not in live:
                    try:
                        os.kill(orphan, signal.SIGKILL)
                    except OSError:
                        pass
            reap()
        if info["own_uid"] and not caps["mountns"]:  # with private mounts its /tmp vanished with it
            _remove_owned(uid)
        later.append(lambda: _tidy(pool, pid, alone, info["scratch"]))
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
            scratch = namespaces.private_dir("grader-sbx-")
            spawn = {**spawn, "scratch": scratch, "drop": root, "userns": caps.get("userns", False)}
            own_uid = root and spawn["config"].get("user") is None
            net = mnt = None
            if root:
                net = None if spawn["config"].get("network") else pool.take_netns()
                mnt = pool.template(list(spawn["config"].get("hide_paths") or []), runtime)
                spawn.update(net_fd=net[0] if net else -1, mnt_fd=mnt[0], ns_warnings=mnt[1])
            pid = os.fork()
            if pid == 0:
                sock.close()
                child.child_main(spawn, fds, me)
            for f in fds:
                os.close(f)
            pool.lend_netns(pid, net)
            uid = spawn["config"]["uid_base"] + pid if own_uid else os.getuid()
            live[pid] = {"uid": uid, "scratch": scratch, "own_uid": own_uid,
                         "keeper": bool(spawn["userns"])}
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
        while later:
            later.pop(0)()
    for pid in list(live):
        finish(pid)
    while later:
        later.pop(0)()
    os._exit(0)


def _await_keeper(pid: int, live: dict, statuses: dict, info: dict) -> None:
    """User-namespace mode (userns.py): ``pid`` is a keeper that exits as soon as the student's
    process has ended, which the grader may notice first (EOF). If that process is gone, give
    the keeper a moment to exit by itself, so its status (exit code, crash signal) is the
    student's and not our SIGKILL."""
    from grader.sandbox import users

    if users.children_of(pid, live_only=True):
        return
    for _ in range(200):
        got, status = os.waitpid(pid, os.WNOHANG | WALL)
        if got == pid:
            statuses[pid] = status
            info["reaped"] = True
            return
        time.sleep(0.0005)


def _tidy(pool, pid: int, alone: bool, scratch: str) -> None:
    """After a child is finished: its network namespace back to the pool (if nothing of it is
    left), its scratch folder removed (with private mounts, empty on our side)."""
    pool.give_back(pid, reusable=alone)
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

