"""Reading `problem.yaml` into typed objects, with every problem reported by file and line.

Structural checks happen here (unknown keys, kinds, duplicate ids, points adding up); checks
that need the solvers to run live in :mod:`grader.validate`.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader import templates
from grader.errors import SpecError
from grader.expr.memo import ExprCache
from grader.types import PartContext, available_types, get_type
from grader.types.base import Option

VISIBILITIES = ("visible", "after_due_date", "hidden")
SHOW_EXPECTED = ("after_due_date", "always")

TOP_KEYS: dict[str, Option] = {
    "id": Option("string", doc="The problem id; must equal the folder name."),
    "title": Option("string", doc="Shown at the top of every report."),
    "source": Option("string", doc="Where the questions come from."),
    "description": Option("string", doc="Free text for instructors."),
    "total": Option("number", doc="Declared total; the parts' points must add up to it."),
    "due": Option("string", doc="Due date, ISO 8601; drives after_due_date visibility."),
    "defaults": Option("mapping", doc="visibility, and per answer type default options."),
    "params": Option("mapping", doc="Values passed to solvers by name; literals or seeded draws."),
    "seed": Option("any", doc="The variant seed (a string, written once): drawn params depend on it and "
                              "the student id only, so a renamed or copied problem keeps every variant."),
    "parts": Option("list", doc="The gradable parts, in the document's order."),
}

PART_KEYS: dict[str, Option] = {
    "id": Option("string", doc="The part id as printed in the document, e.g. '2.2.3'."),
    "title": Option("string"),
    "prompt": Option("string", doc="The question as the student reads it."),
    "assumptions": Option("string", doc="What the spec assumes where the document is silent."),
    "points": Option("number", minimum=0),
    "type": Option("enum", choices=tuple(available_types())),
    "answer": Option("mapping", doc="{solver, args, key} or {value}: the expected answer."),
    "transform": Option("mapping", doc="{solver}: grade what a trusted function makes of the answer."),
    "tiers": Option("list", doc="[{credit, feedback, <looser options>}]: partial credit."),
    "mistakes": Option("list", doc="[{value | solver, args, key, credit, feedback}]."),
    "uses": Option("mapping", doc="{solver argument: part id}: answers of earlier parts."),
    "carry_forward": Option("mapping", doc="{credit, solver, args}: error carried forward from `uses` parts."),
    "visibility": Option("enum", choices=VISIBILITIES),
    "show_expected": Option("enum", choices=SHOW_EXPECTED,
                            doc="when students may see the expected answer in feedback: always, or "
                                "after_due_date (default: before it, feedback says right or wrong "
                                "and why, without the answer)"),
    "feedback": Option("mapping", doc="{correct, incorrect, partial}: extra messages."),
    "hint": Option("string", doc="Shown with a wrong answer."),
    "solution": Option("string", doc="Worked solution, shown only after the due date."),
    "self_check": Option("boolean", doc="Students' self-check may grade this part before the deadline."),
    "section": Option("string", doc="Heading the part belongs to, for reports."),
}

ANSWER_KEYS = {"solver", "args", "key", "value"}
MISTAKE_KEYS = {"solver", "args", "key", "value", "credit", "feedback"}
CARRY_KEYS = {"credit", "solver", "args"}
TIER_KEYS = {"credit", "feedback"}
DRAWS = {
    "randint": {"low", "high"},
    "uniform": {"low", "high", "round"},
    "choice": {"options"},
    "normal": {"mean", "std", "shape", "round"},
}


@dataclass
class Tier:
    """A partial-credit level: the part's options with looser ones overridden (a wider tolerance, say),
    earning ``credit`` with ``feedback`` when the answer fails the strict options but passes these."""
    credit: float
    options: dict[str, Any]
    feedback: str = ""


@dataclass
class Mistake:
    """An anticipated wrong answer (a literal ``value`` or a ``solver`` with ``args``) that earns ``credit``
    and tells the student ``feedback`` instead of a bare "not correct"."""
    credit: float
    feedback: str
    value: Any = None
    solver: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    key: Any = None


@dataclass
class Part:
    """One graded part as the spec declares it, checked; ``line`` is its line in problem.yaml for messages."""
    id: str
    type: str
    points: float
    title: str = ""
    prompt: str = ""
    assumptions: str = ""
    answer: dict[str, Any] = field(default_factory=dict)
    transform: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    tiers: list[Tier] = field(default_factory=list)
    mistakes: list[Mistake] = field(default_factory=list)
    uses: dict[str, str] = field(default_factory=dict)
    carry_forward: float | None = None
    carry_answer: dict[str, Any] | None = None  # {solver, args} fed carried values; None: `answer`
    visibility: str = "visible"
    show_expected: str = "after_due_date"
    feedback: dict[str, str] = field(default_factory=dict)
    hint: str = ""
    solution: str = ""
    self_check: bool = False
    section: str = ""
    line: int = 0

    @property
    def kind(self):
        """The part's answer type object (looked up by name in the type registry)."""
        return get_type(self.type)

    def context(self, source: str = "", options: dict | None = None, **fields: Any) -> PartContext:
        """What the answer type may read of this part (`options`: a tier's, else the part's)."""
        return PartContext(
            part_id=self.id, options=self.options if options is None else options, source=source,
            answer=self.answer, hidden=self.visibility == "hidden", extra={"points": self.points},
            **fields,
        )


@dataclass
class Problem:
    """A loaded, checked problem spec: its parts, total points, due date and drawn-parameter settings."""
    id: str
    title: str
    folder: Path
    parts: list[Part]
    total: float
    source: str = ""
    due: _dt.datetime | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    seed: str | None = None  # see variant_key
    # per variant, the problem with its text templates rendered (grader.templates.for_params)
    rendered: Any = field(default=None, repr=False, compare=False)

    @property
    def variant_key(self) -> str:
        """What drawn params are seeded from, with the student id: the spec's `seed`, else (specs
        written before it existed, whose students keep their variants) the problem id."""
        return self.seed if self.seed is not None else self.id

    @functools.cached_property  # (asked twice per student graded)
    def has_draws(self) -> bool:
        """Whether any parameter is drawn per student (so variants differ and must be checked per variant)."""
        return any(isinstance(v, dict) and "draw" in v for v in self.params.values())
    # The symbol tables built while the spec was checked: a grading session adopts them
    # (content-keyed, see grader.expr.memo) rather than building them again.
    tables: ExprCache | None = field(default=None, repr=False, compare=False)

    @property
    def spec_file(self) -> Path:
        """The problem.yaml this problem was loaded from."""
        return self.folder / "problem.yaml"

    @functools.cached_property
    def spec_source(self) -> str:
        """The spec's path as text, computed once (messages name it for every part)."""
        return str(self.folder / "problem.yaml")

    @property
    def solver_file(self) -> Path:
        """Where the reference solver lives (it may not exist: literal answers need none)."""
        return self.folder / "solver.py"

    def part(self, part_id: str) -> Part:
        """The part with ``part_id``; KeyError when there is none."""
        for part in self.parts:
            if part.id == part_id:
                return part
        raise KeyError(part_id)


class _Lines:
    """YAML node positions, so errors can say `problem.yaml:42`."""

    def __init__(self, file: str):
        self.file = file
        self.by_path: dict[tuple, int] = {}
        self.duplicates: list[str] = []

    def walk(self, node: yaml.Node, path: tuple = ()) -> None:
        self.by_path.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    self.duplicates.append(
                        f"{self.file}:{key_node.start_mark.line + 1}: duplicate key '{key}'"
                    )
                seen.add(key)
                self.by_path[path + (key,)] = key_node.start_mark.line + 1
                self.walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.walk(item, path + (i,))

    def at(self, *path: Any) -> str:
        while path and path not in self.by_path:
            path = path[:-1]
        return f"{self.file}:{self.by_path.get(path, 1)}"


def resolve_problem_dir(problem: str | Path) -> Path:
    """A problem folder, a problem.yaml file, or an id found under ./problems/."""
    path = Path(problem)
    if path.is_file() and path.name.endswith((".yaml", ".yml")):
        return path.parent
    if path.is_dir():
        return path
    for base in (Path.cwd() / "problems", Path(__file__).resolve().parent.parent / "problems"):
        if (base / str(problem)).is_dir():
            return base / str(problem)
    raise SpecError(f"{problem}: no such problem folder (nor an id under problems/)")


def read_yaml(path: Path) -> tuple[Any, _Lines]:
    """(the document, where each node is): errors can then name the file and line."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{name}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{name}: cannot be read ({exc})") from None
    lines = _Lines(name)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml: ~10x faster
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError(f"{name}: the file is empty")
        lines.walk(node)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        raise SpecError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    finally:
        loader.dispose()
    return data, lines


def load_problem(problem: str | Path) -> Problem:
    """Read a problem folder's problem.yaml (a folder, the file, or an id under ./problems/);
    SpecError lists every problem found, by file and line."""
    folder = resolve_problem_dir(problem)
    data, lines = read_yaml(folder / "problem.yaml")
    return _build_problem(data, lines, folder)


def problem_from_data(data: Any, folder: Path, source: str) -> Problem:
    """A problem from a spec already in memory (the self-check's, from a bundle), checked as a
    problem.yaml would be; `source` names it in errors. `folder` is where solver.py would be."""
    return _build_problem(data, _Lines(source), Path(folder))


def _build_problem(data: Any, lines: _Lines, folder: Path) -> Problem:
    errors = list(lines.duplicates)
    if not isinstance(data, dict):
        raise SpecError(f"{lines.at()}: the spec must be a mapping with id, title and parts")
    _check_keys(data, TOP_KEYS, lines, (), "the problem", errors)
    pid = data.get("id", folder.name)
    if not isinstance(pid, str) or not pid:
        errors.append(f"{lines.at('id')}: id must be a non-empty string")
        pid = folder.name
    elif pid != folder.name:
        errors.append(f"{lines.at('id')}: id '{pid}' differs from the folder name '{folder.name}'")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        errors.append(f"{lines.at('defaults')}: defaults must be a mapping")
        defaults = {}
    for key, value in defaults.items():
        if key == "visibility":
            if value not in VISIBILITIES:
                errors.append(f"{lines.at('defaults', key)}: visibility must be one of {', '.join(VISIBILITIES)}")
        elif key == "show_expected":
            if value not in SHOW_EXPECTED:
                errors.append(f"{lines.at('defaults', key)}: show_expected must be one of {', '.join(SHOW_EXPECTED)}")
        elif key not in available_types():
            errors.append(f"{lines.at('defaults', key)}: unknown key '{key}' in defaults "
                          f"(expected visibility, show_expected or an answer type: "
                          f"{', '.join(available_types())})")
        elif not isinstance(value, dict):
            errors.append(f"{lines.at('defaults', key)}: defaults.{key} must be a mapping of {key} options")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        errors.append(f"{lines.at('params')}: params must be a mapping of name: value")
        params = {}
    for name, value in params.items():
        _check_param(name, value, lines, errors)
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (str, int)) or str(seed).strip() == ""):
        errors.append(f"{lines.at('seed')}: seed must be a non-empty string (e.g. the problem id when it "
                      f"was created), not {seed!r}")
        seed = None
    due = None
    if data.get("due") is not None:
        due = _parse_due(data["due"], lines.at("due"), errors)
    raw_parts = data.get("parts")
    parts: list[Part] = []
    if not isinstance(raw_parts, list) or not raw_parts:
        errors.append(f"{lines.at('parts')}: parts must be a non-empty list")
        raw_parts = []
    seen: dict[str, str] = {}
    tables = ExprCache()  # the parts' symbol tables, built once per declaration for the checks
    for i, raw in enumerate(raw_parts):
        part = _load_part(raw, i, defaults, lines, errors, tables)
        if part is None:
            continue
        errors.extend(templates.check_part(part, params, functools.partial(lines.at, "parts", i)))
        if part.id in seen:
            errors.append(f"{lines.at('parts', i, 'id')}: duplicate part id '{part.id}' "
                          f"(first at {seen[part.id]})")
        seen[part.id] = lines.at("parts", i, "id")
        parts.append(part)
    ids = {p.id for p in parts}
    for i, part in enumerate(parts):
        for other in part.uses.values():
            if other not in ids:
                errors.append(f"{lines.at('parts', i, 'uses')}: part {part.id} uses unknown part '{other}'")
            elif other == part.id:
                errors.append(f"{lines.at('parts', i, 'uses')}: part {part.id} uses itself")
    total = sum(p.points for p in parts)
    declared = data.get("total")
    if declared is not None:
        if not _is_number(declared):
            errors.append(f"{lines.at('total')}: total must be a number")
            declared = None
        elif not math.isclose(total, declared, abs_tol=1e-9):
            detail = ", ".join(f"{p.id}: {p.points:g}" for p in parts)
            errors.append(f"{lines.at('total')}: the parts' points add up to {total:g}, "
                          f"not the declared total {declared:g} ({detail})")
    if not errors:
        errors.extend(_cycles(parts, lines))
    if errors:
        raise SpecError(errors)
    return Problem(
        id=pid, title=str(data.get("title") or pid), folder=folder, parts=parts, total=total,
        source=str(data.get("source") or ""), due=due,
        defaults=defaults, params=params, seed=None if seed is None else str(seed), tables=tables,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_keys(data: dict, allowed: dict, lines: _Lines, path: tuple, what: str, errors: list) -> None:
    for key in data:
        if key not in allowed:
            hint = _closest(str(key), allowed)
            errors.append(f"{lines.at(*path, key)}: unknown key '{key}' in {what}"
                          + (f" (did you mean '{hint}'?)" if hint else
                             f" (allowed: {', '.join(sorted(allowed))})"))


def _closest(word: str, candidates) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return found[0] if found else None


def _kind_ok(opt: Option, value: Any) -> bool:
    if value is None:
        return True
    checks = {
        "number": _is_number,
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "list": lambda v: isinstance(v, list),
        "mapping": lambda v: isinstance(v, dict),
        "any": lambda v: True,
        "enum": lambda v: v in opt.choices,
    }
    ok = checks[opt.kind](value)
    if ok and opt.minimum is not None and _is_number(value):
        ok = value >= opt.minimum
    return ok


def _kind_name(opt: Option) -> str:
    if opt.kind == "enum":
        return "one of " + ", ".join(map(str, opt.choices))
    name = {"number": "a finite number", "integer": "an integer", "boolean": "true or false",
            "string": "a string", "list": "a list", "mapping": "a mapping", "any": "a value"}[opt.kind]
    return name + (f" >= {opt.minimum:g}" if opt.minimum is not None else "")


def _check_option(name: str, opt: Option, value: Any, where: str, errors: list) -> None:
    if not _kind_ok(opt, value):
        errors.append(f"{where}: {name} must be {_kind_name(opt)}, not {value!r}")


def _check_param(name: str, value: Any, lines: _Lines, errors: list) -> None:
    if isinstance(value, dict) and "draw" in value:
        draw = value["draw"]
        where = lines.at("params", name)
        if draw not in DRAWS:
            errors.append(f"{where}: param '{name}': unknown draw '{draw}' (expected one of {', '.join(DRAWS)})")
            return
        allowed = DRAWS[draw] | {"draw", "default"}
        for key in value:
            if key not in allowed:
                errors.append(f"{where}: param '{name}': unknown key '{key}' for draw {draw} "
                              f"(allowed: {', '.join(sorted(allowed))})")
        missing = {"randint": ["low", "high"], "uniform": ["low", "high"], "choice": ["options"],
                   "normal": []}[draw]
        for key in missing:
            if key not in value:
                errors.append(f"{where}: param '{name}': draw {draw} needs '{key}'")
        if draw in ("randint", "uniform") and all(k in value for k in ("low", "high")):
            if not (_is_number(value["low"]) and _is_number(value["high"])) or value["low"] > value["high"]:
                errors.append(f"{where}: param '{name}': low and high must be numbers with low <= high")


def _parse_due(value: Any, where: str, errors: list) -> _dt.datetime | None:
    if isinstance(value, _dt.datetime):
        due = value
    elif isinstance(value, _dt.date):
        due = _dt.datetime(value.year, value.month, value.day, 23, 59, 59)
    else:
        try:
            due = _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            errors.append(f"{where}: due must be an ISO 8601 date-time, e.g. 2022-02-11T23:59:00-05:00")
            return None
    if due.tzinfo is None:
        due = due.replace(tzinfo=_dt.timezone.utc)
    return due


def _load_part(raw: Any, i: int, defaults: dict, lines: _Lines, errors: list, tables: ExprCache) -> Part | None:
    """One entry of `parts:` -> a Part, every problem found appended to `errors` (a part that
    cannot be read at all, with no id or an unknown type, is None)."""
    where = lines.at("parts", i)
    head = _part_head(raw, i, lines, errors)
    if head is None:
        return None
    pid, type_name, kind = head
    label = f"part {pid}"
    allowed = dict(PART_KEYS)
    allowed.update(kind.options)
    _check_keys(raw, allowed, lines, ("parts", i), label, errors)
    for key, opt in PART_KEYS.items():
        if key in raw and key not in ("type",):
            _check_option(key, opt, raw[key], lines.at("parts", i, key), errors)
    points = raw.get("points")
    if points is None:
        errors.append(f"{where}: {label} needs points (0 for a practice part)")
        points = 0
    elif not _is_number(points) or points < 0:
        points = 0
    options = _part_options(raw, i, kind, type_name, defaults, lines, label, errors)
    answer = raw.get("answer") or {}
    if isinstance(answer, dict):
        _check_answer(answer, ANSWER_KEYS, lines, ("parts", i, "answer"), label, errors)
    if kind.needs_answer and not answer:
        errors.append(f"{where}: {label} ({type_name}) needs an answer: {{solver: name}} or {{value: ...}}")
    tiers = _part_tiers(raw, i, kind, type_name, options, lines, label, errors)
    mistakes = _part_mistakes(raw, i, lines, label, errors)
    uses = raw.get("uses") or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in uses.items()):
        errors.append(f"{lines.at('parts', i, 'uses')}: {label}: uses must map solver argument names "
                      f"to part ids (strings)")
        uses = {}
    carry = raw.get("carry_forward")
    carry_credit, carry_answer = None, None
    if carry is not None:
        carry_credit, carry_answer = _carry_forward(
            carry, answer if isinstance(answer, dict) else {}, uses, lines, ("parts", i, "carry_forward"),
            label, errors)
    transform = raw.get("transform")
    if transform is not None and (not isinstance(transform, dict) or "solver" not in transform
                                  or set(transform) - {"solver", "args"}):
        errors.append(f"{lines.at('parts', i, 'transform')}: {label}: transform must be {{solver: name, args: {{...}}}}")
    feedback = _part_feedback(raw, i, lines, label, errors)
    visibility = raw.get("visibility", defaults.get("visibility", "visible"))
    part = Part(
        id=pid, type=type_name, points=float(points), title=str(raw.get("title") or ""),
        prompt=str(raw.get("prompt") or ""), assumptions=str(raw.get("assumptions") or ""),
        answer=answer if isinstance(answer, dict) else {}, transform=transform, options=options,
        tiers=tiers, mistakes=mistakes, uses=uses, carry_forward=carry_credit,
        carry_answer=carry_answer, visibility=visibility if visibility in VISIBILITIES else "visible",
        show_expected=raw.get("show_expected", defaults.get("show_expected", "after_due_date")),
        feedback=feedback, hint=str(raw.get("hint") or ""),
        solution=str(raw.get("solution") or ""), self_check=raw.get("self_check") is True,
        section=str(raw.get("section") or ""), line=lines.by_path.get(("parts", i), 0),
    )
    for problem in kind.check_spec(part.context(expr_cache=tables)):
        errors.append(f"{where}: {label}: {problem}")
    return part


def _part_head(raw: Any, i: int, lines: _Lines, errors: list) -> tuple[str, str, Any] | None:
    """(id, type name, answer type) of a part, or None when the entry cannot be a part."""
    where = lines.at("parts", i)
    if not isinstance(raw, dict):
        errors.append(f"{where}: part #{i + 1} must be a mapping with id, points and type")
        return None
    pid = raw.get("id")
    if isinstance(pid, (int, float)) and not isinstance(pid, bool):
        errors.append(f"{lines.at('parts', i, 'id')}: part id {pid!r} is a number; quote it "
                      f"(id: \"{pid}\") so that e.g. 3.10 is not read as 3.1")
        return None
    if not isinstance(pid, str) or not pid.strip():
        errors.append(f"{where}: part #{i + 1} needs an id (a string such as \"2.2.3\")")
        return None
    type_name = raw.get("type")
    if type_name not in available_types():
        errors.append(f"{lines.at('parts', i, 'type')}: part {pid}: type must be one of "
                      f"{', '.join(available_types())}, not {type_name!r}")
        return None
    try:
        kind = get_type(type_name)
    except (ImportError, KeyError) as exc:
        errors.append(f"{lines.at('parts', i, 'type')}: part {pid}: answer type '{type_name}' is not "
                      f"available ({exc})")
        return None
    return pid, type_name, kind


def _part_options(raw: dict, i: int, kind, type_name: str, defaults: dict, lines: _Lines, label: str,
                  errors: list) -> dict[str, Any]:
    """The answer type's options: the part's own, else the spec's defaults for the type, else
    the type's defaults (each checked, and named by where it was set)."""
    options: dict[str, Any] = {}
    type_defaults = defaults.get(type_name) if isinstance(defaults.get(type_name), dict) else {}
    for key in type_defaults:
        if key not in kind.options:
            errors.append(f"{lines.at('defaults', type_name, key)}: unknown {type_name} option '{key}' "
                          f"(allowed: {', '.join(sorted(kind.options))})")
    for name, opt in kind.options.items():
        value = raw[name] if name in raw else type_defaults.get(name, opt.default)
        source = lines.at("parts", i, name) if name in raw else lines.at("defaults", type_name, name)
        _check_option(name, opt, value, source + f": {label}", errors)
        options[name] = value
    return options


def _part_tiers(raw: dict, i: int, kind, type_name: str, options: dict, lines: _Lines, label: str,
                errors: list) -> list[Tier]:
    """`tiers:`, each the part's options with the looser ones it overrides."""
    tiers = []
    for j, tier in enumerate(raw.get("tiers") or []):
        tw = lines.at("parts", i, "tiers", j)
        if not isinstance(tier, dict):
            errors.append(f"{tw}: {label}: a tier must be a mapping {{credit, feedback, <options>}}")
            continue
        overrides = {}
        for key, value in tier.items():
            if key in TIER_KEYS:
                continue
            opt = kind.options.get(key)
            if opt is None or not opt.tier:
                tierable = sorted(k for k, o in kind.options.items() if o.tier)
                errors.append(f"{tw}: {label}: '{key}' cannot be set in a tier of a {type_name} part"
                              f" (allowed: credit, feedback, {', '.join(tierable) or 'nothing else'})")
                continue
            _check_option(key, opt, value, tw + f": {label} tier", errors)
            overrides[key] = value
        credit = _credit(tier.get("credit"), tw, label, errors)
        tiers.append(Tier(credit=credit, options={**options, **overrides},
                          feedback=str(tier.get("feedback") or "")))
    return tiers


def _part_mistakes(raw: dict, i: int, lines: _Lines, label: str, errors: list) -> list[Mistake]:
    """`mistakes:`, each a value or a solver call with its credit and feedback."""
    mistakes = []
    for j, m in enumerate(raw.get("mistakes") or []):
        mw = lines.at("parts", i, "mistakes", j)
        if not isinstance(m, dict):
            errors.append(f"{mw}: {label}: a mistake must be a mapping {{value|solver, credit, feedback}}")
            continue
        _check_answer(m, MISTAKE_KEYS, lines, ("parts", i, "mistakes", j), label, errors)
        if not m.get("feedback"):
            errors.append(f"{mw}: {label}: a mistake needs feedback saying what went wrong")
        mistakes.append(Mistake(
            credit=_credit(m.get("credit", 0), mw, label, errors), feedback=str(m.get("feedback") or ""),
            value=m.get("value"), solver=m.get("solver"), args=m.get("args") or {}, key=m.get("key"),
        ))
    return mistakes


def _part_feedback(raw: dict, i: int, lines: _Lines, label: str, errors: list) -> dict[str, str]:
    feedback = raw.get("feedback") or {}
    if not isinstance(feedback, dict):
        return {}
    for key in feedback:
        if key not in ("correct", "incorrect", "partial"):
            errors.append(f"{lines.at('parts', i, 'feedback', key)}: {label}: feedback keys are "
                          f"correct, incorrect, partial (not '{key}')")
    return feedback


def _check_answer(answer: dict, allowed: set, lines: _Lines, path: tuple, label: str, errors: list) -> None:
    for key in answer:
        if key not in allowed:
            errors.append(f"{lines.at(*path, key)}: {label}: unknown key '{key}' "
                          f"(allowed: {', '.join(sorted(allowed))})")
    if "solver" in answer and "value" in answer:
        errors.append(f"{lines.at(*path)}: {label}: give either solver or value, not both")
    if "solver" in answer and not isinstance(answer["solver"], str):
        errors.append(f"{lines.at(*path, 'solver')}: {label}: solver must be a function name")
    if "args" in answer and not isinstance(answer["args"], dict):
        errors.append(f"{lines.at(*path, 'args')}: {label}: args must be a mapping of argument: value")


def _carry_forward(carry: Any, answer: dict, uses: dict, lines: _Lines, path: tuple, label: str,
                   errors: list) -> tuple[float | None, dict[str, Any] | None]:
    """`{credit, solver, args}` -> the credit, and what recomputes the answer from carried values:
    a solver of its own (a fast one for students' values, say) or, without one, the answer's."""
    where = lines.at(*path)
    if not isinstance(carry, dict):
        errors.append(f"{where}: {label}: carry_forward must be {{credit: 0..1, solver: name, args: {{...}}}}")
        return None, None
    for key in carry:
        if key not in CARRY_KEYS:
            errors.append(f"{lines.at(*path, key)}: {label}: unknown key '{key}' in carry_forward "
                          f"(allowed: {', '.join(sorted(CARRY_KEYS))})")
    credit = _credit(carry.get("credit", 1.0), where, label, errors)
    if not uses:
        errors.append(f"{where}: {label}: carry_forward needs `uses`")
    solver, args = carry.get("solver"), carry.get("args")
    if "solver" in carry and (not isinstance(solver, str) or not solver.strip()):
        errors.append(f"{lines.at(*path, 'solver')}: {label}: carry_forward solver must be a function "
                      f"name, not {solver!r}")
        return credit, None
    if "args" in carry and not isinstance(args, dict):
        errors.append(f"{lines.at(*path, 'args')}: {label}: carry_forward args must be a mapping of "
                      f"argument: value, not {args!r}")
        return credit, None
    if solver is None and not answer.get("solver"):
        errors.append(f"{where}: {label}: carry_forward needs a solver (carry_forward: {{solver: name}}): "
                      f"the answer is a literal value, which carried answers cannot change")
        return credit, None
    if solver is None and args is None:
        return credit, None
    answer_args = answer.get("args") if isinstance(answer.get("args"), dict) else {}
    base = {"solver": solver} if solver else dict(answer)
    return credit, {**base, "args": dict(args if args is not None else answer_args)}


def _credit(value: Any, where: str, label: str, errors: list) -> float:
    if isinstance(value, str):  # "2/3": thirds are not exact as decimals
        num, sep, den = value.partition("/")
        try:
            value = float(num) / float(den) if sep else float(value)
        except (ValueError, ZeroDivisionError):
            pass
    if not _is_number(value) or not 0 <= value <= 1:
        errors.append(f"{where}: {label}: credit must be a fraction between 0 and 1 (e.g. 0.5 or \"2/3\"), "
                      f"not {value!r}")
        return 0.0
    return float(value)


def _cycles(parts: list[Part], lines: _Lines) -> list[str]:
    graph = {p.id: set(p.uses.values()) for p in parts}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> str | None:
        if state.get(node) == 1:
            return " -> ".join(trail + [node])
        if state.get(node) == 2:
            return None
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt, trail + [node])
            if found:
                return found
        state[node] = 2
        return None

    for p in parts:
        cycle = visit(p.id, [])
        if cycle:
            return [f"{lines.file}: parts use each other in a cycle: {cycle}"]
    return []


def order_by_uses(parts: list[Part]) -> list[Part]:
    """Parts in an order where every part comes after the parts it uses."""
    done: dict[str, Part] = {}
    by_id = {p.id: p for p in parts}

    def add(part: Part) -> None:
        if part.id in done:
            return
        for other in part.uses.values():
            if other in by_id:
                add(by_id[other])
        done[part.id] = part

    for part in parts:
        add(part)
    return list(done.values())
