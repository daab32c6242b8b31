"""Who the student's code runs as, dropping to it, and killing everything it left behind.

As root, each child gets a uid of its own (from ``uid_base`` up, no passwd entry needed): it
cannot signal the grader or other students' children, RLIMIT_NPROC bounds its processes, and
"kill every process of that uid" removes anything it started, even after setsid().

That only holds while no one else runs as the same uid, so a uid is leased (:func:`lease_uid`)
machine-wide, before the child is forked, and given back only once no process of it is left.
A uid derived from the child's pid (as before) is not unique: a pid is free again as soon as
the child is reaped, while what it started may still run, pids wrap around (pid_max is 32768
on many machines) and each PID namespace numbers its own; then a second sandbox got the same
uid, and either sweep killed the other's processes.
"""

from __future__ import annotations

import os
import pwd
import signal
import socket

UID_SPAN = 1 << 20  # fresh uids: uid_base .. uid_base + UID_SPAN - 1
_LEASE_NAME = "\0grader-sandbox-uid-{}"


def is_root() -> bool:
    """Whether we may give student code a uid of its own (and must never run it as ourselves)."""
    return os.geteuid() == 0


class UidLease:
    """A fresh uid that no other sandbox on this machine holds until :meth:`release`."""

    def __init__(self, uid: int, sock: socket.socket) -> None:
        self.uid = uid
        self._sock = sock

    def release(self) -> None:
        """Give the uid back: call only once no process of it is left."""
        self._sock.close()


def lease_uid(uid_base: int, hint: int) -> UidLease:
    """Reserve a fresh uid machine-wide, from ``uid_base + hint`` upwards.

    The reservation is an abstract unix socket named after the uid: binding it is atomic,
    every grader process, fork server and PID namespace on the machine shares the name space
    (it belongs to the network namespace, and none of these leave the machine's), and the
    kernel frees the name when the holder dies, so a crash never leaks a uid. (A fork server
    that dies leaves the uid's processes behind: the next child that gets the uid kills them
    before it runs anything, see child.py.) A student process that binds such names only
    makes us skip those uids; the socket never listens, so nobody can connect to it.
    Raises OSError when no uid is free.
    """
    for step in range(UID_SPAN):
        uid = uid_base + (hint + step) % UID_SPAN
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(_LEASE_NAME.format(uid))
        except OSError:
            sock.close()
            continue
        return UidLease(uid, sock)
    raise OSError(f"no free sandbox uid in {uid_base}..{uid_base + UID_SPAN - 1}")


def sandbox_ids(user: str | None, fresh_uid: int | None) -> tuple[int, int]:
    """(uid, gid) a child runs as: its leased uid, or a named user's (nobody's if unknown)."""
    if user is None:
        if not fresh_uid or fresh_uid < 0:
            raise ValueError("no uid was leased for this child")
        return fresh_uid, fresh_uid
    try:
        entry = pwd.getpwuid(int(user)) if str(user).isdigit() else pwd.getpwnam(user)
        return entry.pw_uid, entry.pw_gid
    except (KeyError, ValueError):
        return 65534, 65534


def drop_privileges(uid: int, gid: int) -> None:
    """Irrevocably become uid/gid with no supplementary groups; raises if that did not happen."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getegid() != gid or 0 in os.getgroups():
        raise OSError("privilege drop did not take effect")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise OSError("could regain root after dropping privileges")


def kill_uid(uid: int, rounds: int = 4) -> None:
    """SIGKILL every process of ``uid`` (root only): a helper becomes uid and kill(-1)s.

    kill(-1) reaches exactly the processes the uid may signal, i.e. its own, and never the
    caller. One pass already dooms them all: it walks the process list under the lock fork()
    needs, and a process with SIGKILL pending cannot fork, so a fork loop cannot outrun it.
    (Its return value says nothing: kill(-1) fails with ESRCH only on a machine with no other
    process at all.) The caller checks afterwards that nothing is left.
    """
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(rounds):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def processes_of(uid: int) -> list[int]:
    """Pids whose real uid is ``uid`` (from /proc), for checks after a kill."""
    found: list[int] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(name))
                        break
        except OSError:
            continue
    return found


PF_EXITING = 0x4  # /proc/<pid>/stat flags: the process is already exiting


def children_of(ppid: int, live_only: bool = False) -> list[int]:
    """Pids whose parent is ``ppid`` (orphans reparented to a subreaper land here);
    ``live_only``: processes already exiting (or zombies) left out."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                stat = fh.read()
            fields = stat.rsplit(")", 1)[1].split()
            exiting = fields[0] in "ZX" or int(fields[6]) & PF_EXITING
            if int(fields[1]) == ppid and not (live_only and exiting):
                found.append(int(name))
        except (OSError, ValueError, IndexError):
            continue
    return found
