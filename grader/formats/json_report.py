"""The report as JSON: stable key order and valid JSON even when answers held NaN."""

from __future__ import annotations

import json
import math
from typing import Any

from grader.report import Report


def plain(value: Any) -> Any:
    """Non-finite floats become strings: JSON has no NaN, and tools choke on it."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return float(value)
    return value


def dumps(data: Any, compact: bool = False) -> str:
    """Indented for people; compact (json's C encoder, several times faster) for batch files."""
    options: dict[str, Any] = {"separators": (",", ":")} if compact else {"indent": 2}
    try:  # the common case has no NaN: skip the Python-level walk
        return json.dumps(data, ensure_ascii=False, allow_nan=False, **options) + "\n"
    except ValueError:
        return json.dumps(plain(data), ensure_ascii=False, allow_nan=False, **options) + "\n"


def to_json(report: Report, **_: Any) -> str:
    return dumps(report.to_dict())
