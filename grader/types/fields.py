"""A part with named fields ({"neurons": 2048, "params": 11}), each field graded by its own type."""

from __future__ import annotations

import re
from typing import Any

from grader.types.base import AnswerType, Invalid, Option, PartContext, Verdict, describe_value, register


def _field_ctx(ctx: PartContext, name: str, spec: dict) -> tuple[AnswerType, PartContext]:
    from grader.types import get_type

    kind = get_type(spec.get("type", "number"))
    options = {k: o.default for k, o in kind.options.items()}
    options.update({k: v for k, v in spec.items() if k in kind.options})
    sub = PartContext(part_id=f"{ctx.part_id}.{name}", options=options, source=ctx.source,
                      answer=ctx.answer, solvers=ctx.solvers, params=ctx.params, seed=ctx.seed,
                      hidden=ctx.hidden, extra=dict(ctx.extra), expr_cache=ctx.expr_cache)
    return kind, sub


def _pairs(text: str, fields: dict) -> dict[str, str] | None:
    """'neurons: 2048; params = 11' (or one pair a line, "- " bullets allowed) -> a mapping."""
    out: dict[str, str] = {}
    for chunk in re.split(r"[;\n]", text[:100_000]):
        chunk = chunk.strip().lstrip("-*").strip()
        if not chunk:
            continue
        m = re.match(r"\$?\s*([A-Za-z_][\w .-]*?)\s*\$?\s*(?::|=)\s*(.*)$", chunk)
        if m is None or m.group(1) not in fields:
            return None
        out[m.group(1)] = m.group(2).strip()
    return out or None


@register
class Fields(AnswerType):
    name = "fields"
    summary = "an object with named fields"
    options = {
        "fields": Option("mapping", None, "{name: {type, weight, <that type's options>}}"),
    }

    def _fields(self, ctx: PartContext) -> dict[str, dict]:
        return {str(k): (v or {}) for k, v in (ctx.opt("fields") or {}).items()}

    def parse(self, raw: Any, ctx: PartContext) -> dict[str, Any]:
        fields = self._fields(ctx)
        if isinstance(raw, str):  # "neurons: 2048" lines, as an answer sheet holds them
            raw = _pairs(raw, fields) or raw
        if not isinstance(raw, dict):
            raise Invalid(f"expected an object with fields {', '.join(fields)}, got {describe_value(raw)}")
        unknown = [k for k in raw if k not in fields]
        if unknown:
            raise Invalid(f"unknown field(s) {', '.join(map(str, unknown[:5]))}; expected {', '.join(fields)}")
        out: dict[str, Any] = {}
        for name, spec in fields.items():
            if name not in raw:
                out[name] = Invalid(f"{name}: missing")
                continue
            kind, sub = _field_ctx(ctx, name, spec)
            try:
                out[name] = kind.parse(raw[name], sub)
            except Invalid as exc:
                out[name] = Invalid(f"{name}: {exc}")
        if all(isinstance(v, Invalid) for v in out.values()):
            raise Invalid("; ".join(str(v) for v in out.values()))
        return out

    def expected(self, value: Any, ctx: PartContext) -> dict[str, Any]:
        fields = self._fields(ctx)
        if not isinstance(value, dict) or set(value) != set(fields):
            raise Invalid(f"the reference must be an object with fields {', '.join(fields)}")
        out = {}
        for name, spec in fields.items():
            kind, sub = _field_ctx(ctx, name, spec)
            out[name] = kind.expected(value[name], sub)
        return out

    def compare(self, got: dict, expected: dict, ctx: PartContext) -> Verdict:
        fields = self._fields(ctx)
        total = sum(float(spec.get("weight", 1)) for spec in fields.values()) or 1.0
        score, notes = 0.0, []
        for name, spec in fields.items():
            weight = float(spec.get("weight", 1))
            value = got.get(name)
            if isinstance(value, Invalid):
                notes.append(str(value))
                continue
            kind, sub = _field_ctx(ctx, name, spec)
            verdict = kind.compare(value, expected[name], sub)
            score += weight * verdict.fraction
            notes.append(f"{name}: {verdict.message}")
        return Verdict(score / total, "; ".join(notes))

    def show(self, value, ctx: PartContext) -> str:
        parts = []
        for name, spec in self._fields(ctx).items():
            kind, sub = _field_ctx(ctx, name, spec)
            item = value.get(name)
            parts.append(f"{name}: " + ("?" if item is None or isinstance(item, Invalid) else kind.show(item, sub)))
        return "{" + ", ".join(parts) + "}"

    def to_data(self, value, ctx: PartContext) -> Any:
        out = {}
        for name, spec in self._fields(ctx).items():
            kind, sub = _field_ctx(ctx, name, spec)
            item = value.get(name)
            out[name] = None if item is None or isinstance(item, Invalid) else kind.to_data(item, sub)
        return out

    def example(self, expected, ctx: PartContext) -> Any:
        out = {}
        for name, spec in self._fields(ctx).items():
            kind, sub = _field_ctx(ctx, name, spec)
            out[name] = kind.example(expected[name], sub)
        return out

    def describe(self, ctx: PartContext) -> str:
        parts = []
        for name, spec in self._fields(ctx).items():
            kind, sub = _field_ctx(ctx, name, spec)
            parts.append(f"\"{name}\": {kind.describe(sub)}")
        return "an object {" + "; ".join(parts) + "}"

    def check_spec(self, ctx: PartContext) -> list[str]:
        from grader.types import available_types

        fields = ctx.opt("fields")
        if not isinstance(fields, dict) or not fields:
            return ["fields must map field names to {type, weight, options}"]
        problems = []
        for name, spec in fields.items():
            spec = spec or {}
            type_name = spec.get("type", "number")
            if type_name not in available_types() or type_name in ("fields", "code", "manual"):
                problems.append(f"field {name}: type {type_name!r} cannot be used in a field")
                continue
            kind, sub = _field_ctx(ctx, str(name), spec)
            unknown = set(spec) - set(kind.options) - {"type", "weight"}
            if unknown:
                problems.append(f"field {name}: unknown option(s) {', '.join(sorted(unknown))} for type {type_name}")
            problems.extend(f"field {name}: {p}" for p in kind.check_spec(sub))
        return problems
