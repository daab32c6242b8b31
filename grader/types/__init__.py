"""Answer types, loaded by name on first use so a spec pays only for the types it uses.

Adding a type: one file here with an :class:`AnswerType` subclass decorated with ``@register``
(its options, parse/compare, and what it declares: ``by_hand``, ``whole_submission``,
``self_checkable``, ``selects``, ``prose``, ``formula_like``, ``sheet``, ``public_options``),
plus its line in ``TYPE_MODULES``. The engine, reports, bundles, answer sheets and class
statistics read the declarations; none of them tests a type's name
(tests/test_type_plugins.py grades a spec with types registered inside a test).
"""

from __future__ import annotations

import importlib

from grader.types.base import REGISTRY, AnswerType, Invalid, Option, PartContext, Verdict

# type name -> module defining it (each module registers its class with @register)
TYPE_MODULES = {
    "number": "grader.types.number",
    "array": "grader.types.array",
    "shape": "grader.types.shape",
    "set": "grader.types.set",
    "choice": "grader.types.choice",
    "multi": "grader.types.multi",
    "text": "grader.types.text",
    "manual": "grader.types.manual",
    "expression": "grader.types.expression",
    "matrix_expression": "grader.types.matrix_expression",
    "code": "grader.types.code",
}


def get_type(name: str) -> AnswerType:
    """The answer type registered as ``name``; KeyError if there is none."""
    if name not in REGISTRY:
        module = TYPE_MODULES.get(name)
        if module is None:
            raise KeyError(name)
        importlib.import_module(module)
    return REGISTRY[name]


def capabilities(name: str) -> AnswerType:
    """What the type named ``name`` declares (by_hand, whole_submission, selects...), for code
    that holds only a type's name (a report, a bundle entry). A name this installation does not
    know (a bundle from a newer grader) gets the defaults of :class:`AnswerType`: an answer value
    graded automatically."""
    try:
        return get_type(name)
    except (KeyError, ImportError):
        return _DEFAULTS


_DEFAULTS = AnswerType()


def available_types() -> list[str]:
    """Every type a spec may name: the built-in ones and any registered since (a plug-in)."""
    return sorted({*TYPE_MODULES, *REGISTRY})  # (not set(): the submodule grader.types.set shadows it)


__all__ = [
    "AnswerType", "Invalid", "Option", "PartContext", "Verdict", "get_type", "available_types", "capabilities",
    "TYPE_MODULES",
]
