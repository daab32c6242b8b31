"""Who the student's code runs as, dropping to it, and killing everything it left behind.

As root, each child gets a uid of its own (``uid_base + pid``, no passwd entry needed): it
cannot signal the grader or other students' children, RLIMIT_NPROC bounds its processes, and
"kill every process of that uid" removes anything it started, even after setsid().
"""

from __future__ import annotations

import os
import pwd
import signal


def is_root() -> bool:
    return os.geteuid() == 0


def sandbox_ids(user: str | None, uid_base: int, pid: int) -> tuple[int, int]:
    """(uid, gid) for the child ``pid``: a fresh pair, or a named user's (nobody's if unknown)."""
    if user is None:
        return uid_base + pid, uid_base + pid
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
    found = []
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
