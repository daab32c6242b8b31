"""Loading the instructor's `solver.py` and calling its functions with the spec's parameters.

Solvers are trusted code and run in the grader's process. Their results are converted to plain
data (numpy arrays to nested lists) so answer types see one kind of value, whoever made it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib.util
import inspect
import pickle
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


def solver_digest(source: bytes) -> str:
    """The content key of a solver.py: results computed by one text are never used for another."""
    return hashlib.sha256(source).hexdigest()


def read_solver(folder: Path) -> bytes | None:
    """solver.py's bytes, or None when the problem has no solver."""
    try:
        return (Path(folder) / "solver.py").read_bytes()
    except FileNotFoundError:
        return None


def exec_solver(path: Path, source: bytes, name: str) -> ModuleType:
    """Run solver.py's text (the bytes that were hashed, so module and hash always agree) as a
    module named `name`, registered in sys.modules (dataclasses and pickle look modules up
    there). Compiled from the source every time: no stale bytecode, no __pycache__ in the problem."""
    spec = importlib.util.spec_from_loader(name, loader=None, origin=str(path))
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(compile(source, str(path), "exec", dont_inherit=True), module.__dict__)  # noqa: S102 - trusted
    except Exception as exc:  # the instructor's error: report it with their traceback line
        sys.modules.pop(name, None)
        tb = traceback.extract_tb(exc.__traceback__)
        line = next((f"{path}:{f.lineno}" for f in reversed(tb) if f.filename == str(path)), str(path))
        raise SpecError(f"{line}: solver.py failed to import: {type(exc).__name__}: {exc}") from None
    return module


def module_name(folder: Path, digest: str) -> str:
    """A module name per (folder, content): an edited solver.py is a new module."""
    where = hashlib.sha1(str(Path(folder).resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"_grader_solver_{where}_{digest[:12]}"


def load_solvers(folder: Path) -> ModuleType | None:
    """Import solver.py from its source, as it is now (no cache: a grading session keeps the
    modules it loads, see grader.session). None when the problem has no solver.py."""
    folder = Path(folder)
    source = read_solver(folder)
    if source is None:
        return None
    return exec_solver(folder / "solver.py", source, module_name(folder, solver_digest(source)))


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


MAX_CACHED_CALLS = 20_000
CACHE_FILE = ".reference-cache.json"


class SolverFile:
    """One solver.py as loaded: its module, the hash of its text, and the results of its
    reference calls, shared by every variant and student graded with it. An edited solver.py is
    read into a new SolverFile, so no result of the old text is ever used for the new one."""

    def __init__(self, folder: Path, module: ModuleType | None, digest: str | None):
        self.folder = Path(folder)
        self.module = module
        self.digest = digest
        self.calls: dict[str, Any] = {}  # call key -> plain result
        self.reference_keys: set[str] = set()  # calls made with the reference time limit: persisted
        self.saved: set[str] = set()  # keys already in the persisted file (nothing new: no write)


class Solvers:
    """Calls solver functions with the right keyword arguments, caching results per call."""

    def __init__(self, file: SolverFile, params: dict[str, Any], signatures: IdentityCache | None = None):
        self.file = file
        self.module = file.module
        self.params = params
        self.folder = file.folder
        # Shared by every submission graded with this solver.py: reference answers are computed
        # once per distinct call, not once per student.
        self._cache = file.calls
        self._reference_keys = file.reference_keys
        self._signatures = signatures if signatures is not None else IdentityCache(1000)

    @functools.cached_property
    def params_key(self) -> bytes:
        """The parameters as bytes, a memo key (pickle keeps how numbers were written)."""
        return pickle.dumps(self.params, protocol=5)

    def function(self, name: str):
        """The solver function `name`; a SolverError naming solver.py when there is none."""
        if self.module is None:
            raise SolverError(f"{self.folder / 'solver.py'}: file not found (needed for solver '{name}')")
        fn = getattr(self.module, name, None)
        if not callable(fn):
            raise SolverError(f"{self.folder / 'solver.py'}: no function '{name}'")
        return fn

    def call(self, name: str, args: dict[str, Any] | None = None, key: Any = None,
             seconds: float = SOLVER_SECONDS) -> Any:
        """`name(**params it accepts, **args)`, entry `key` of its dict result, as plain data;
        cached per distinct call (a class needs each reference once). Calls given the full
        SOLVER_SECONDS are reference calls, which the reference cache keeps on disk."""
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
            sig = self._signatures.get(fn)
            if sig is None:  # a part's mistakes call their solvers for every wrong answer
                sig = self._signatures.put(fn, inspect.signature(fn))
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
