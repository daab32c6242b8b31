"""Isolation without root: an unprivileged user namespace, where the kernel allows one.

A grader that is not root cannot give the student a uid of its own, so the student's process
shares the grader's uid and could signal it or read its files. In a new user namespace (our
uid and gid mapped to themselves) the child holds, until it drops them, the capabilities
needed to build the same isolation as root: a whitelist root in a new mount namespace, no
network, its own IPC namespace, and a new PID namespace in which the student's process is
init (pid 1). It cannot name any process outside it (``kill(-1)``, ``getppid()`` is 0), its
/proc is fresh, and when it dies the kernel kills everything it started.

The process the fork server forked (the "keeper") stays outside that PID namespace: it forks
the student's process once, waits for it and exits the same way (same exit status or
signal), so the fork server's kill-and-reap logic and the grader's messages are unchanged.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal

from grader.sandbox import namespaces

_CAP_VERSION_3 = 0x20080522


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def enter() -> None:
    """A new user namespace in which our uid and gid are themselves (not root)."""
    uid, gid = os.getuid(), os.getgid()
    namespaces.unshare(namespaces.CLONE_NEWUSER)
    _write("/proc/self/uid_map", f"{uid} {uid} 1\n")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/gid_map", f"{gid} {gid} 1\n")


def probe() -> bool:
    """Whether this machine lets an unprivileged process build the namespaces we need."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            enter()
            namespaces.unshare(namespaces.CLONE_NEWNS | namespaces.CLONE_NEWPID)
            namespaces.mount("none", "/", None, namespaces.MS_REC | namespaces.MS_PRIVATE, None)
            code = 0
        except BaseException:  # noqa: BLE001 - any failure means "not available"
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def drop_capabilities() -> None:
    """Give up every capability the user namespace granted (capset to nothing). Our uid in the
    namespace is not 0, so no later exec gives them back."""
    header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    lib = namespaces.libc()
    if lib.capset(ctypes.byref(header), ctypes.byref(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"capset: {os.strerror(err)}")


def fork_init() -> None:
    """Enter a new PID namespace and fork: returns in the child (pid 1 there); the keeper
    never returns (it exits as the child did). Raises OSError if no PID namespace."""
    namespaces.unshare(namespaces.CLONE_NEWPID)
    pid = os.fork()
    if pid == 0:
        namespaces.prctl(namespaces.PR_SET_PDEATHSIG, signal.SIGKILL)
        return
    _keep(pid)


def _keep(pid: int) -> None:
    """The keeper: hold no pipe of the grader's (its EOF must mean "the child is gone"),
    wait for the child, then end the same way."""
    null = os.open("/dev/null", os.O_RDWR) if os.path.exists("/dev/null") else -1
    for fd in (0, 1, 2, 3):
        if null >= 0:
            os.dup2(null, fd)
        else:
            try:
                os.close(fd)
            except OSError:
                pass
    os.closerange(4, 1 << 16)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(70)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(sig, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
            os.kill(os.getpid(), sig)
        finally:
            os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)
