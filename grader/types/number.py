"""A real number, with absolute/relative tolerance, significant figures or decimal places."""

from __future__ import annotations

import math
from typing import Any

from grader.expr.values import DIST_PARAMETERS
from grader.numbers import DEFAULT_ATOL, DEFAULT_RTOL, number_text, round_sig, tolerance_text, within
from grader.types.base import AnswerType, Invalid, Option, PartContext, Verdict, register
from grader.types.numeric import to_number, written_sigfigs


def tolerances(ctx: PartContext, expected: Any) -> tuple[float, float]:
    """rtol/atol of the part; integers are exact unless the spec sets a tolerance."""
    rtol, atol = ctx.opt("rtol"), ctx.opt("atol")
    if rtol is None and atol is None and isinstance(expected, int) and not isinstance(expected, bool):
        return 0.0, 0.0
    return (DEFAULT_RTOL if rtol is None else rtol), (DEFAULT_ATOL if atol is None else atol)


@register
class Number(AnswerType):
    """One real number with a tolerance, significant figures or decimals; integers exact."""
    name = "number"
    sheet = "math"
    public_options = frozenset({"integer", "fractions", "constants", "min_sigfigs", "unit"})
    summary = "a number, e.g. 0.25, 3/5, \\frac{1}{3} or 1.2 \\times 10^{-3}"
    options = {
        "rtol": Option("number", None, "relative tolerance (default 1e-6; 0 for integers)", minimum=0, tier=True),
        "atol": Option("number", None, "absolute tolerance (default 1e-9; 0 for integers)", minimum=0, tier=True),
        "sigfigs": Option("integer", None, "correct when right to this many significant figures", minimum=1, tier=True),
        "min_sigfigs": Option("integer", None, "the answer must be written with at least this many figures", minimum=1),
        "decimals": Option("integer", None, "correct when right after rounding to this many decimals", minimum=0, tier=True),
        "integer": Option("boolean", False, "the answer must be an integer, compared exactly"),
        "fractions": Option("boolean", True, "accept fractions written as text, e.g. \"3/5\""),
        "constants": Option("boolean", True, "accept pi, e and roots, e.g. \"pi/4\", \"\\\\sqrt{3}\" "
                                             "(false: decimals and fractions only)"),
        "parameter": Option("enum", None, "the part asks for a parameter of a normal distribution: a student may "
                            "write x ~ N(0, 3) and the mean, variance or standard deviation (std) is read from it",
                            choices=DIST_PARAMETERS),
        "square_size": Option("boolean", False, "the answer is the side of a square size (a receptive field, a "
                              "kernel): \"15 x 15\" reads as 15, \"15 x 13\" is refused"),
        "unit": Option("string", None, "unit shown in messages (answers are numbers without units)"),
    }

    def parse(self, raw: Any, ctx: PartContext) -> float:
        """A number, fraction or constant expression as the part's options allow; with ``integer`` a whole number,
        keeping notes about how it was read (shown with the verdict)."""
        what = "an integer" if ctx.opt("integer") else "a number"
        if ctx.opt("square_size") and isinstance(raw, (str, list)):
            raw = _square_side(raw)
        value = to_number(raw, fractions=ctx.opt("fractions") is not False,
                          constants=ctx.opt("constants") is not False, what=what,
                          parameter=ctx.opt("parameter"))
        if ctx.opt("integer"):
            if float(value) != math.floor(float(value)):
                raise Invalid(f"expected an integer, got {number_text(value)}")
            notes = getattr(value, "notes", [])
            value = _NotedInt(int(value))
            value.notes = notes
        return value

    def expected(self, value: Any, ctx: PartContext) -> float:
        """The reference as a number; an ``integer`` part's reference is made an int so it compares exactly."""
        out = to_number(value, fractions=True, constants=True)
        return int(out) if ctx.opt("integer") else out

    def compare(self, got: float, expected: float, ctx: PartContext) -> Verdict:
        """Exact, significant-figure, decimal or rtol/atol comparison per the options; says "too coarse" when the
        answer is right only to the few figures written."""
        verdict = self._compare(got, expected, ctx)
        notes = getattr(got, "notes", None)
        if notes:
            return Verdict(verdict.fraction, verdict.message + " (" + "; ".join(notes) + ")")
        return verdict

    def _compare(self, got: float, expected: float, ctx: PartContext) -> Verdict:
        unit = f" {ctx.opt('unit')}" if ctx.opt("unit") else ""
        shown = "" if ctx.hidden else f"; expected {number_text(expected)}{unit}"
        min_figs = ctx.opt("min_sigfigs")
        figs = written_sigfigs(got)
        if ctx.opt("integer"):
            ok, rule = int(got) == int(expected), "exact"
        elif ctx.opt("sigfigs"):
            n = ctx.opt("sigfigs")
            ok = round_sig(float(got), n) == round_sig(float(expected), n) or within(
                got, expected, 0, 0.5 * 10 ** (_exponent(expected) - n + 1))
            rule = f"to {n} significant figures"
        elif ctx.opt("decimals") is not None:
            d = ctx.opt("decimals")
            ok = abs(got - expected) <= 0.5 * 10 ** (-d) + 1e-12 * max(1.0, abs(expected))
            rule = f"to {d} decimal places"
        else:
            rtol, atol = tolerances(ctx, expected)
            ok, rule = within(got, expected, rtol, atol), tolerance_text(rtol, atol)
        if ok:
            if min_figs and figs is not None and figs < min_figs:
                return Verdict(0.0, f"{number_text(got)}{unit} is right but too coarse: written with {figs} "
                                    f"significant figure(s); give at least {min_figs}")
            return Verdict(1.0, f"{number_text(got)}{unit} is correct ({rule})")
        if figs and not ctx.opt("integer") and figs < 15 and expected != 0 and got != 0 and \
                round_sig(float(expected), figs) == round_sig(float(got), figs):
            return Verdict(0.0, f"{number_text(got)}{unit} is right to the {figs} significant figure(s) you wrote, "
                                f"but too coarse: the answer must be {rule}; give more figures")
        return Verdict(0.0, f"{number_text(got)}{unit} is not correct ({rule}){shown}")

    def show(self, value: Any, ctx: PartContext) -> str:
        return number_text(value)

    def to_data(self, value: Any, ctx: PartContext) -> Any:
        return int(value) if isinstance(value, int) else float(value)

    def describe(self, ctx: PartContext) -> str:
        """The accepted forms, naming the options (integer, min_sigfigs, constants, parameter) that change them."""
        if ctx.opt("integer"):
            return "an integer, e.g. 26" + (" (a size such as 15 x 15 may be written as it is)"
                                            if ctx.opt("square_size") else "")
        extra = []
        if ctx.opt("min_sigfigs"):
            extra.append(f"written with at least {ctx.opt('min_sigfigs')} significant figures")
        if ctx.opt("constants") is not False:
            extra.append("pi, e and roots such as \\sqrt{2} allowed")
        else:
            extra.append("a decimal or a fraction, without pi, e or roots")
        if ctx.opt("parameter"):
            extra.append(f"the {ctx.opt('parameter')}; x ~ N(0, s) may be written as it is")
        return self.summary + (" (" + "; ".join(extra) + ")" if extra else "")

    def check_spec(self, ctx: PartContext) -> list[str]:
        """Flags tolerances that cannot be meant (rtol >= 1) and options that contradict each other."""
        problems = []
        rtol, atol = ctx.opt("rtol"), ctx.opt("atol")
        if rtol is not None and rtol >= 1:
            problems.append(f"rtol {rtol:g} accepts any answer within {rtol * 100:g}% - did you mean a fraction such as 0.01?")
        if ctx.opt("integer") and (rtol or atol or ctx.opt("sigfigs") or ctx.opt("decimals")):
            problems.append("integer parts are compared exactly: drop rtol/atol/sigfigs/decimals or integer")
        if ctx.opt("sigfigs") and ctx.opt("decimals") is not None:
            problems.append("give sigfigs or decimals, not both")
        return problems


def _exponent(x: float) -> int:
    return 0 if x == 0 else int(math.floor(math.log10(abs(x))))


class _NotedInt(int):
    notes: list = []


def _square_side(raw: Any) -> Any:
    """'15 x 15', '15 \\times 15', [15, 15] -> 15: the side of a square size."""
    from grader.expr.errors import ExprError
    from grader.expr.values import read_size

    if isinstance(raw, list):
        dims = raw
    else:
        try:
            dims, _ = read_size(raw)
        except ExprError:
            return raw
    if len(dims) != 2:
        return raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
    a, b = (to_number(d) for d in dims)
    if a != b:
        raise Invalid(f"{number_text(a)} x {number_text(b)} is not square; the answer is the side n of an n x n size")
    return dims[0]
