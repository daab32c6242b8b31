"""The JSON Schema of problem.yaml, generated from the same declarations the loader checks."""

from __future__ import annotations

from typing import Any

from grader.spec import DRAWS, PART_KEYS, SHOW_EXPECTED, TOP_KEYS, VISIBILITIES
from grader.types import available_types, get_type

_CREDIT = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                     {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(/\s*\d+(\.\d+)?\s*)?$"}]}

_ANSWER = {
    "type": "object",
    "properties": {"solver": {"type": "string"}, "args": {"type": "object"}, "key": {}, "value": {}},
    "additionalProperties": False,
}


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of problem.yaml, built from the same Option declarations the loader checks with."""
    type_rules = []
    for name in available_types():
        try:
            kind = get_type(name)
        except (ImportError, KeyError):
            continue
        props = {key: opt.schema() for key, opt in PART_KEYS.items()}
        props.update({key: opt.schema() for key, opt in kind.options.items()})
        props["type"] = {"const": name}
        props["answer"] = _ANSWER
        props["tiers"] = {"type": "array", "items": {
            "type": "object", "required": ["credit"],
            "properties": {"credit": _CREDIT,
                           "feedback": {"type": "string"},
                           **{k: o.schema() for k, o in kind.options.items() if o.tier}},
            "additionalProperties": False}}
        props["mistakes"] = {"type": "array", "items": {
            "type": "object", "required": ["feedback"],
            "properties": {**_ANSWER["properties"], "credit": _CREDIT,
                           "feedback": {"type": "string"}},
            "additionalProperties": False}}
        props["uses"] = {"type": "object", "additionalProperties": {"type": "string"}}
        props["carry_forward"] = {"type": "object", "properties": {
            "credit": _CREDIT, "solver": {"type": "string", "minLength": 1}, "args": {"type": "object"}},
            "additionalProperties": False}
        type_rules.append({
            "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
            "then": {"properties": props, "additionalProperties": False,
                     "description": kind.summary},
        })
    draw = {
        "type": "object", "required": ["draw"],
        "properties": {"draw": {"enum": sorted(DRAWS)}, "default": {},
                       **{k: {} for keys in DRAWS.values() for k in sorted(keys)}},
        "additionalProperties": False,
    }
    part = {
        "type": "object",
        "required": ["id", "points", "type"],
        "properties": {"id": {"type": "string"}, "points": {"type": "number", "minimum": 0},
                       "type": {"enum": available_types()}},
        "allOf": type_rules,
    }
    top = {key: opt.schema() for key, opt in TOP_KEYS.items()}
    top["parts"] = {"type": "array", "minItems": 1, "items": part}
    top["params"] = {"type": "object", "additionalProperties": {"anyOf": [draw, {"not": {
        "type": "object", "required": ["draw"]}}]}}
    top["defaults"] = {"type": "object", "properties": {
        "visibility": {"enum": list(VISIBILITIES)},
        "show_expected": {"enum": list(SHOW_EXPECTED)},
        **{name: {"type": "object"} for name in available_types()}}, "additionalProperties": False}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "grader problem.yaml",
        "type": "object",
        "required": ["id", "parts"],
        "properties": top,
        "additionalProperties": False,
    }
