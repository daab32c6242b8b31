"""`grader schema` prints the same bytes in every run (editors and diffs compare it)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_schema_is_the_same_whatever_the_hash_seed():
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        proc = subprocess.run([sys.executable, "-m", "grader", "schema"], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120)
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1
