"""What names a part's formulas may use: declared variables (with aliases and domains),
dimensions, constants and the whitelisted functions; splitting of glued names (``XX`` -> X X).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from grader.expr.errors import ExprError

# function name as written -> canonical name; arity
SCALAR_FUNCTIONS = {
    "sqrt": "sqrt", "exp": "exp", "log": "log", "ln": "log", "log10": "log10", "log2": "log2",
    "sin": "sin", "cos": "cos", "tan": "tan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "arcsin": "arcsin", "asin": "arcsin", "arccos": "arccos", "acos": "arccos",
    "arctan": "arctan", "atan": "arctan", "abs": "abs", "Abs": "abs", "sigmoid": "sigmoid",
    "min": "min", "max": "max", "binom": "binom",
}
MATRIX_FUNCTIONS = {"inv": "inv", "norm": "norm", "norm2": "norm2", "tr": "tr", "trace": "tr", "det": "det",
                    "transpose": "transpose", "Tr": "tr", "Trace": "tr", "pinv": "pinv", "inner": "inner"}
VARIADIC = {"min", "max"}
BINARY = {"binom", "inner"}  # exactly two arguments

DOMAINS = ("real", "positive", "nonnegative", "nonzero", "integer", "positive_integer")
VAR_KEYS = {"aliases", "domain"}
MATRIX_VAR_KEYS = VAR_KEYS | {"shape", "define", "structure", "rows", "entries"}
STRUCTURES = ("general", "symmetric", "spd", "diagonal")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Domain:
    """Where a scalar variable lives: sampled there, and told to sympy as an assumption."""

    kind: str  # one of DOMAINS, or "interval"
    low: float = 0.0
    high: float = 0.0

    def draw(self, rng: random.Random) -> float:
        """A random sample point for numeric comparison (positive domains log-uniform over [0.1, 10])."""
        k = self.kind
        if k == "interval":
            return rng.uniform(self.low, self.high)
        if k in ("positive", "nonnegative"):
            return math.exp(rng.uniform(math.log(0.1), math.log(10.0)))
        if k == "nonzero":
            return rng.choice((-1.0, 1.0)) * math.exp(rng.uniform(math.log(0.1), math.log(10.0)))
        if k == "integer":
            return float(rng.randint(-10, 10))
        if k == "positive_integer":
            return float(rng.randint(1, 20))
        return rng.uniform(-4.0, 4.0)

    def assumptions(self) -> dict:
        """The sympy Symbol assumptions for this domain, so symbolic simplification may use them (sqrt(x^2) = x for x > 0)."""
        k = self.kind
        if k == "interval":
            if self.low > 0:
                return {"positive": True}
            if self.low >= 0:
                return {"nonnegative": True}
            if self.high < 0:
                return {"negative": True}
            return {"real": True}
        return {"real": {"real": True}, "positive": {"positive": True},
                "nonnegative": {"nonnegative": True}, "nonzero": {"real": True, "nonzero": True},
                "integer": {"integer": True},
                "positive_integer": {"integer": True, "positive": True}}[k]

    def text(self) -> str:
        """The domain as shown in messages: its kind, or ``[low, high]``."""
        return f"[{self.low:g}, {self.high:g}]" if self.kind == "interval" else self.kind


@dataclass
class Var:
    """One declared variable: canonical name, sampling domain and, in matrix parts, shape and structure."""
    name: str
    domain: Domain = field(default_factory=lambda: Domain("real"))
    shape: tuple = ()  # matrix parts: () scalar, (n,) vector, (n, d) matrix; entries str
    define: str | None = None  # a shorthand formula (trusted), matrix parts
    structure: str = "general"
    aliases: tuple = ()
    rows: str | None = None  # matrix parts: x_i names row i of this matrix (students stack rows x_i^T)
    entries: str | None = None  # matrix parts: p_i names diagonal entry i of this diagonal matrix


def parse_domain(raw: Any) -> Domain:
    """A spec's ``domain:`` value (a kind name or ``[low, high]``) as a Domain; None means real.
    Raises ExprError naming the accepted forms."""
    if raw is None:
        return Domain("real")
    if isinstance(raw, str) and raw in DOMAINS:
        return Domain(raw)
    if isinstance(raw, (list, tuple)) and len(raw) == 2 and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in raw):
        if raw[0] >= raw[1]:
            raise ExprError(f"domain {list(raw)}: the low end must be below the high end")
        return Domain("interval", float(raw[0]), float(raw[1]))
    raise ExprError(f"domain {raw!r} is not one of {', '.join(DOMAINS)} or an interval [low, high]")


def canonical_name(text: str) -> str | None:
    """The one name ``text`` reads as (``\\lambda_{\\min}`` -> ``lambda_min``), else None."""
    from grader.expr.latex import normalize
    from grader.expr.tokens import KIND, TEXT, scan

    try:
        toks = normalize(scan(text))
    except ExprError:
        return None
    if len(toks) == 2 and toks[0][KIND] == "name":  # a name, then the end
        return toks[0][TEXT]
    return None


class SymbolTable:
    """Names a part's formulas may use. Built from the part's options (trusted, but checked)."""

    def __init__(self, matrix: bool = False):
        self.matrix = matrix
        self.vars: dict[str, Var] = {}
        self.lookup: dict[str, str] = {}  # any accepted spelling -> canonical variable name
        self.dims: dict[str, tuple[int, int]] = {}
        self.functions = dict(SCALAR_FUNCTIONS, **(MATRIX_FUNCTIONS if matrix else {}))
        self.problems: list[str] = []

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def build(cls, variables: Any, dims: Any = None, matrix: bool = False) -> "SymbolTable":
        """The table of a part's ``variables`` (and ``dims``). Problems are collected in ``problems``, not raised,
        so the spec check can report them all at once."""
        table = cls(matrix)
        if dims:
            table._add_dims(dims)
        if isinstance(variables, (list, tuple)):
            variables = {str(v): {} for v in variables}
        if not isinstance(variables, Mapping) or not variables:
            table.problems.append("`variables` must map each variable name to its settings, "
                                  "e.g. {kappa: {domain: positive}}")
            return table
        for key, spec in variables.items():
            try:
                table._add_var(str(key), spec or {})
            except ExprError as e:
                table.problems.append(f"variable {key!r}: {e.message}")
        return table

    def _add_dims(self, dims: Any) -> None:
        if not isinstance(dims, Mapping):
            self.problems.append("`dims` must map dimension names to ranges, e.g. {n: [2, 6]}")
            return
        for name, rng in dims.items():
            ok = (isinstance(rng, (list, tuple)) and len(rng) == 2 and all(
                isinstance(x, int) and not isinstance(x, bool) for x in rng) and 1 <= rng[0] <= rng[1] <= 50)
            if isinstance(rng, int) and not isinstance(rng, bool) and 1 <= rng <= 50:
                rng, ok = [rng, rng], True
            if not NAME_RE.match(str(name)):
                self.problems.append(f"dimension name {name!r} must be a plain name such as n or d")
            elif not ok:
                self.problems.append(f"dimension {name!r}: range {rng!r} must be [low, high] "
                                     "with integers 1 <= low <= high <= 50")
            else:
                self.dims[str(name)] = (rng[0], rng[1])

    def _add_var(self, key: str, spec: Any) -> None:
        if not isinstance(spec, Mapping):
            raise ExprError("settings must be a mapping such as {domain: positive}")
        allowed = MATRIX_VAR_KEYS if self.matrix else VAR_KEYS
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise ExprError(f"unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
        name = canonical_name(key)
        if name is None or not NAME_RE.match(name):
            raise ExprError("a variable name must be a plain name such as kappa, w0 or lambda_min")
        if name in self.vars or name in self.dims:
            raise ExprError("declared twice (dimension names are variables already)")
        var = Var(name, parse_domain(spec.get("domain")))
        if "shape" in spec:
            var.shape = self._shape(spec["shape"])
        if "define" in spec:
            if not isinstance(spec["define"], str):
                raise ExprError("`define` must be a formula written as text")
            var.define = spec["define"]
        for key in ("rows", "entries"):
            if key in spec:
                if not isinstance(spec[key], str) or not NAME_RE.match(spec[key]) or "_" in spec[key]:
                    raise ExprError(f"`{key}` must be a plain letter or name such as x or p (its entries are "
                                    f"written {spec.get(key)}_1, {spec.get(key)}_2, ...)")
                if len(var.shape) != 2 or (key == "entries" and var.shape[0] != var.shape[1]):
                    raise ExprError(f"`{key}` needs a {'square ' if key == 'entries' else ''}matrix shape "
                                    "such as [n, d]")
                setattr(var, key, spec[key])
        if "structure" in spec:
            if spec["structure"] not in STRUCTURES:
                raise ExprError(f"structure must be one of {', '.join(STRUCTURES)}")
            if len(var.shape) != 2 or var.shape[0] != var.shape[1]:
                raise ExprError(f"structure {spec['structure']} needs a square shape such as [d, d]")
            var.structure = spec["structure"]
        aliases = spec.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        self.vars[name] = var
        self._claim(name, name)
        for alias in aliases:
            canon = canonical_name(str(alias))
            if canon is None:
                raise ExprError(f"alias {alias!r} does not read as a single name")
            self._claim(canon, name)
            var.aliases += (str(alias),)

    def _claim(self, spelling: str, name: str) -> None:
        owner = self.lookup.get(spelling)
        if owner is not None and owner != name:
            raise ExprError(f"{spelling!r} is already a name of variable {owner!r}")
        if spelling in self.dims:
            raise ExprError(f"{spelling!r} is a dimension name")
        self.lookup[spelling] = name

    def _shape(self, raw: Any) -> tuple:
        if not isinstance(raw, (list, tuple)) or len(raw) > 2:
            raise ExprError("shape must be [], [n] or [n, d] (dimension names or integers)")
        out = []
        for s in raw:
            if isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= 50:
                out.append(str(s))
            elif isinstance(s, str) and s in self.dims:
                out.append(s)
            else:
                raise ExprError(f"shape entry {s!r} is neither a declared dimension "
                                f"({', '.join(self.dims) or 'none declared'}) nor an integer 1..50")
        return tuple(out)

    # -- lookup -------------------------------------------------------------------------------
    def constants(self) -> set[str]:
        """Constants a formula may use: pi and e, unless a variable of that name takes the spelling."""
        return {c for c in ("pi", "e") if c not in self.lookup}

    def classify(self, word: str) -> tuple[str, Any] | None:
        """('sym', name) | ('const', name) | ('ident', size) | ('func', name) | None."""
        sym = self.lookup.get(word)  # a variable's spelling: most words a formula holds
        if sym is not None:
            return "sym", sym
        if word in self.dims:
            return "sym", word
        if word in self.functions:
            return "func", self.functions[word]
        if word == "pi" or word == "e":  # not a variable's spelling (that returned above): a constant
            return "const", word
        if self.matrix and word == "I":
            return "ident", None
        if self.matrix and word.startswith("I_"):
            size = word[2:]
            if size in self.dims or (size.isdigit() and 2 <= int(size) <= 50):
                return "ident", size
        return None

    def split(self, word: str) -> list[str] | None:
        """Cut a glued word into known names (fewest pieces), e.g. ``XX`` -> [X, X]."""
        pieces = set(self.lookup) | set(self.dims) | ({"pi"} & self.constants())
        if self.matrix and "I" not in self.lookup:
            pieces.add("I")
        if len(word) > 60:
            return None
        best: list[list[str] | None] = [None] * (len(word) + 1)
        best[0] = []
        for i in range(len(word)):
            if best[i] is None:
                continue
            for p in sorted(pieces):
                if word.startswith(p, i):
                    cand = best[i] + [p]
                    j = i + len(p)
                    if best[j] is None or len(cand) < len(best[j]):
                        best[j] = cand
        result = best[len(word)]
        return result if result and len(result) > 1 else None

    def variable_names(self) -> list[str]:
        """Declared variables, then dimensions that are not also variables: the order messages list them in."""
        return list(self.vars) + [d for d in self.dims if d not in self.vars]

    def names_text(self) -> str:
        """The variable names for an error message ("none" when there are none)."""
        names = self.variable_names()
        return ", ".join(names) if names else "none"

    def scalar_vars(self) -> list[Var]:
        """Scalar variables that are sampled (shorthands defined by a formula are excluded)."""
        return [v for v in self.vars.values() if not v.shape and v.define is None]
