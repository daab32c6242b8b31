"""Code parts: call the student's function in the sandbox on test cases, compare with the solver.

The reference function (trusted) runs here; the student's runs in the submission's sandbox
session. Each case's result is compared by an ordinary answer type (number, array, shape...)
in this process, so nothing the student's code does can decide its own verdict. Visible cases
run before hidden ones, and feedback never shows a hidden case's arguments, result or error.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from grader.types.base import AnswerType, Invalid, Option, PartContext, Verdict, register, short

CASE_KEYS = {"args", "kwargs", "weight", "hidden", "expected", "name"}
GENERATE_KEYS = {"count", "args", "hidden", "weight", "per_student"}
DRAWS = {"randint", "uniform", "choice", "normal", "list", "tuple"}
MAX_CASES = 500


@dataclass
class Case:
    """One call of the student's function: arguments, weight, whether it is hidden, and the
    expected result when the spec gives it (else the reference solver computes it)."""
    args: list
    kwargs: dict
    weight: float = 1.0
    hidden: bool = False
    expected: Any = None
    has_expected: bool = False


@register
class Code(AnswerType):
    """A Python function the student writes, run in the sandbox on the spec's cases and compared
    by another answer type (``compare``); graded from the whole submission."""
    name = "code"
    whole_submission = True
    runs_student_code = True
    sheet = "function"
    summary = "a Python function in your .py submission"
    options = {
        "function": Option("string", None, "name of the function the student must define"),
        "args": Option("list", None, "its argument names, for messages and the signature shown"),
        "cases": Option("list", None, "[{args: [...] | kwargs: {...}, weight, hidden, expected}]"),
        "generate": Option("mapping", None, "{count, args: {name: draw}, hidden, weight}: "
                                            "random cases, the same for everyone unless per_student: true"),
        "compare": Option("mapping", {"type": "number"},
                          "{type: number|array|shape|set|text|..., <that type's options>}"),
        "timeout": Option("number", 5.0, "wall-clock seconds per call", minimum=0.01),
        "numpy_args": Option("list", None, "argument names (or positions) passed as numpy arrays"),
    }

    # ------------------------------------------------------------------ spec

    def check_spec(self, ctx: PartContext) -> list[str]:
        """A code part needs a ``function`` name, at least one case, and a valid comparison of return values."""
        problems = []
        fn = ctx.opt("function")
        if not isinstance(fn, str) or not fn.isidentifier():
            problems.append(f"part {ctx.part_id}: code parts need `function:` naming a Python function")
        try:
            cases = self._cases(ctx)
            if not cases:
                problems.append(f"part {ctx.part_id}: give `cases:` or `generate:` (no test case)")
        except ValueError as exc:
            problems.append(f"part {ctx.part_id}: {exc}")
        try:
            self._compare(ctx)
        except ValueError as exc:
            problems.append(f"part {ctx.part_id}: {exc}")
        return problems

    def describe(self, ctx: PartContext) -> str:
        """The function's signature and up to five public cases, so students know what will be called."""
        text = f"a function {self._signature(ctx)} in your .py file"
        try:
            public = [c for c in self._cases(ctx) if not c.hidden and not ctx.hidden]
        except ValueError:
            public = []
        if public:
            shown = "; ".join(self._call_text(ctx, c) + (f" -> {short(json.dumps(c.expected), 60)}"
                                                          if c.has_expected else "")
                              for c in public[:5])
            text += f" (public cases: {shown})"
        return text

    def parse(self, raw: Any, ctx: PartContext) -> Any:
        """Always Invalid: code parts have no answer value, they are graded by :meth:`grade_submission`."""
        raise Invalid(f"part {ctx.part_id} is graded by running your function "
                      f"{self._signature(ctx)}: define it in a .py file")

    # ------------------------------------------------------------------ grading

    def grade_submission(self, submission: Any, ctx: PartContext) -> Verdict:
        """Run the student's function on every case in the sandbox (spec and solver folders hidden from it)
        for credit weighted by case; hidden cases are counted, never shown."""
        from grader.sandbox.session import InternalError, get_session

        fn = ctx.opt("function")
        sig = self._signature(ctx)
        if not submission.python_files:
            return Verdict(0.0, f"part {ctx.part_id} needs a function {sig} in a .py file; "
                                "none was submitted")
        cases = self._cases(ctx)
        ctype, sub_options = self._compare(ctx)
        hide = [os.path.dirname(os.path.abspath(ctx.source))] if ctx.source else []
        solver_file = getattr(ctx.solvers, "__file__", None)
        if solver_file:
            hide.append(os.path.dirname(os.path.abspath(solver_file)))
        try:
            session = get_session(submission, hide=hide)
            file = session.find_function(fn)
        except InternalError as exc:
            return Verdict(0.0, f"part {ctx.part_id}: the grader could not run your code "
                                f"(not your fault, please report it): {exc}")
        if file is None:
            return Verdict(0.0, self._not_found(session, sig))
        reference = self._reference(ctx)
        timeout = float(ctx.opt("timeout") or 5.0)
        numpy_args = self._numpy_positions(ctx)
        total = sum(c.weight for c in cases) or 1.0
        earned = 0.0
        first_fail = None
        failed_visible = failed_hidden = 0
        n_hidden = sum(1 for c in cases if c.hidden or ctx.hidden)
        stop: str | None = None
        for case in cases:
            hidden = case.hidden or ctx.hidden
            sub = PartContext(part_id=ctx.part_id, options=sub_options, source=ctx.source,
                              solvers=ctx.solvers, params=ctx.params, seed=ctx.seed, hidden=hidden,
                              expr_cache=ctx.expr_cache)
            expected = self._expected(reference, case, ctype, sub, ctx)
            if stop is None:
                try:
                    result = session.call(file, fn, case.args, case.kwargs, timeout, numpy_args)
                except InternalError as exc:
                    return Verdict(0.0, f"part {ctx.part_id}: the grader could not run your code "
                                        f"(not your fault, please report it): {exc}")
                if result.kind == "budget":
                    stop = result.message
            fraction, why = (0.0, stop) if stop else self._judge(result, expected, ctype, sub, hidden)
            earned += case.weight * fraction
            if fraction < 1.0:
                if hidden:
                    failed_hidden += 1
                else:
                    failed_visible += 1
                    if first_fail is None:
                        first_fail = f"{self._call_text(ctx, case)}: {why}"
        return Verdict(earned / total, self._summary(cases, n_hidden, failed_visible,
                                                     failed_hidden, first_fail, stop))

    def _judge(self, result, expected, ctype, sub: PartContext, hidden: bool) -> tuple[float, str]:
        if not result.ok:
            return 0.0, result.describe(hidden)
        try:
            got = ctype.parse(result.value, sub)
        except Invalid as exc:
            return 0.0, f"returned {short(_dump(result.value), 80)}, which is not valid here: {exc}"
        except (RecursionError, ValueError, TypeError, OverflowError) as exc:
            return 0.0, f"returned a value that could not be read ({type(exc).__name__})"
        verdict = ctype.compare(got, expected, sub)
        if verdict.fraction >= 1.0:
            return 1.0, ""
        if hidden:
            return max(0.0, verdict.fraction), "wrong result"
        return max(0.0, verdict.fraction), (f"expected {ctype.show(expected, sub)}, "
                                            f"got {ctype.show(got, sub)}")

    def _summary(self, cases, n_hidden, failed_visible, failed_hidden, first_fail, stop) -> str:
        n_visible = len(cases) - n_hidden
        if not failed_visible and not failed_hidden:
            return f"all {len(cases)} test case(s) passed"
        parts = []
        if n_visible:
            parts.append(f"{n_visible - failed_visible} of {n_visible} public case(s) passed"
                         if failed_visible else f"all {n_visible} public case(s) passed")
        if n_hidden:
            parts.append(f"{failed_hidden} of {n_hidden} hidden case(s) failed" if failed_hidden
                         else f"all {n_hidden} hidden case(s) passed")
        text = "; ".join(parts)
        if first_fail:
            text += f". First failing case: {first_fail}"
        elif stop:
            text += f". {stop}"
        return text

    def _not_found(self, session, sig: str) -> str:
        names = ", ".join(session.files) or "your submission"
        for file, result in session.imports.items():
            if not result.ok and result.failure is not None:
                return f"function {sig} could not be checked: {file} {_import_text(result.failure)}"
        return f"function {sig} not found in {names}"

    # ------------------------------------------------------------------ reference side

    def _reference(self, ctx: PartContext):
        from grader.solvers import SolverError

        name = (ctx.answer or {}).get("solver")
        if not name:
            return None
        fn = getattr(ctx.solvers, name, None)
        if not callable(fn):
            raise SolverError(f"solver.py: no function '{name}' (needed by code part {ctx.part_id})")
        return fn

    def _expected(self, reference, case: Case, ctype, sub: PartContext, ctx: PartContext) -> Any:
        import copy

        from grader.numbers import to_plain
        from grader.solvers import SolverError

        if case.has_expected:
            raw = case.expected
        elif reference is None:
            raise SolverError(f"part {ctx.part_id}: a case has no `expected` and the part has "
                              "no answer.solver")
        else:
            try:
                raw = reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
            except Exception as exc:
                raise SolverError(f"solver.py: {reference.__name__}{_args_text(case)} raised "
                                  f"{type(exc).__name__}: {exc}") from None
        try:
            return ctype.expected(to_plain(raw), sub)
        except Invalid as exc:
            raise SolverError(f"part {ctx.part_id}: the reference result is not a valid "
                              f"{ctype.name}: {exc}") from None

    def _compare(self, ctx: PartContext):
        from grader.types import get_type

        spec = ctx.opt("compare") or {"type": "number"}
        if not isinstance(spec, dict) or not isinstance(spec.get("type", "number"), str):
            raise ValueError("compare must be a mapping {type: number|array|..., <options>}")
        name = spec.get("type", "number")
        try:
            ctype = get_type(name)
        except (KeyError, ImportError):
            raise ValueError(f"unknown compare type '{name}'") from None
        if not ctype.judges_value:
            raise ValueError(f"compare type cannot be '{name}'")
        options = {k: o.default for k, o in ctype.options.items()}
        unknown = [k for k in spec if k != "type" and k not in ctype.options]
        if unknown:
            raise ValueError(f"compare: unknown {name} option(s) {', '.join(unknown)} "
                             f"(allowed: {', '.join(sorted(ctype.options))})")
        options.update({k: v for k, v in spec.items() if k != "type"})
        return ctype, options

    # ------------------------------------------------------------------ cases

    def _cases(self, ctx: PartContext) -> list[Case]:
        cases: list[Case] = []
        for i, raw in enumerate(ctx.opt("cases") or []):
            if not isinstance(raw, dict) or set(raw) - CASE_KEYS:
                raise ValueError(f"case #{i + 1} must be a mapping with keys among "
                                 f"{', '.join(sorted(CASE_KEYS))}")
            args, kwargs = raw.get("args", []), raw.get("kwargs", {})
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise ValueError(f"case #{i + 1}: args must be a list and kwargs a mapping")
            cases.append(Case(args, kwargs, float(raw.get("weight", 1.0)), bool(raw.get("hidden", False)),
                              raw.get("expected"), "expected" in raw))
        gen = ctx.opt("generate")
        if gen:
            cases.extend(self._generated(gen, ctx))
        if len(cases) > MAX_CASES:
            raise ValueError(f"{len(cases)} cases; at most {MAX_CASES}")
        # Visible cases first: state a student keeps between calls can never carry a hidden
        # case's data into the feedback of a visible one.
        return [c for c in cases if not c.hidden] + [c for c in cases if c.hidden]

    def _generated(self, gen: Any, ctx: PartContext) -> list[Case]:
        import numpy as np

        if not isinstance(gen, dict) or set(gen) - GENERATE_KEYS or not isinstance(gen.get("args"), dict):
            raise ValueError("generate must be {count, args: {name: draw}, hidden, weight}")
        count = gen.get("count", 5)
        if not isinstance(count, int) or not 0 <= count <= MAX_CASES:
            raise ValueError(f"generate.count must be an integer from 0 to {MAX_CASES}")
        # The same random cases for everyone (the same code earns the same score), unless the
        # spec asks for per-student cases.
        seed = ctx.seed if gen.get("per_student") else 0
        digest = hashlib.sha256(f"{seed}\0{ctx.part_id}\0code".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        out = []
        for _ in range(count):
            args = [_draw(spec, rng) for spec in gen["args"].values()]
            out.append(Case(args, {}, float(gen.get("weight", 1.0)), bool(gen.get("hidden", False))))
        return out

    # ------------------------------------------------------------------ text

    def _signature(self, ctx: PartContext) -> str:
        names = ctx.opt("args") or []
        return f"{ctx.opt('function')}({', '.join(map(str, names))})"

    def _call_text(self, ctx: PartContext, case: Case) -> str:
        names = list(ctx.opt("args") or [])
        items = []
        for i, value in enumerate(case.args):
            label = f"{names[i]}=" if i < len(names) else ""
            items.append(label + short(_dump(value), 80))
        items += [f"{k}={short(_dump(v), 80)}" for k, v in case.kwargs.items()]
        return short(f"{ctx.opt('function')}({', '.join(items)})", 300)

    def _numpy_positions(self, ctx: PartContext) -> list:
        names = list(ctx.opt("args") or [])
        out: list = []
        for item in ctx.opt("numpy_args") or []:
            out.append(item)
            if isinstance(item, str) and item in names:
                out.append(names.index(item))
        return out


def _draw(spec: Any, rng) -> Any:
    """A seeded value: a literal, a scalar draw (with optional shape), or a list/tuple of draws."""
    from grader.solvers import draw

    if not (isinstance(spec, dict) and "draw" in spec):
        return spec
    kind = spec["draw"]
    if kind not in DRAWS:
        raise ValueError(f"unknown draw '{kind}' (use one of {', '.join(sorted(DRAWS))})")
    if kind == "list":
        length = _dim(spec.get("length", 1), rng)
        return [_draw(spec.get("item"), rng) for _ in range(length)]
    if kind == "tuple":
        return [_draw(item, rng) for item in spec.get("items", [])]
    shape = spec.get("shape")
    if shape is not None and kind != "normal":
        dims = [_dim(d, rng) for d in shape]
        scalar = {k: v for k, v in spec.items() if k != "shape"}

        def build(level: int) -> Any:
            if level == len(dims):
                return draw(scalar, rng)
            return [build(level + 1) for _ in range(dims[level])]

        return build(0)
    if kind == "normal" and shape is not None:
        spec = {**spec, "shape": [_dim(d, rng) for d in shape]}
    return draw(spec, rng)


def _dim(value: Any, rng) -> int:
    """A dimension: an integer, or [low, high] drawn inclusively."""
    if isinstance(value, list) and len(value) == 2:
        return int(rng.integers(int(value[0]), int(value[1]) + 1))
    return int(value)


def _dump(value: Any) -> str:
    try:
        return json.dumps(value, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _args_text(case: Case) -> str:
    items = [short(_dump(a), 60) for a in case.args] + [f"{k}={short(_dump(v), 60)}"
                                                         for k, v in case.kwargs.items()]
    return f"({', '.join(items)})"


def _import_text(failure) -> str:
    if failure.kind == "exception":
        return "failed to import: " + failure.describe(False)
    if failure.kind == "exit":
        return "exited while being imported: " + failure.describe(False)
    return failure.message
