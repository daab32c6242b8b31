"""What runs inside the sandbox: set up isolation, then import modules and call functions.

Everything up to :func:`_serve` runs as the fork server's trusted code (as root when the
grader is root). Once the student's module is imported nothing in this process can be
trusted: it may patch this very module. That is fine, because the grader re-validates every
byte it reads from the child and does all comparisons itself.
"""

from __future__ import annotations

import fcntl
import importlib.util
import linecache
import os
import signal
import sys
import traceback
from typing import Any

from grader.sandbox import limits, namespaces, protocol, userns, users

# Bound here, before student code runs, so a student patching builtins cannot break the loop.
from builtins import (BaseException, SyntaxError, SystemExit, callable, dict, getattr,  # noqa: E402
                      isinstance, len, list, repr, sorted, str, type, vars)

REQ_FD, RESP_FD = 0, 3
NET_FD, MNT_FD = 4, 5  # the fork server's prepared namespaces, until entered (nspool.py)


def child_main(spawn: dict, fds: list[int], server_pid: int) -> None:
    """Entry point right after fork(); never returns."""
    fds_ready = False
    try:
        _setup_fds(fds, [spawn.get("net_fd", -1), spawn.get("mnt_fd", -1)])
        fds_ready = True
        _run(spawn, server_pid)
    except BaseException as exc:  # setup failed: say so on the response pipe if we can
        try:
            if fds_ready:
                _write(protocol.frame({"ready": False, "error": f"{type(exc).__name__}: {exc}"}))
        finally:
            os._exit(70)
    os._exit(0)


def _setup_fds(fds: list[int], ns_fds: list[int]) -> None:
    os.setsid()
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]
    ns_high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) if fd >= 0 else -1 for fd in ns_fds]
    req, resp, out = high
    os.dup2(req, REQ_FD)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.dup2(resp, RESP_FD)
    for fd, target in zip(ns_high, (NET_FD, MNT_FD)):
        if fd >= 0:
            os.dup2(fd, target)  # kept until isolation has entered it (nspool.py)
    if any(fd >= 0 for fd in ns_high):
        for fd, target in zip(ns_high, (NET_FD, MNT_FD)):
            if fd < 0:
                try:
                    os.close(target)
                except OSError:
                    pass
        os.closerange(MNT_FD + 1, 1 << 16)
    else:
        os.closerange(4, 1 << 16)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)


def _run(spawn: dict, server_pid: int) -> None:
    config = limits.SandboxConfig.from_data(spawn["config"])
    drop = spawn["drop"]
    uid, gid = users.sandbox_ids(config.user, spawn.get("uid")) if drop else (-1, -1)
    own_uid = drop and config.user is None
    scratch = spawn["scratch"]
    done: set = set()
    warnings: list[str] = []
    if drop:
        runtime = namespaces.runtime_paths()
        net_fd = NET_FD if spawn.get("net_fd", -1) >= 0 else -1
        mnt_fd = MNT_FD if spawn.get("mnt_fd", -1) >= 0 else -1
        try:
            done, warnings = namespaces.isolate(config.network, config.hide_paths, 64, runtime,
                                                scratch, net_fd, mnt_fd)
        finally:
            for fd in (net_fd, mnt_fd):
                if fd >= 0:
                    os.close(fd)
        if mnt_fd >= 0:
            warnings = list(spawn.get("ns_warnings") or []) + warnings
    elif spawn.get("userns"):
        done, warnings = _isolate_unprivileged(config, scratch, server_pid)
    reader = protocol.FrameReader(config.max_message_mb * 1024 * 1024)
    setup = _read(reader)
    if setup is None or setup.get("op") != "setup":
        os._exit(0)
    os.makedirs(scratch, mode=0o700, exist_ok=True)
    for name, text in setup["files"].items():
        path = os.path.join(scratch, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        if drop:
            os.chown(path, uid, gid)
    if drop:
        os.chown(scratch, uid, gid)
    os.chdir(scratch)
    if drop:
        users.drop_privileges(uid, gid)
        if own_uid:  # leftovers of a fork server that died holding this uid: kill(-1) spares us
            for _ in range(3):  # one pass dooms them all (see users.kill_uid)
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
    namespaces.prctl(namespaces.PR_SET_NO_NEW_PRIVS, 1)
    namespaces.prctl(namespaces.PR_SET_PDEATHSIG, signal.SIGKILL)
    if "pidns" not in done and os.getppid() != server_pid:  # pid 1 of its own: getppid() is 0
        os._exit(71)
    warnings += limits.apply_rlimits(config, own_uid or "pidns" in done)
    _sanitize(scratch)
    _write(protocol.frame({"ready": True, "uid": os.getuid(), "isolation": sorted(done),
                           "warnings": warnings}))
    _serve(reader, scratch)


def _isolate_unprivileged(config: limits.SandboxConfig, scratch: str,
                          server_pid: int) -> tuple[set, list[str]]:
    """Not root: the same isolation inside a user namespace (see userns.py). Returns in the
    student's process, pid 1 of a new PID namespace, with every capability dropped."""
    runtime = namespaces.runtime_paths()
    try:
        userns.enter()
    except OSError as exc:
        return set(), [(f"no user namespace ({exc.strerror or exc}): student code runs as the "
                        "grader's own user, so it can read the problem folder and signal the grader")]
    done, warnings = {"userns"}, []
    namespaces.prctl(namespaces.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != server_pid:
        os._exit(71)
    try:
        userns.fork_init()  # from here on: the student's process, pid 1 of its namespace
        done.add("pidns")
        os.setsid()  # out of the keeper's process group: kill(0) reaches nothing outside
    except OSError as exc:
        warnings.append(f"no PID namespace ({exc.strerror or exc}): student code can signal "
                        "the grader")
    more, warned = namespaces.isolate(config.network, config.hide_paths, 64, runtime, scratch,
                                      host_proc="pidns" not in done)
    done |= more
    warnings += warned
    if "pidns" in done and not os.path.exists("/proc/self/status"):
        warnings.append("no /proc for student code (proc could not be mounted)")
    userns.drop_capabilities()  # raises: then the setup fails rather than run with them
    return done, warnings


BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_PREPARED: dict = {}


def _prefixes() -> tuple:
    return tuple({sys.base_prefix, sys.prefix, sys.exec_prefix})


def _editable(finder) -> bool:
    return "__editable__" in (getattr(finder, "__module__", "") or "")


def prepare_server() -> None:
    """The part of _sanitize that is the same for every child, done once in the fork server.

    Done in each child it costs about 1.5 ms, mostly copy-on-write faults: walking the
    environment, sys.modules and the importer cache touches (reference counts) hundreds of
    pages inherited from the server. The fork server needs none of it: it imported all it
    uses, and the checkout is already off its sys.path.
    """
    os.environ.clear()
    os.environ.update(BASE_ENV)
    sys.path[:] = [p for p in sys.path if p and p.startswith(_prefixes())]
    sys.meta_path[:] = [f for f in sys.meta_path if not _editable(f)]
    sys.path_importer_cache.clear()
    _PREPARED["grader"] = [m for m in sys.modules if m == "grader" or m.startswith("grader.")]
    _PREPARED["modules"] = len(sys.modules)


def _sanitize(scratch: str) -> None:
    """Only the scratch folder, the standard library and site-packages stay importable.

    Whatever prepare_server did is only checked here (and redone if anything changed since).
    """
    if len(os.environ) != len(BASE_ENV) or any(os.environ.get(k) != v for k, v in BASE_ENV.items()):
        os.environ.clear()
        os.environ.update(BASE_ENV)
    os.environ["HOME"] = os.environ["TMPDIR"] = scratch
    prefixes = _prefixes()
    sys.path[:] = [scratch] + [p for p in sys.path if p and p.startswith(prefixes)]
    grader = _PREPARED.get("grader")
    if grader is None or len(sys.modules) != _PREPARED["modules"]:
        grader = [m for m in sys.modules if m == "grader" or m.startswith("grader.")]
    for name in grader:
        sys.modules.pop(name, None)
    # An editable install maps `grader` to the checkout through a finder of its own.
    sys.meta_path[:] = [f for f in sys.meta_path if not _editable(f)]
    sys.path_importer_cache.clear()
    sys.argv[:] = ["submission"]
    sys.dont_write_bytecode = True


def _read(reader: protocol.FrameReader) -> Any:
    while True:
        msg = reader.pop()
        if msg is not None:
            return msg
        data = os.read(REQ_FD, 1 << 16)
        if not data:
            return None
        reader.feed(data)


def _write(data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(RESP_FD, view)
        view = view[n:]


def _serve(reader: protocol.FrameReader, scratch: str) -> None:
    import numpy as np

    import builtins

    encode = protocol.make_encoder(np)
    limit = reader.limit
    saved_builtins = dict(vars(builtins))
    modules: dict[str, Any] = {}
    frame, write, read = protocol.frame, _write, _read
    while True:
        msg = read(reader)
        if msg is None:
            os._exit(0)
        try:
            vars(builtins).update(saved_builtins)  # undo patches before our own code runs
            if msg.get("op") == "import":
                reply = _import(msg, modules, scratch, encode, builtins, saved_builtins)
            else:
                reply = _call(msg, modules, scratch, encode, np, builtins, saved_builtins)
            vars(builtins).update(saved_builtins)
            data = frame({**reply, "seq": msg.get("seq")})
        except BaseException as exc:  # noqa: BLE001 - e.g. a RecursionError while encoding
            try:
                vars(builtins).update(saved_builtins)
                error = _error(exc, scratch, kind="bad_return")
            except BaseException:  # noqa: BLE001
                error = {"kind": "bad_return", "type": "", "where": "",
                         "message": "the result could not be sent back"}
            data = frame({"ok": False, "seq": msg.get("seq"), "error": error})
        if len(data) > limit:
            data = frame({"ok": False, "seq": msg.get("seq"), "error": {
                "kind": "bad_return", "type": "", "where": "",
                "message": f"the returned value is too large ({len(data)} bytes as JSON)"}})
        _flush()
        write(data)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - the student may have replaced it
            pass


def _import(msg: dict, modules: dict, scratch: str, encode, builtins, saved: dict) -> dict:
    name, filename = msg["module"], msg["file"]
    try:
        spec = importlib.util.spec_from_file_location(name, os.path.join(scratch, filename))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001 - SystemExit included: reported, not obeyed
        vars(builtins).update(saved)
        sys.modules.pop(name, None)
        return {"ok": False, "error": _error(exc, scratch)}
    vars(builtins).update(saved)
    modules[name] = module
    reply: dict = {"ok": True, "functions": [], "answers": None, "answers_error": None,
                   "has_answers": False}
    try:
        names = [k for k, v in vars(module).items()
                 if type(k) is str and not k.startswith("_") and callable(v)]
        reply["functions"] = names[:500]
        if "ANSWERS" in vars(module):
            reply["has_answers"] = True
            answers = vars(module)["ANSWERS"]
            if type(answers) is not dict:
                reply["answers_error"] = (f"ANSWERS must be a dict mapping part ids to values, "
                                          f"got {type(answers).__name__!s:.60}")
            else:
                reply["answers"] = encode(answers)
    except protocol.EncodeError as exc:
        reply["answers"] = None
        reply["answers_error"] = f"ANSWERS holds {exc}"
    except BaseException as exc:  # noqa: BLE001
        reply["answers"] = None
        reply["answers_error"] = f"ANSWERS could not be read: {type(exc).__name__}"
    return reply


def _call(msg: dict, modules: dict, scratch: str, encode, np, builtins, saved: dict) -> dict:
    module = modules.get(msg["module"])
    if module is None:
        return {"ok": False, "error": {"kind": "missing", "type": "", "where": "",
                                       "message": "module not imported"}}
    fn = getattr(module, msg["function"], None)
    if fn is None or not callable(fn):
        return {"ok": False, "error": {"kind": "missing", "type": "", "where": "",
                                       "message": f"no function {msg['function']}"}}
    args, kwargs = list(msg.get("args") or []), dict(msg.get("kwargs") or {})
    for key in msg.get("numpy_args") or []:
        if isinstance(key, int) and key < len(args):
            args[key] = np.asarray(args[key])
        elif key in kwargs:
            kwargs[key] = np.asarray(kwargs[key])
    try:
        value = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - sys.exit() in a function is reported too
        vars(builtins).update(saved)
        return {"ok": False, "error": _error(exc, scratch)}
    vars(builtins).update(saved)
    try:
        return {"ok": True, "value": encode(value)}
    except protocol.EncodeError as exc:
        return {"ok": False, "error": {"kind": "bad_return", "type": "", "where": "",
                                       "message": f"returned {exc}"}}


def _error(exc: BaseException, scratch: str, kind: str | None = None) -> dict:
    """Type, message and the student's own line: never the grader's frames."""
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001
        message = "<the exception's message could not be printed>"
    name = type(exc).__name__
    where = ""
    if isinstance(exc, SyntaxError) and str(exc.filename or "").startswith(scratch):
        where = f"{os.path.basename(exc.filename)}, line {exc.lineno}"
        message = str(exc.msg)
        if exc.text:
            where += f": {exc.text.strip()[:120]}"
    else:
        try:
            frames = [f for f in traceback.extract_tb(exc.__traceback__)
                      if str(f.filename).startswith(scratch)]
        except BaseException:  # noqa: BLE001
            frames = []
        if frames:
            f = frames[-1]
            line = (f.line or linecache.getline(f.filename, f.lineno) or "").strip()
            where = f"{os.path.basename(f.filename)}, line {f.lineno}, in {f.name}"
            if line:
                where += f": {line[:120]}"
    if kind is None:
        kind = "exit" if isinstance(exc, SystemExit) else "exception"
    if isinstance(exc, SystemExit):
        message = repr(exc.code)[:100] if not isinstance(exc.code, str) else exc.code
    return {"kind": kind, "type": name[:80], "message": message[:500], "where": where[:300]}
