"""Output formats of a report: a table for people, JSON for tools, Gradescope's results.json."""

from __future__ import annotations

from grader.formats.gradescope import to_gradescope
from grader.formats.json_report import dumps, to_json
from grader.formats.table import to_table

FORMATS = {"table": to_table, "json": to_json, "gradescope": to_gradescope}

__all__ = ["FORMATS", "dumps", "to_gradescope", "to_json", "to_table"]
