"""One grading session: every cache grading keeps, in one object that is passed explicitly.

A class repeats answers and every student of a problem needs the same reference answers, so
grading memoizes a lot. All of it lives here, in a :class:`GradingSession` that the caller
creates (the CLI one per command, a batch one per class and its forked workers, a marking
server or watch mode one for as long as it runs). Nothing is kept at module level.

Every key is a content fingerprint, never a file path alone: a part is known by its spec
content (with the parts it uses and its problem's solver.py hash), a solver by the hash of its
text, a variant by its parameters. A problem loaded again after its problem.yaml or solver.py
was edited therefore gets new keys, and never an old grade.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.expr.memo import ExprCache
from grader.identity_cache import IdentityCache
from grader.solvers import SolverFile, Solvers, exec_solver, module_name, read_solver, solver_digest

MAX_MEMO = 50_000  # entries per memo; a memo that fills up is cleared


class Memo(dict):
    """A dict cleared when it is full: a bound on memory, never a wrong answer."""

    def __init__(self, limit: int = MAX_MEMO):
        super().__init__()
        self.limit = limit

    def put(self, key: Any, value: Any) -> Any:
        """Store and return ``value``, clearing the memo first when it is full."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


@dataclass(frozen=True)
class ProblemKeys:
    """What the session knows of one loaded Problem object: its solver and its parts' keys."""

    solver: SolverFile
    parts: dict[str, bytes]  # part id -> fingerprint of its content (see GradingSession.keys)


class GradingSession:
    """The caches of grading, for as long as the caller keeps the session.

    `persist`: write the reference solvers' results to disk when grading computed new ones
    (see grader.reference_cache), so the next cold start does not recompute them."""

    def __init__(self, *, persist: bool = False):
        self.persist = persist
        # engine: graded answers (raw, and as read), reference answers, anticipated mistakes
        self.results = Memo()
        self.by_value = Memo()
        self.reference_data = Memo()
        self.references = Memo()
        self.rubrics = Memo()  # part -> its rubric items, shared by its results
        self.expected = Memo()  # (part, variant, concealed) -> its reference answer, canonical
        self.mistakes = Memo()
        self.plans = IdentityCache(64)  # Problem object -> the engine's plan (and References, one variant)
        self.signatures = IdentityCache(1000)  # solver function -> inspect.signature
        self.report_texts = IdentityCache(50_000)  # PartResult -> its text in a report file (json_report)
        self.expr = ExprCache()  # symbol tables and matrix spaces, with their memos
        self._keys = IdentityCache(64)  # Problem object -> ProblemKeys
        self._solvers: dict[tuple[str, str | None], SolverFile] = {}  # (real folder, sha256) -> file
        self._modules: list[str] = []  # names this session put in sys.modules

    # ---------------------------------------------------------------- problems and solvers

    def keys(self, problem) -> ProblemKeys:
        """The solver and part fingerprints of a loaded problem. solver.py is read (and hashed)
        the first time the session meets this Problem object: load the problem again to grade
        with an edited spec or solver."""
        found = self._keys.get(problem)
        if found is not None:
            return found
        solver = self.solver_file(problem.folder)
        if getattr(problem, "tables", None) is not None:
            self.expr.adopt(problem.tables)
        from grader.spec import order_by_uses

        parts: dict[str, bytes] = {}
        for part in order_by_uses(problem.parts):
            used = [parts.get(other, b"") for other in part.uses.values()]
            content = pickle.dumps((problem.spec_source, problem.id, solver.digest, part, used), protocol=5)
            parts[part.id] = hashlib.sha256(content).digest()
        return self._keys.put(problem, ProblemKeys(solver, parts), hold=(problem,))

    def solver_file(self, folder: Path) -> SolverFile:
        """solver.py of `folder` as it is now, loaded once per distinct text."""
        folder = Path(folder)
        source = read_solver(folder)
        digest = solver_digest(source) if source is not None else None
        key = (str(folder.resolve()), digest)
        found = self._solvers.get(key)
        if found is not None:
            return found
        module = None
        if source is not None:
            name = module_name(folder, digest)
            module = exec_solver(folder / "solver.py", source, name)
            self._modules.append(name)
        file = SolverFile(folder, module, digest)
        from grader import reference_cache

        reference_cache.load(file)
        self._solvers[key] = file
        return file

    def solvers(self, problem, params: dict[str, Any]) -> Solvers:
        """The problem's solvers called with one variant's parameters."""
        return Solvers(self.keys(problem).solver, params, self.signatures)

    # ---------------------------------------------------------------- the end of a run

    def save_reference_cache(self) -> list[Path]:
        """Persist what reference solvers computed in this session (only when `persist`)."""
        if not self.persist:
            return []
        from grader import reference_cache

        written = []
        for file in self._solvers.values():
            path = reference_cache.save(file)
            if path is not None:
                written.append(path)
        return written

    def close(self) -> None:
        """Persist the reference cache (when asked to) and drop the solver modules this session
        registered in sys.modules."""
        self.save_reference_cache()
        for name in self._modules:
            sys.modules.pop(name, None)
        self._modules.clear()

    def __enter__(self) -> "GradingSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
