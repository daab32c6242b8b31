"""Linux isolation the child sets up as root before dropping privileges.

A new network namespace leaves the student with no network at all (not even loopback), a new
IPC namespace no System V IPC shared with anyone. A new mount namespace gets a new root
(build_root, pivot): an empty tmpfs with read-only binds of only what the interpreter needs,
so no other file of the machine exists for the student (a whitelist: other checkouts and
copies of solvers included); the problem folders are also covered by empty tmpfs mounts
(the blacklist, a second layer), and /tmp, /var/tmp and /dev/shm are private and
size-limited. All need CAP_SYS_ADMIN; where they fail (e.g. a Docker container without it)
the caller warns and falls back (chmod for hidden folders, see session.py).
"""

from __future__ import annotations

import ctypes
import os
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 1 << 18
# Mount flags a user namespace may not change on a mount it inherited (statvfs bit -> flag).
LOCKED_FLAGS = ((MS_NOSUID, MS_NOSUID), (MS_NODEV, MS_NODEV), (MS_NOEXEC, MS_NOEXEC),
                (1024, 1024), (2048, 2048), (4096, 1 << 21))  # noatime, nodiratime, relatime
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
# The whitelist root (build_root): all the student's process sees of the machine.
SYSTEM_DIRS = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
             "/etc/alternatives")
DEVICES = ("null", "zero", "full", "random", "urandom")
HOLD = "/.grader-hold"  # only exists in a whitelist root: also how a child knows it has one
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38

_libc = None


def libc():
    """The C library, loaded on first use: Python 3.10/3.11 have no os.unshare/os.setns."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def runtime_paths(extra: tuple | list = ()) -> list[str]:
    """The folders of the Python installation a child's interpreter must read: the prefixes and
    every site-packages on sys.path (plus ``extra``). They are bound into the whitelist root,
    kept out of the hidden folders and must stay reachable for the student's uid, so the
    grader, the fork server and the child must all use this one list."""
    return sorted({sys.prefix, sys.base_prefix, sys.exec_prefix,
                   *[p for p in sys.path if p.endswith("-packages")], *extra})


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
    """Move into new namespaces (CLONE_NEW* ``flags``); OSError when the OS refuses, which
    callers turn into a weaker mode and a warning."""
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
    """prctl(2), raising OSError: a PR_SET_NO_NEW_PRIVS or PDEATHSIG that silently failed
    would leave the child with less protection than we believe."""
    _check(libc().prctl(option, arg, 0, 0, 0), f"prctl({option})")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    """mount(2), raising OSError naming the target: the root we build must be all or nothing."""
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
            staging: str, net_fd: int = -1, mnt_fd: int = -1,
            host_proc: bool = True) -> tuple[set, list[str]]:
    """Enter new namespaces where possible. Returns (what succeeded, warnings).

    ``runtime`` are folders the student's interpreter must read (the Python installation):
    if one sits under a folder others may not enter (pyenv in /root, mode 700), that folder is
    replaced by a tmpfs holding only the way to it. ``staging`` is an empty folder.
    ``net_fd`` / ``mnt_fd``, when given, are namespaces the fork server prepared: an empty
    network namespace no other live process uses, and a mount namespace where ``hide`` is
    already covered and the installation exposed; the child then copies the latter and only
    adds its own private temp folders. ``host_proc`` False: the new root gets a fresh /proc
    of the caller's PID namespace instead of the host's (user-namespace mode, userns.py).
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
        unshare(CLONE_NEWIPC)
        done.add("ipcns")
    except OSError as exc:
        warnings.append(f"System V IPC not isolated (unshare CLONE_NEWIPC failed: {exc.strerror})")
    try:
        if mnt_fd >= 0:
            setns(mnt_fd, CLONE_NEWNS)
        unshare(CLONE_NEWNS)
        mount("none", "/", None, MS_REC | MS_PRIVATE, None)
        done.add("mountns")
    except OSError as exc:
        warnings.append(f"no private mounts (unshare CLONE_NEWNS failed: {exc.strerror}): only "
                        "the hidden folders are protected; other files on this machine that "
                        "anyone may read stay readable to student code")
        return done, warnings
    if mnt_fd < 0:
        warnings += cover(hide, runtime, staging)
        warnings += enter_root(runtime, staging, host_proc)
    rooted = os.path.isdir(HOLD)
    if rooted:
        done.add("rootfs")
    opts = f"size={tmp_mb}m,nr_inodes=4096,mode=1777"
    for path in TEMP_DIRS:
        inside = [r for r in _outermost(runtime) if _inside(r, path)]
        if inside and not rooted:
            warnings.append(f"{path} not private: the Python installation lives under it")
            continue
        if os.path.isdir(path):
            try:
                _private_temp(path, inside, opts)
            except OSError as exc:
                warnings.append(f"{path} not private: {exc.strerror}")
    return done, warnings


def _private_temp(path: str, inside: list[str], opts: str) -> None:
    """A fresh tmpfs on ``path``; installation folders under it (a checkout in /tmp with its
    .venv) are parked on HOLD/<i> meanwhile and bound back read-only."""
    for i, folder in enumerate(inside):
        mount(folder, f"{HOLD}/{i}", None, MS_BIND | MS_REC, None)
    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts)
    for i, folder in enumerate(inside):
        _mkdirs(folder)
        mount(f"{HOLD}/{i}", folder, None, MS_BIND | MS_REC, None)
        _readonly(folder, MS_NOSUID | MS_NODEV)
        _check(libc().umount2(f"{HOLD}/{i}".encode(), MNT_DETACH), "umount hold")


def _outermost(paths: list[str]) -> list[str]:
    """The folders of ``paths`` not inside another one of them."""
    paths = sorted({os.path.abspath(p) for p in paths if p and os.path.isdir(p)})
    return [p for p in paths if not any(q != p and _inside(p, q) for q in paths)]


def _mkdirs(path: str, mode: int = 0o755) -> None:
    """Like os.makedirs, but every new folder gets ``mode`` (the umask left aside)."""
    if os.path.isdir(path):
        return
    _mkdirs(os.path.dirname(path), mode)
    os.mkdir(path)
    os.chmod(path, mode)


def _readonly(target: str, flags: int) -> None:
    """Remount the bind mount at ``target`` read-only, keeping what the source has locked."""
    try:
        mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags, None)
    except OSError:
        have = os.statvfs(target).f_flag
        locked = 0
        for bit, flag in LOCKED_FLAGS:
            if have & bit:
                locked |= flag
        mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags | locked, None)


def _bind(source: str, target: str, flags: int, readonly: bool = True) -> None:
    """Bind ``source`` at ``target`` (made first: a folder, or an empty file for a device)."""
    if os.path.isdir(source):
        _mkdirs(target)
    else:
        _mkdirs(os.path.dirname(target))
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    mount(source, target, None, MS_BIND | MS_REC, None)
    if readonly:
        _readonly(target, flags)


def build_root(runtime: list[str], mountpoint: str, host_proc: bool = True) -> None:
    """At ``mountpoint`` (in a private mount namespace): a new root holding only what the
    interpreter needs, read-only. Other checkouts, /work, /home, /root, /srv, /autograder
    simply do not exist in it. /proc is the host's, read-only (as root: no PID namespace of
    our own), or a fresh one of the caller's PID namespace (``host_proc`` False)."""
    mount("tmpfs", mountpoint, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=755")

    def new(path: str) -> str:
        return os.path.join(mountpoint, path.lstrip("/"))

    for path in SYSTEM_DIRS + ETC_FILES:
        if os.path.islink(path):  # merged /usr: /bin -> usr/bin
            _mkdirs(os.path.dirname(new(path)))
            os.symlink(os.readlink(path), new(path))
        elif os.path.exists(path):
            _bind(path, new(path), MS_NOSUID | MS_NODEV)
    for path in _outermost(runtime):
        _bind(path, new(path), MS_NOSUID | MS_NODEV)
    for i, _path in enumerate(r for r in _outermost(runtime)
                             if any(_inside(r, t) for t in TEMP_DIRS)):
        _mkdirs(new(f"{HOLD}/{i}"))
    _mkdirs(new(HOLD))
    _mkdirs(new("/dev"))
    mount("tmpfs", new("/dev"), "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,nr_inodes=64,mode=755")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            _bind(f"/dev/{name}", new(f"/dev/{name}"), 0, readonly=False)
    for name, to in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                     ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(to, new(f"/dev/{name}"))
    _mkdirs(new("/dev/shm"))
    if host_proc:
        _bind("/proc", new("/proc"), MS_NOSUID | MS_NODEV | MS_NOEXEC)
    else:  # the caller's own PID namespace: a fresh /proc, mounted while the host's is visible
        _mkdirs(new("/proc"))
        try:
            mount("proc", new("/proc"), "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
        except OSError:
            pass  # no /proc at all then (the caller checks and warns)
    for path in ("/tmp", "/var/tmp"):
        _mkdirs(new(path))
        os.chmod(new(path), 0o1777)
    mount("none", new("/dev"), None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, None)
    mount("none", mountpoint, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)


def pivot(mountpoint: str) -> None:
    """Make ``mountpoint`` the root of the current mount namespace and drop the old root."""
    number = SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise OSError(0, f"pivot_root: unknown system call number on {os.uname().machine}")
    os.chdir(mountpoint)
    _check(libc().syscall(number, b".", b"."), "pivot_root")
    _check(libc().umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")


def enter_root(runtime: list[str], staging: str, host_proc: bool = True) -> list[str]:
    """build_root + pivot; on failure the blacklist (cover) alone protects, with a warning."""
    try:
        build_root(runtime, staging, host_proc)
        pivot(staging)
    except OSError as exc:
        return [f"no whitelist root, other folders on this machine stay readable: {exc}"]
    return []


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
