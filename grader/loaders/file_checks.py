"""Is this path a file a student may hand in? Checked before anything opens it.

A submission is only ever a regular file or a folder of the student's own. Never read: FIFOs
(opening one blocks until a writer comes), devices, sockets, symbolic links leading out of the
submission (to the instructor's solver, the problem folder, a classmate's work or /dev/zero),
and hard links to a file of the problem folder (the same inode under another name).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_PRIVATE_FILES = 20_000  # a problem folder is small; a huge one is walked only this far

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def special_kind(mode: int) -> str | None:
    """'a FIFO (named pipe)', 'a character device'... or None for files and folders."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def private_inodes(private: list[Path] | tuple) -> frozenset[tuple[int, int]]:
    """(device, inode) of every file under the private (problem) folders, walked each time it is
    asked (only for a file with more than one link: rare), so a file added to a problem folder
    while a long-running grader (a marking server, a watch mode) runs is protected too."""
    inodes: set[tuple[int, int]] = set()
    for folder in private:
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                try:
                    st = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue
                inodes.add((st.st_dev, st.st_ino))
                if len(inodes) >= MAX_PRIVATE_FILES:
                    break
    return frozenset(inodes)


_O_PATH = getattr(os, "O_PATH", None)


def realpath(path: str | Path) -> str:
    """os.path.realpath(path), asked of the kernel where it can tell (Linux: the path of an
    O_PATH descriptor, which opens nothing, so no FIFO blocks and no device acts): three
    system calls instead of an lstat per component made in Python (a class checks a thousand
    of these). Anything unusual (no /proc, a missing file, a loop) is os.path.realpath's."""
    if _O_PATH is not None:
        try:
            fd = os.open(path, _O_PATH | os.O_CLOEXEC)
        except OSError:
            return os.path.realpath(path)
        try:
            real = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            real = ""
        finally:
            os.close(fd)
        # ("(unreachable)/...", " (deleted)": the kernel's words, not a path)
        if real.startswith("/") and not real.endswith(" (deleted)"):
            return real
    return os.path.realpath(path)


def _inside(path: str, folder: str) -> bool:
    """Whether the real path `path` is `folder` or under it (both from realpath: strings, not
    Paths, as a class checks a thousand of these)."""
    return path == folder or path.startswith(folder if folder.endswith(os.sep) else folder + os.sep)


def refusal(path: Path, private: list[Path] | tuple, *, within: Path | None = None,
            label: str | None = None, within_name: str = "the submission",
            lstat: os.stat_result | None = None) -> str | None:
    """Why `path` must not be read as the student's (a message naming it), or None.

    `within`: the folder a link must stay inside (the submission or the class folder); None for
    a path given on the command line, whose links are followed unless they lead to the
    instructor's files. `lstat`: os.lstat(path), from a caller that has just made it (a class
    checks a thousand paths: one system call fewer each).
    """
    label = label or path.name
    try:
        lst = lstat or os.lstat(path)
    except (OSError, ValueError):
        return None  # the reader says "file not found"
    target = path
    if stat.S_ISLNK(lst.st_mode):
        try:
            target = Path(realpath(path))
            st = os.stat(target)
        except (OSError, ValueError, RuntimeError):
            return f"{label}: a symbolic link to a missing file; hand in the file itself, not a link"
        if within is not None and not _inside(str(target), realpath(within)):
            return (f"{label}: a symbolic link to a file outside {within_name} "
                    f"({_where(target, private)}); links are not followed: hand in the file itself")
    else:
        st = lst
    kind = special_kind(st.st_mode)
    if kind:
        via = " (through a symbolic link)" if target is not path else ""
        return f"{label}: {kind}{via}, not a file; hand in a regular .json, .py or .ipynb file"
    if private:
        real_target = realpath(target)
        for folder in private:
            real = realpath(folder)  # resolved at each check: a folder may move under a
            # long-running grader
            if _inside(real_target, real) or (stat.S_ISDIR(st.st_mode) and _inside(real, real_target)):
                return f"{label}: the problem's own folder or one of its files, not a student's submission"
    if stat.S_ISREG(st.st_mode) and st.st_nlink > 1 and (st.st_dev, st.st_ino) in private_inodes(private):
        return (f"{label}: a hard link to a file of the problem folder (the instructor's own file), "
                f"not a student's submission")
    return None


def _where(target: Path, private) -> str:
    for folder in private:
        if _inside(str(target), realpath(folder)):
            return "in the problem folder"
    return "elsewhere on this machine"


class NotRegular(OSError):
    """The path is a FIFO, a device, a socket or a folder: never read as answers."""


def open_regular(path: Path) -> int:
    """An fd for reading `path`, refusing anything but a regular file without ever blocking.

    The kind is checked before opening (opening some devices does something), then again on
    the open file (O_NONBLOCK: opening a FIFO swapped in meanwhile returns at once instead of
    waiting for a writer).
    """
    return open_regular_sized(path)[0]


def open_regular_sized(path: Path) -> tuple[int, int]:
    """open_regular(path), and the size of the file it opened (from the check of the open file)."""
    kind = special_kind(os.stat(path).st_mode)
    if kind:
        raise NotRegular(kind)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(special_kind(st.st_mode) or "a folder")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size
