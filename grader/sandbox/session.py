"""One sandbox session per submission: the API the Python loader and code parts use.

A session owns at most one live child at a time (forked by this process's fork server), holds
the submission's files, imports modules and calls functions in the child, and turns every way
the child can fail (exception, exit, crash, timeout, flood of output, garbage on the channel)
into a :class:`CallResult` with a message for the student. Nothing the child sends is trusted.
"""

from __future__ import annotations

import keyword
import os
import select
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.sandbox import protocol
from grader.sandbox.forkserver import ForkServerError, get_server
from grader.sandbox.limits import SandboxConfig

_DEFAULTS: dict[str, Any] = {"config": SandboxConfig(), "hide": []}


def configure(hide: list | tuple = (), **limits: Any) -> None:
    """Process-wide defaults for new sessions: folders to hide and limit overrides.

    The engine calls this once it knows the problem folder, before loading any .py file.
    """
    _DEFAULTS["config"] = _DEFAULTS["config"].replace(**limits)
    for path in hide:
        if str(path) not in _DEFAULTS["hide"]:
            _DEFAULTS["hide"].append(str(path))


def default_hide_paths() -> list[str]:
    """Folders hidden even when nobody configured any: this checkout and Gradescope's folders.

    Where the Python environment lives inside one of them (a .venv in the checkout), only the
    folders beside it are hidden (see namespaces.split_hidden).
    """
    repo = Path(__file__).resolve().parents[2]
    candidates = [] if repo == Path("/") else [repo]
    candidates += [Path("/autograder/source"), Path("/autograder/results")]
    return [str(p) for p in candidates if p.is_dir()]


class InternalError(Exception):
    """The sandbox itself failed (not the student's fault): the grader must say so."""


@dataclass
class CallResult:
    """What happened when the student's code ran. ``value`` is plain, validated data."""

    ok: bool
    value: Any = None
    kind: str = ""      # exception | exit (sys.exit) | ended (process exited) | timeout |
    type: str = ""      # crash | output | bad_return | missing | protocol | budget
    message: str = ""
    where: str = ""

    def describe(self, hidden: bool = False) -> str:
        """Feedback text; for hidden cases only the kind of failure, never its contents."""
        if self.kind in ("exception", "exit"):
            if self.kind == "exit":
                text = f"called sys.exit({self.message})" if not hidden else "called sys.exit()"
            else:
                text = f"raised {self.type}" + ("" if hidden or not self.message else f": {self.message}")
            if self.where and not hidden:
                text += f" ({self.where})"
            return text
        if self.kind == "bad_return" and hidden:
            return "returned a value that cannot be graded"
        return self.message


@dataclass
class ImportResult:
    """A submitted file's import: the names it defines and its ANSWERS (validated plain data),
    or the failure to show the student. Cached per file, since a later child re-imports."""

    ok: bool
    failure: CallResult | None = None
    functions: list[str] = field(default_factory=list)
    answers: Any = None
    has_answers: bool = False
    answers_error: str | None = None


class _Stop(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_SIGNALS = {
    signal.SIGSEGV: "crashed with a segmentation fault (SIGSEGV)",
    signal.SIGBUS: "crashed (SIGBUS)",
    signal.SIGILL: "crashed (illegal instruction)",
    signal.SIGFPE: "crashed (floating-point exception)",
    signal.SIGABRT: "aborted (SIGABRT)",
    signal.SIGXCPU: "was stopped: CPU time limit exceeded",
    signal.SIGXFSZ: "was stopped: it wrote a file larger than the limit",
}


class _Child:
    """One live sandbox process and the grader's ends of its three pipes."""

    def __init__(self, config: SandboxConfig):
        self.config = config
        self.server = get_server()
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        self.out_r, out_w = os.pipe()
        try:
            reply = self.server.request({"op": "spawn", "spawn": {"config": config.to_data()}},
                                        [req_r, resp_w, out_w])
        finally:
            for fd in (req_r, resp_w, out_w):
                os.close(fd)
        if "pid" not in reply:
            self._close_fds()
            raise InternalError(f"sandbox could not start a process: {reply}")
        self.pid, self.uid, self.id = reply["pid"], reply["uid"], reply["id"]
        for fd in (self.req_w, self.resp_r, self.out_r):
            os.set_blocking(fd, False)
        self.reader = protocol.FrameReader(config.max_message_mb * 1024 * 1024)
        self.out_bytes = 0
        self.seq = 0
        self.finished: dict | None = None
        self.ready: dict = {}

    def start(self, files: dict[str, str]) -> None:
        """Hand the child the submission's files; raises InternalError if it cannot set up
        (a failure before any student code ran is ours, never the student's)."""
        try:
            ready = self._exchange({"op": "setup", "files": files}, 30.0, expect_seq=False)
        except _Stop as stop:
            status = self.finish()
            raise InternalError(f"sandbox process failed to start ({stop.reason}, {status})") from stop
        if ready.get("ready") is not True:
            self.finish()
            raise InternalError(f"sandbox setup failed: {str(ready.get('error'))[:300]}")
        self.ready = ready

    def exchange(self, msg: dict, timeout: float) -> dict:
        """One request and its reply within ``timeout``; the sequence number makes a reply the
        student forged for an earlier request a protocol violation. Raises _Stop."""
        self.seq += 1
        return self._exchange({**msg, "seq": self.seq}, timeout)

    def _exchange(self, msg: dict, timeout: float, expect_seq: bool = True) -> dict:
        deadline = time.monotonic() + timeout
        pending = memoryview(protocol.frame(msg))
        poller = select.poll()
        poller.register(self.resp_r, select.POLLIN)
        if self.out_r >= 0:
            poller.register(self.out_r, select.POLLIN)
        if pending:
            poller.register(self.req_w, select.POLLOUT)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Stop("timeout")
            for fd, _event in poller.poll(max(1, int(left * 1000))):
                if fd == self.req_w:
                    try:
                        n = os.write(self.req_w, pending[: 1 << 16])
                        pending = pending[n:]
                    except BlockingIOError:
                        continue
                    except OSError:  # EPIPE: the child is gone; its EOF tells how
                        pending = pending[:0]
                    if not pending:
                        poller.unregister(self.req_w)
                elif fd == self.out_r:
                    data = self._read(self.out_r)
                    if data is None:
                        continue
                    if not data:
                        poller.unregister(self.out_r)
                        os.close(self.out_r)
                        self.out_r = -1
                        continue
                    self.out_bytes += len(data)
                    if self.out_bytes > self.config.max_output_kb * 1024:
                        raise _Stop("output")
                elif fd == self.resp_r:
                    data = self._read(self.resp_r)
                    if data is None:
                        continue
                    if not data:
                        raise _Stop("eof")
                    self.reader.feed(data)
                    try:
                        reply = self.reader.pop()
                    except protocol.ProtocolError:
                        raise _Stop("protocol") from None
                    if reply is None:
                        continue
                    if type(reply) is not dict or (expect_seq and reply.get("seq") != msg["seq"]):
                        raise _Stop("protocol")
                    return reply

    @staticmethod
    def _read(fd: int) -> bytes | None:
        try:
            return os.read(fd, 1 << 16)
        except BlockingIOError:
            return None
        except OSError:
            return b""

    def finish(self) -> dict:
        """Kill the child and everything it started; its exit status (once)."""
        if self.finished is None:
            try:
                self.finished = self.server.request({"op": "finish", "id": self.id})
            except ForkServerError as exc:
                self.finished = {"status": {"unknown": True}, "error": str(exc)}
            self._close_fds()
        return self.finished

    def _close_fds(self) -> None:
        for name in ("req_w", "resp_r", "out_r"):
            fd = getattr(self, name, -1)
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, -1)


class SandboxSession:
    """A submission's sandbox: its files, one child at a time, and a time budget."""

    def __init__(self, config: SandboxConfig | None = None, hide: list | tuple = ()):
        self.config = (config or _DEFAULTS["config"]).replace()
        hidden = list(self.config.hide_paths) + list(_DEFAULTS["hide"]) + [str(p) for p in hide]
        self.config.hide_paths = []
        self.child: _Child | None = None
        self.add_hidden(hidden + default_hide_paths())
        self.files: dict[str, str] = {}      # file name in the scratch folder -> source
        self.modules: dict[str, str] = {}    # file name -> module name
        self.imports: dict[str, ImportResult] = {}
        self.imported: set[str] = set()      # modules imported in the current child
        self.restarts = 0
        self.spent = 0.0
        self.warnings: list[str] = []
        self.uids: list[int] = []            # every uid a child ran as (tests check them)
        self.pids: list[int] = []
        self.sources: set[str] = set()       # submission paths already seen
        self.file_sources: dict[str, str] = {}  # file name -> the submitted path
        self.closed = False

    # ------------------------------------------------------------------ files and hiding

    def add_hidden(self, paths: list | tuple) -> None:
        """Hide more folders (a file stands for its folder). A running child saw the old list,
        so it is stopped: the next call gets a child that never saw these folders."""
        for raw in paths:
            path = Path(raw).resolve()
            if path.is_file():
                path = path.parent
            if str(path) not in self.config.hide_paths:
                self.config.hide_paths.append(str(path))
                if self.child is not None:  # a running child must not have seen it unhidden
                    self._stop_child()

    def add_file(self, path: Path) -> str:
        """Copy a submitted .py into the session; returns its file name. Raises ValueError."""
        path = Path(path)
        size = path.stat().st_size
        if size > self.config.max_source_kb * 1024:
            raise ValueError(f"{path.name} is {size // 1024} KB; at most "
                             f"{self.config.max_source_kb} KB of Python is accepted")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{path.name} is not UTF-8 text") from None
        name = _safe_file_name(path.name, self.files)
        self.files[name] = text
        self.file_sources[name] = str(path)
        self.modules[name] = _module_name(name, self.modules.values())
        if self.child is not None:
            self._stop_child()
        return name

    # ------------------------------------------------------------------ running code

    def load(self, file: str) -> ImportResult:
        """Import a file's module (cached): its ANSWERS and the names it defines."""
        if file not in self.imports:
            self.imports[file] = self._import(file)
        return self.imports[file]

    def find_function(self, name: str) -> str | None:
        """The first submitted file that defines ``name`` (importing files as needed)."""
        for file in self.files:
            result = self.load(file)
            if result.ok and name in result.functions:
                return file
        return None

    def call(self, file: str, function: str, args: list | None = None,
             kwargs: dict | None = None, timeout: float | None = None,
             numpy_args: list | tuple = ()) -> CallResult:
        """Call ``function`` of a submitted file in the sandbox; never raises for student faults."""
        timeout = float(timeout or self.config.call_timeout)
        failure = self._ensure(file)
        if failure is not None:
            return failure
        msg = {"op": "call", "module": self.modules[file], "function": function,
               "args": list(args or []), "kwargs": dict(kwargs or {}),
               "numpy_args": list(numpy_args)}
        doing = f"while running {function}()"
        reply = self._run(msg, timeout, doing)
        if isinstance(reply, CallResult):
            return reply
        return self._result(reply, doing)

    def close(self) -> None:
        """Kill the child and everything it started; the session cannot run code afterwards."""
        self._stop_child()
        self.closed = True

    # ------------------------------------------------------------------ internals

    def _budget_left(self) -> float:
        return self.config.submission_timeout - self.spent

    def _ensure(self, file: str) -> CallResult | None:
        """A live child with ``file`` imported, or why not."""
        if file not in self.files:
            return CallResult(False, kind="missing", message=f"no file {file} in the submission")
        result = self.load(file)
        if not result.ok:
            return result.failure
        if self.child is None or self.modules[file] not in self.imported:
            if self.child is None and self.restarts > self.config.max_restarts:
                return CallResult(False, kind="budget", message=(
                    f"not run: your code was stopped {self.restarts} times already"))
            again = self._import(file)
            if not again.ok:
                return again.failure
        return None

    def _spawn(self) -> CallResult | None:
        if self.closed:
            raise InternalError("session already closed")
        try:
            server = get_server()
        except (ForkServerError, OSError, ValueError) as exc:
            raise InternalError(f"the sandbox could not start: {exc}") from None
        if server.caps.get("root") and not server.caps.get("mountns") and self.config.chmod_fallback:
            from grader.sandbox.namespaces import runtime_paths, split_hidden

            for path in split_hidden(self.config.hide_paths, runtime_paths()):
                _chmod_hide(path, self)
        if not server.caps.get("root") and not server.caps.get("userns"):
            self._warn("not running as root: student code runs as the grader's own user, "
                       "so it can read the problem folder and signal the grader")
        try:
            self.child = _Child(self.config)
        except (ForkServerError, OSError) as exc:
            self.child = None
            raise InternalError(f"the sandbox could not start a process: {exc}") from None
        self.uids.append(self.child.uid)
        self.pids.append(self.child.pid)
        self.imported = set()
        try:
            self.child.start(self.files)
        except InternalError:
            self.child = None
            raise
        for warning in self.child.ready.get("warnings", []):
            self._warn(str(warning))
        return None

    def _warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def _import(self, file: str) -> ImportResult:
        module = self.modules[file]
        if self.child is None:
            if self.restarts > self.config.max_restarts:
                return ImportResult(False, CallResult(False, kind="budget", message=(
                    f"not run: your code was stopped {self.restarts} times already")))
            self._spawn()
        reply = self._run({"op": "import", "module": module, "file": file},
                          self.config.import_timeout, f"while importing {file}")
        if isinstance(reply, CallResult):
            return ImportResult(False, reply)
        if reply.get("ok") is not True:
            return ImportResult(False, self._failure(reply.get("error"), f"while importing {file}"))
        functions = reply.get("functions")
        error = reply.get("answers_error")
        doing = f"while importing {file}"
        if (type(functions) is not list or not all(type(f) is str for f in functions)
                or (error is not None and type(error) is not str)):
            return ImportResult(False, self._violation(doing))
        try:
            answers = protocol.decode_value(reply.get("answers"))
        except protocol.ProtocolError:
            return ImportResult(False, self._violation(doing))
        if answers is not None and type(answers) is not dict:
            return ImportResult(False, self._violation(doing))
        self.imported.add(module)
        return ImportResult(True, None, functions, answers, reply.get("has_answers") is True,
                            error[:300] if error else None)

    def _run(self, msg: dict, timeout: float, doing: str) -> dict | CallResult:
        left = self._budget_left()
        if left <= 0:
            return CallResult(False, kind="budget", message=(
                f"not run: the time limit of {self.config.submission_timeout:g} s for running "
                "your code was used up"))
        limit = min(timeout, left)
        start = time.monotonic()
        try:
            return self.child.exchange(msg, limit)
        except _Stop as stop:
            return self._stopped(stop.reason, limit, doing)
        finally:
            self.spent += time.monotonic() - start

    def _stopped(self, reason: str, limit: float, doing: str) -> CallResult:
        child = self.child
        out_kb = self.config.max_output_kb
        finished = child.finish()
        self.child = None
        self.restarts += 1
        status = finished.get("status", {})
        if reason == "timeout":
            budget = limit < self.config.call_timeout and self._budget_left() <= 0.01
            text = (f"timed out {doing}: no result after {limit:.3g} s" +
                    (" (the submission's total time limit)" if budget else ""))
            return CallResult(False, kind="timeout", message=text)
        if reason == "output":
            return CallResult(False, kind="output", message=(
                f"stopped {doing}: it printed more than {out_kb} KB of output"))
        if reason == "protocol":
            return self._violation(doing)
        # EOF: the child ended (or closed the grader's channel) without answering.
        if "signal" in status:
            sig = status["signal"]
            text = _SIGNALS.get(sig)
            if text is None:
                name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
                text = (f"was killed by {name}" +
                        (" (out of memory or CPU time?)" if sig == signal.SIGKILL else ""))
            return CallResult(False, kind="crash", message=f"your code {text} {doing}")
        if "exited" in status:
            return CallResult(False, kind="ended", type="", message=(
                f"your code ended its process (exit status {status['exited']}, e.g. os._exit()) "
                f"{doing}, without returning"), where="")
        return CallResult(False, kind="crash", message=f"your code stopped responding {doing}")

    def _violation(self, doing: str = "") -> CallResult:
        if self.child is not None:
            self.child.finish()
            self.child = None
            self.restarts += 1
        where = f" {doing}" if doing else ""
        return CallResult(False, kind="protocol", message=(
            f"stopped{where}: your code wrote invalid data to the grader's channel"))

    def _failure(self, error: Any, doing: str) -> CallResult:
        if type(error) is not dict or not all(type(error.get(k, "")) is str
                                              for k in ("kind", "type", "message", "where")):
            return self._violation(doing)
        kind = error.get("kind", "exception")
        if kind not in ("exception", "exit", "bad_return", "missing"):
            kind = "exception"
        return CallResult(False, kind=kind, type=error.get("type", "")[:80],
                          message=error.get("message", "")[:500], where=error.get("where", "")[:300])

    def _result(self, reply: dict, doing: str) -> CallResult:
        if reply.get("ok") is True and "value" in reply:
            try:
                return CallResult(True, value=protocol.decode_value(reply["value"]))
            except protocol.ProtocolError:
                return self._violation(doing)
        if reply.get("ok") is False:
            return self._failure(reply.get("error"), doing)
        return self._violation(doing)

    def _stop_child(self) -> None:
        if self.child is not None:
            self.child.finish()
            self.child = None
            self.imported = set()


# ---------------------------------------------------------------------- helpers


def _chmod_hide(path: str, session: SandboxSession) -> None:
    """Root without a mount namespace: take 'other' permissions off a folder to hide it."""
    try:
        st = os.stat(path)
        if st.st_mode & 0o007:
            os.chmod(path, st.st_mode & ~0o007)
            session._warn(f"no mount namespace: removed other users' access to {path}")
    except OSError as exc:
        session._warn(f"could not hide {path}: {exc}")


def _safe_file_name(name: str, taken: dict) -> str:
    base = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(name).name).lstrip(".")
    if not base.endswith(".py"):
        base += ".py"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[:-3]}_{n}.py"
    return candidate


def _module_name(file: str, taken) -> str:
    stem = file[:-3]
    ok = (stem.isidentifier() and not keyword.iskeyword(stem) and not stem.startswith("_")
          and stem not in sys.stdlib_module_names and stem not in ("numpy", "yaml", "grader"))
    name = stem if ok else "submission"
    candidate, n = name, 1
    while candidate in set(taken):
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def get_session(submission: Any, hide: list | tuple = ()) -> SandboxSession:
    """The submission's session (created on first use, closed by ``Submission.close()``)."""
    session = submission.runtime
    if not isinstance(session, SandboxSession) or session.closed:
        session = SandboxSession(hide=hide)
        submission.runtime = session
    else:
        session.add_hidden(list(hide))
    for path in submission.python_files:
        if str(path) not in session.sources:
            session.sources.add(str(path))
            try:
                session.add_file(Path(path))
            except (OSError, ValueError):
                pass  # the loader reports unreadable files; a code part then finds nothing
    return session
