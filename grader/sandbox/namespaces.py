"""Linux isolation the child sets up as root before dropping privileges.

A new network namespace leaves the student with no network at all (not even loopback).
A new mount namespace lets the child hide the problem folders under empty read-only tmpfs
mounts and give the student private, size-limited /tmp, /var/tmp and /dev/shm. Both need
CAP_SYS_ADMIN; where they fail (e.g. a Docker container without it) the caller warns and
falls back (chmod for hidden folders, see session.py).
"""

from __future__ import annotations

import ctypes
import os

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 1 << 18
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38

_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def private_dir(prefix: str) -> str:
    """A new, empty folder only its owner may enter: tempfile.mkdtemp without importing
    tempfile, whose `random` would reseed itself in every forked child (see server.py)."""
    for base in ("/tmp", "/var/tmp"):
        for _ in range(20):
            path = os.path.join(base, prefix + os.urandom(6).hex())
            try:
                os.mkdir(path, 0o700)
                return path
            except FileExistsError:
                continue
            except OSError:
                break
    raise OSError("no folder for the sandbox's scratch files")


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    if hasattr(os, "unshare"):  # Python 3.12+
        os.unshare(flags)
        return
    _check(libc().unshare(flags), "unshare")


def setns(fd: int, nstype: int) -> None:
    """Enter the namespace open at ``fd`` (the fork server's prepared ones, see nspool.py)."""
    if hasattr(os, "setns"):  # Python 3.12+
        os.setns(fd, nstype)
        return
    _check(libc().setns(fd, nstype), "setns")


def prctl(option: int, arg: int = 0) -> None:
    _check(libc().prctl(option, arg, 0, 0, 0), f"prctl({option})")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    _check(libc().mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                        ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def split_hidden(hide: list[str], runtime: list[str]) -> list[str]:
    """Folders to hide, never one that holds the student's interpreter.

    A folder holding the Python installation (the checkout with its .venv, or Gradescope's
    /autograder/source) is replaced by its sub-folders, minus the way to the installation:
    its problems, tests and solvers stay hidden, the interpreter stays readable.
    """
    return plan_hidden(hide, runtime)[0]


def plan_hidden(hide: list[str], runtime: list[str]) -> tuple[list[str], list[str]]:
    """split_hidden's folders, and the folders whose listing decided them (a prepared mount
    namespace is valid while those listings are unchanged, see nspool.py)."""
    out: list[str] = []
    scanned: list[str] = []
    for path in hide:
        if not os.path.isdir(path) or any(r and _inside(path, r) for r in runtime):
            continue  # the installation itself, or inside it
        holders = [r for r in runtime if r and _inside(r, path)]
        if not holders:
            out.append(path)
            continue
        scanned.append(path)
        try:
            children = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            continue
        for entry in children:
            if entry.is_dir(follow_symlinks=False):
                more, seen = plan_hidden([entry.path], holders)
                out.extend(more)
                scanned.extend(seen)
    return out, scanned


def isolate(network: bool, hide: list[str], tmp_mb: int, runtime: list[str],
            staging: str, net_fd: int = -1, mnt_fd: int = -1) -> tuple[set, list[str]]:
    """Enter new namespaces where possible. Returns (what succeeded, warnings).

    ``runtime`` are folders the student's interpreter must read (the Python installation):
    if one sits under a folder others may not enter (pyenv in /root, mode 700), that folder is
    replaced by a tmpfs holding only the way to it. ``staging`` is an empty folder.
    ``net_fd`` / ``mnt_fd``, when given, are namespaces the fork server prepared: an empty
    network namespace no other live process uses, and a mount namespace where ``hide`` is
    already covered and the installation exposed; the child then copies the latter and only
    adds its own private temp folders.
    """
    done: set = set()
    warnings: list[str] = []
    if not network:
        try:
            if net_fd >= 0:
                setns(net_fd, CLONE_NEWNET)
            else:
                unshare(CLONE_NEWNET)
            done.add("netns")
        except OSError as exc:
            warnings.append(f"network not isolated (unshare CLONE_NEWNET failed: {exc.strerror})")
    try:
        if mnt_fd >= 0:
            setns(mnt_fd, CLONE_NEWNS)
        unshare(CLONE_NEWNS)
        mount("none", "/", None, MS_REC | MS_PRIVATE, None)
        done.add("mountns")
    except OSError as exc:
        warnings.append(f"no private mounts (unshare CLONE_NEWNS failed: {exc.strerror})")
        return done, warnings
    if mnt_fd < 0:
        warnings += cover(hide, runtime, staging)
    opts = f"size={tmp_mb}m,nr_inodes=4096,mode=1777"
    for path in ("/tmp", "/var/tmp", "/dev/shm"):
        if any(_inside(r, path) for r in runtime):
            warnings.append(f"{path} not private: the Python installation lives under it")
            continue
        if os.path.isdir(path):
            try:
                mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts)
            except OSError as exc:
                warnings.append(f"{path} not private: {exc.strerror}")
    return done, warnings


def cover(hide: list[str], runtime: list[str], staging: str) -> list[str]:
    """In the current (private) mount namespace: expose the installation, hide ``hide``."""
    warnings = []
    for path in runtime:
        try:
            _expose(path, staging)
        except OSError as exc:
            warnings.append(f"Python files under {path} may be unreadable to student code: {exc}")
    for path in split_hidden(hide, runtime):
        mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=4k,nr_inodes=1,mode=000")
    return warnings


def _expose(path: str, staging: str) -> None:
    """Make ``path`` reachable for any uid by re-mounting its closed ancestor (see isolate)."""
    parts = os.path.abspath(path).split(os.sep)[1:]
    current = "/"
    for i, name in enumerate(parts[:-1]):
        current = os.path.join(current, name)
        if os.stat(current).st_mode & 0o001:
            continue
        inner = os.path.join(current, parts[i + 1])  # the one entry to keep visible
        mount(inner, staging, None, MS_BIND | MS_REC, None)
        mount("tmpfs", current, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=711")
        os.mkdir(inner, 0o755)
        mount(staging, inner, None, MS_BIND | MS_REC, None)
        _check(libc().umount2(staging.encode(), 2), "umount staging")  # MNT_DETACH
        return


def probe() -> dict:
    """Fork a throwaway child to learn which namespaces this machine lets us create."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            try:
                unshare(CLONE_NEWNET)
                code |= 1
            except OSError:
                pass
            try:
                unshare(CLONE_NEWNS)
                mount("none", "/", None, MS_REC | MS_PRIVATE, None)
                code |= 2
            except OSError:
                pass
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 0
    return {"netns": bool(code & 1), "mountns": bool(code & 2)}
