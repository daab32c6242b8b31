"""Namespaces the fork server prepares once, so that each child only enters them.

Creating an empty network namespace costs a child about 2 ms (and the kernel more to tear it
down afterwards); scanning the checkout and mounting a tmpfs over each hidden folder costs
another 1.5 ms. Both are the same for every child, so the fork server prepares them and the
child enters them with setns(). What each child sees stays exactly what it would have built:

- Network: a child gets a network namespace that no live process uses. When a child is
  finished and nothing of it is left (the fork server has no child process at all, so no
  process of the student's uid exists), and the namespace holds no socket of any kind
  (sockstat back to its pristine counts), it is reused by a later child; otherwise it is
  dropped. An empty namespace whose loopback is down and that holds no socket has no other
  state an unprivileged process can change.
- Mounts: a template mount namespace in which the hidden folders are already covered and the
  Python installation exposed. The child copies it (unshare) and mounts its own fresh, private
  /tmp, /var/tmp and /dev/shm, as before. The template is rebuilt whenever a folder whose
  listing decided what to hide, a hidden folder, or a folder on the way to the installation
  changes (inode, mtime, mode), so a folder created later is hidden as before.

The fork server builds them in its own process (unshare, open the namespace, setns back), so
it must be single-threaded; anything that fails falls back to the child building its own.
"""

from __future__ import annotations

import os

from grader.sandbox import namespaces

MAX_TEMPLATES = 8
MAX_SPARE_NETNS = 4
_COUNTED = ("used", "inuse", "orphan", "tw", "alloc")


def _open_ns(kind: str) -> int:
    return os.open(f"/proc/self/ns/{kind}", os.O_RDONLY | os.O_CLOEXEC)


def _sockets() -> tuple:
    """The socket counts of the current network namespace (memory figures left out)."""
    counts = []
    for name in ("sockstat", "sockstat6"):
        with open(f"/proc/self/net/{name}") as fh:
            for line in fh:
                words = line.split()
                counts += [(words[0], k, v) for k, v in zip(words[1::2], words[2::2])
                           if k in _COUNTED]
    return tuple(counts)


def _stamp(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_mode)


def _ancestors(paths: list[str]) -> list[str]:
    out: set[str] = set()
    for path in paths:
        parts = os.path.abspath(path).split(os.sep)[1:]
        out.update("/" + "/".join(parts[:i]) for i in range(len(parts)))
    return sorted(out)


class NamespacePool:
    """The fork server's prepared namespaces (see the module docstring)."""

    def __init__(self, netns: bool, mountns: bool):
        self.netns, self.mountns = netns, mountns
        self.home_net = self.home_mnt = -1
        try:
            if netns:
                self.home_net = _open_ns("net")
            if mountns:
                self.home_mnt = _open_ns("mnt")
        except OSError:
            self.netns = self.mountns = False
        self.spare: list[tuple[int, tuple]] = []        # free network namespaces
        self.lent: dict[int, tuple[int, tuple]] = {}    # child's ticket -> its network namespace
        self.templates: dict[tuple, tuple] = {}         # key -> (fd, stamps, warnings)

    # ------------------------------------------------------------------ network

    def lend_netns(self, ticket: int, entry: tuple[int, tuple] | None) -> None:
        """Record that the child ``ticket`` uses this network namespace until it is finished."""
        if entry is not None:
            self.lent[ticket] = entry

    def take_netns(self) -> tuple[int, tuple] | None:
        """A network namespace no live process uses (the caller lends it to one child)."""
        if not self.netns:
            return None
        if self.spare:
            return self.spare.pop()
        try:
            namespaces.unshare(namespaces.CLONE_NEWNET)
        except OSError:
            self.netns = False
            return None
        fd = -1
        try:
            fd = _open_ns("net")
            pristine = _sockets()
        except OSError:
            if fd >= 0:
                os.close(fd)
            fd = -1
        finally:
            namespaces.setns(self.home_net, namespaces.CLONE_NEWNET)
        return (fd, pristine) if fd >= 0 else None

    def give_back(self, ticket: int, reusable: bool) -> None:
        """The child ``ticket`` is finished; ``reusable``: nothing of it is left anywhere."""
        entry = self.lent.pop(ticket, None)
        if entry is None:
            return
        fd, pristine = entry
        if reusable and len(self.spare) < MAX_SPARE_NETNS and self._empty(fd, pristine):
            self.spare.append(entry)
        else:
            os.close(fd)

    def _empty(self, fd: int, pristine: tuple) -> bool:
        try:
            namespaces.setns(fd, namespaces.CLONE_NEWNET)
        except OSError:
            return False
        try:
            return _sockets() == pristine
        except OSError:
            return False
        finally:
            namespaces.setns(self.home_net, namespaces.CLONE_NEWNET)

    # ------------------------------------------------------------------ mounts

    def template(self, hide: list[str], runtime: list[str]) -> tuple[int, list[str]]:
        """(fd, warnings) of a mount namespace with ``hide`` covered; fd -1 if unavailable."""
        if not self.mountns:
            return -1, []
        key = (tuple(hide), tuple(runtime))
        cached = self.templates.get(key)
        if cached is not None:
            fd, stamps, warnings = cached
            if [(p, _stamp(p)) for p, _ in stamps] == list(stamps):
                return fd, warnings
            os.close(fd)
            del self.templates[key]
        built = self._build(hide, runtime)
        if built is None:
            return -1, []
        while len(self.templates) >= MAX_TEMPLATES:
            old = next(iter(self.templates))
            os.close(self.templates.pop(old)[0])
        self.templates[key] = built
        return built[0], built[2]

    def _build(self, hide: list[str], runtime: list[str]) -> tuple | None:
        _, scanned = namespaces.plan_hidden(hide, runtime)
        watched = sorted(set(hide) | set(scanned) | set(_ancestors(runtime)))
        stamps = tuple((p, _stamp(p)) for p in watched)  # before the scan: changes in between rebuild
        cwd = os.getcwd()
        staging = namespaces.private_dir("grader-sbx-tpl-")
        fd = -1
        try:
            namespaces.unshare(namespaces.CLONE_NEWNS)
        except OSError:
            os.rmdir(staging)
            self.mountns = False
            return None
        try:
            namespaces.mount("none", "/", None, namespaces.MS_REC | namespaces.MS_PRIVATE, None)
            warnings = namespaces.cover(hide, runtime, staging)
            warnings += namespaces.enter_root(runtime, staging)
            fd = _open_ns("mnt")
        except OSError:
            if fd >= 0:
                os.close(fd)
            fd = -1
        finally:
            namespaces.setns(self.home_mnt, namespaces.CLONE_NEWNS)
            os.chdir(cwd)
            try:
                os.rmdir(staging)
            except OSError:
                pass
        return (fd, stamps, warnings) if fd >= 0 else None
