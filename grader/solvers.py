"""Loading the instructor's `solver.py` and calling its functions with the spec's parameters.

Solvers are trusted code and run in the grader's process. Their results are converted to plain
data (numpy arrays to nested lists) so answer types see one kind of value, whoever made it.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.machinery
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.errors import SpecError
from grader.identity_cache import IdentityCache
from grader.numbers import to_plain  # noqa: F401 - also imported from here by the engine
from grader.timelimit import TimeLimit, time_limit

SOLVER_SECONDS = 60.0  # a reference solver (trusted, runs once per variant)
STUDENT_VALUE_SECONDS = 5.0  # a trusted function fed a student's value (transform, carry forward)


class SolverError(Exception):
    """A solver function is missing or raised: the spec's fault, never the student's."""


class Rejected(Exception):
    """A trusted transform refused a student's value; the message is for the student."""


class _FreshSourceLoader(importlib.machinery.SourceFileLoader):
    """Compiles from the source every time: no stale bytecode, no __pycache__ in the problem."""

    def get_code(self, fullname):
        return compile(self.get_data(self.path), self.path, "exec", dont_inherit=True)


def load_solvers(folder: Path) -> ModuleType | None:
    """Import solver.py from its source (never a cached .pyc: an edit within the same second
    and of the same size must not be missed, and the problem folder gets no __pycache__)."""
    name = f"_grader_solver_{hashlib.sha1(_folder_key(folder).encode()).hexdigest()[:12]}"
    if name in sys.modules:  # once per student in a batch: no file-system calls
        return sys.modules[name]
    path = folder / "solver.py"
    if not path.exists():
        return None
    loader = _FreshSourceLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except Exception as exc:  # the instructor's error: report it with their traceback line
        del sys.modules[name]
        tb = traceback.extract_tb(exc.__traceback__)
        line = next((f"{path}:{f.lineno}" for f in reversed(tb) if f.filename == str(path)), str(path))
        raise SpecError(f"{line}: solver.py failed to import: {type(exc).__name__}: {exc}") from None
    return module


def _folder_key(folder: Path) -> str:
    """The folder's real path, resolved once per spelling (students of a class share it)."""
    key = _RESOLVED.get(str(folder))
    if key is None:
        key = _RESOLVED[str(folder)] = str(folder.resolve())
    return key


_RESOLVED: dict[str, str] = {}


def student_seed(problem_id: str, student_id: str | None) -> int:
    """The same student always gets the same variant, across machines and runs."""
    text = f"{problem_id}\0{student_id or ''}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8], "big")


def resolve_params(params: dict[str, Any], problem_id: str, student_id: str | None) -> dict[str, Any]:
    """Literal params as they are; draws seeded per student (``default`` without a student)."""
    import numpy as np

    out: dict[str, Any] = {}
    for name in sorted(params):
        spec = params[name]
        if not (isinstance(spec, dict) and "draw" in spec):
            out[name] = spec
            continue
        if student_id is None and "default" in spec:
            out[name] = spec["default"]
            continue
        rng = np.random.default_rng(student_seed(f"{problem_id}/{name}", student_id))
        out[name] = draw(spec, rng)
    return out


def draw(spec: dict[str, Any], rng) -> Any:
    """One seeded draw from a `{draw: ...}` spec (shared with code parts' generated cases)."""
    kind = spec["draw"]
    if kind == "randint":
        value: Any = int(rng.integers(int(spec["low"]), int(spec["high"]) + 1))
    elif kind == "uniform":
        value = float(rng.uniform(spec["low"], spec["high"]))
    elif kind == "choice":
        options = spec["options"]
        value = options[int(rng.integers(0, len(options)))]
    elif kind == "normal":
        shape = spec.get("shape")
        value = rng.normal(spec.get("mean", 0.0), spec.get("std", 1.0), size=tuple(shape) if shape else None)
    else:
        raise SpecError(f"unknown draw '{kind}'")
    if "round" in spec:
        import numpy as np

        value = np.round(value, int(spec["round"]))
    return to_plain(value)


_SHARED_CACHE: dict[str, dict[str, Any]] = {}
_SIGNATURES = IdentityCache(1000)
_REFERENCE_KEYS: dict[str, set] = {}  # per folder: cache keys of reference calls (persisted)
MAX_CACHED_CALLS = 20_000
CACHE_FILE = ".reference-cache.json"


def _solver_digest(folder: Path) -> str | None:
    try:
        return hashlib.sha256((folder / "solver.py").read_bytes()).hexdigest()
    except OSError:
        return None


def _load_persisted(folder: Path, cache: dict[str, Any]) -> None:
    """Reference answers written by `grader validate` for this exact solver.py (see save)."""
    import json

    path = folder / CACHE_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(doc, dict) or doc.get("solver_sha256") != _solver_digest(folder):
        return
    entries = doc.get("calls")
    if isinstance(entries, dict):
        cache.update(entries)


def save_reference_cache(folder: Path) -> Path | None:
    """Persist this process's reference solver results, so a cold `grader grade` (one student on
    Gradescope) does not recompute them. Keyed by solver.py's hash and each call's arguments."""
    import json

    folder = Path(folder)
    key = str(folder.resolve())
    cache = _SHARED_CACHE.get(key, {})
    calls = {}
    for name in sorted(_REFERENCE_KEYS.get(key, ())):
        if name not in cache:
            continue
        try:
            text = json.dumps(cache[name], allow_nan=False)
        except (TypeError, ValueError):
            continue
        if json.loads(text) == cache[name]:  # only values that survive the round trip exactly
            calls[name] = cache[name]
    digest = _solver_digest(folder)
    if not calls or digest is None:
        return None
    path = folder / CACHE_FILE
    try:
        path.write_text(json.dumps({"solver_sha256": digest, "calls": calls}, sort_keys=True,
                                   allow_nan=False) + "\n", encoding="utf-8")
    except OSError:
        return None
    return path


class Solvers:
    """Calls solver functions with the right keyword arguments, caching results per call."""

    def __init__(self, module: ModuleType | None, params: dict[str, Any], folder: Path):
        self.module = module
        self.params = params
        self.params_key: str | None = None  # canonical text of params, for the engine's memo
        self.folder = folder
        # Shared by every submission graded in this process: reference answers are computed
        # once per distinct call, not once per student.
        key = _folder_key(folder)
        if key not in _SHARED_CACHE:
            _SHARED_CACHE[key] = {}
            _load_persisted(folder, _SHARED_CACHE[key])
        self._cache: dict[str, Any] = _SHARED_CACHE[key]
        self._reference_keys = _REFERENCE_KEYS.setdefault(key, set())

    def function(self, name: str):
        if self.module is None:
            raise SolverError(f"{self.folder / 'solver.py'}: file not found (needed for solver '{name}')")
        fn = getattr(self.module, name, None)
        if not callable(fn):
            raise SolverError(f"{self.folder / 'solver.py'}: no function '{name}'")
        return fn

    def call(self, name: str, args: dict[str, Any] | None = None, key: Any = None,
             seconds: float = SOLVER_SECONDS) -> Any:
        fn = self.function(name)
        kwargs = self._kwargs(fn, args or {})
        cache_key = repr((name, sorted(kwargs.items(), key=lambda kv: kv[0])))
        if cache_key not in self._cache:
            try:
                with time_limit(seconds):  # a copy: a solver that mutates its arguments
                    value = to_plain(fn(**copy.deepcopy(kwargs)))  # must not alter shared params
                if len(self._cache) >= MAX_CACHED_CALLS:
                    self._cache.clear()
                self._cache[cache_key] = value
            except Exception as exc:
                tb = traceback.extract_tb(exc.__traceback__)
                where = next((f"solver.py:{f.lineno}" for f in reversed(tb)
                              if f.filename.endswith("solver.py")), "solver.py")
                raise SolverError(f"{where}: {name}() raised {type(exc).__name__}: {exc}") from None
        if seconds >= SOLVER_SECONDS:  # a reference call, not one fed a student's value: persist
            self._reference_keys.add(cache_key)
        result = self._cache[cache_key]
        if key is not None:
            if not isinstance(result, dict) or key not in result:
                have = ", ".join(map(str, result)) if isinstance(result, dict) else type(result).__name__
                raise SolverError(f"solver.py: {name}() has no entry '{key}' (it returned: {have})")
            result = result[key]
        return result

    def call_with(self, name: str, value: Any, args: dict[str, Any] | None = None) -> Any:
        """Call `name(value, **args)` uncached: a trusted transform of a student's plain data."""
        fn = self.function(name)
        try:
            with time_limit(STUDENT_VALUE_SECONDS):
                return to_plain(fn(value, **(args or {})))
        except TimeLimit:
            raise Rejected("your answer took too long to check") from None
        except Exception as exc:
            raise Rejected(str(exc) or type(exc).__name__) from None

    def _kwargs(self, fn, args: dict[str, Any]) -> dict[str, Any]:
        try:
            sig = _SIGNATURES.get(fn)
            if sig is None:  # a part's mistakes call their solvers for every wrong answer
                sig = _SIGNATURES.put(fn, inspect.signature(fn))
        except (TypeError, ValueError):
            return {**self.params, **args}
        accepts_any = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
        names = set(sig.parameters)
        kwargs = {k: v for k, v in self.params.items() if accepts_any or k in names}
        kwargs.update(args)
        unknown = [k for k in args if not accepts_any and k not in names]
        if unknown:
            raise SolverError(f"solver.py: {fn.__name__}() takes no argument(s) {', '.join(unknown)} "
                              f"(its signature: {fn.__name__}{sig})")
        missing = [p.name for p in sig.parameters.values()
                   if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                   and p.name not in kwargs]
        if missing:
            raise SolverError(f"solver.py: {fn.__name__}() needs {', '.join(missing)}: "
                              f"give them in params or answer.args")
        return kwargs
