"""The shell scripts and pins that go into the Gradescope zip (kept as text so they install
with the package)."""

from __future__ import annotations

# Versions that install on Gradescope's Ubuntu 22.04 image with its Python 3.10
# (numpy 2.2 is the last series that supports 3.10).
PINS = {
    "numpy": "2.2.6",
    "PyYAML": "6.0.3",
    "sympy": "1.14.0",
    "mpmath": "1.3.0",
    "gradescope-utils": "0.5.0",
    "Jinja2": "3.1.6",  # parameters in a spec's text (grader/templates.py)
    "MarkupSafe": "3.0.3",  # Jinja2's dependency
    "setuptools": "84.2.1",
    "pip": "26.3",
}


def requirements() -> str:
    """requirements.txt with exact pins, so the autograder image installs the versions the grader was tested with."""
    lines = ["# Pinned by `grader gradescope`; setup.sh installs exactly these versions."]
    lines += [f"{name}=={version}" for name, version in PINS.items()]
    return "\n".join(lines) + "\n"


SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, on its Ubuntu 22.04 image (Python 3.10) when the
# autograder is built (from any working folder: paths are relative to this file). It installs the grader and the pinned versions in requirements.txt into
# .venv beside this file (through install.sh, the repository's own setup script), creates the
# unprivileged user grader-student that student code runs as, makes the problem (reference
# solvers) unreadable to that user, and proves the reference solution scores full marks.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
problem="@PROBLEM@"

# Every pip call below, including the build of the grader itself, uses the pinned versions.
export PIP_CONSTRAINT="$here/requirements.txt"
bash "$here/install.sh"
"$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

if [ "$(id -u)" = 0 ]; then
  chmod 755 "$here"
  chmod -R go-rwx "$here/problems"
  chmod 755 "$here/run_autograder"
fi

"$here/.venv/bin/python" -c "import grader, numpy, yaml, sympy, gradescope_utils, jinja2"
"$here/.venv/bin/grader" validate "$here/$problem"
# Refuse loudly (a failed image build) if student code would not be isolated in this container.
"$here/.venv/bin/python" -m grader.gradescope.preflight "$here/$problem"
echo "setup.sh: autograder for $problem ready"
"""  # noqa: E501 (the script's own lines, written out as they are)

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission, as root, from /autograder (its image build copies
# it to /autograder/run_autograder; the zip itself is in /autograder/source). It grades
# $root/submission and writes $root/results/results.json, and it always leaves a valid
# results.json behind, even if the grader could not start. It works from any working folder,
# as the copy and in place (/autograder/source/run_autograder).
#   GRADER_AUTOGRADER_ROOT  Gradescope's folder (default /autograder)
#   GRADER_PYTHON           the interpreter (default: .venv/bin/python of the unpacked zip)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${GRADER_AUTOGRADER_ROOT:-/autograder}"
# The unpacked zip: beside this script (in place), else <root>/source (the copy).
if [ -f "$here/gradescope.json" ]; then
  source_dir="$here"
elif [ -f "$here/source/gradescope.json" ]; then
  source_dir="$here/source"
else
  source_dir="$root/source"
fi
py="${GRADER_PYTHON:-$source_dir/.venv/bin/python}"
results="$root/results/results.json"
mkdir -p "$root/results"
export PYTHONPATH="$source_dir${PYTHONPATH:+:$PYTHONPATH}"
cd "$source_dir" 2>/dev/null || cd / || exit 0

status=0
if [ -x "$py" ] || command -v "$py" >/dev/null 2>&1; then
  "$py" -m grader.gradescope.run --root "$root" --source "$source_dir" || status=$?
else
  echo "run_autograder: no Python at $py (did setup.sh fail?)"
  status=127
fi

valid=0
if [ -s "$results" ]; then
  checker="$py"
  if ! { [ -x "$checker" ] || command -v "$checker" >/dev/null 2>&1; }; then checker=python3; fi
  if command -v "$checker" >/dev/null 2>&1 || [ -x "$checker" ]; then
    "$checker" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert isinstance(d, dict) and isinstance(d.get("tests"), list)' "$results" 2>/dev/null && valid=1
  else
    valid=1
  fi
fi
if [ "$valid" != 1 ]; then
  echo "run_autograder: the grader left no valid results.json (exit status $status); writing one"
  cat > "$results" <<JSON
{"score": 0.0, "output": "The autograder could not grade this submission because of an internal error (exit status $status), not because of your answers. Please tell your instructor and submit again later.", "visibility": "visible", "stdout_visibility": "hidden", "tests": []}
JSON
fi
exit 0
"""  # noqa: E501 (the script's own lines, written out as they are)
