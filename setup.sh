#!/usr/bin/env bash
# Installs the grader into .venv beside this file; Gradescope runs it as its setup script.
#   ./setup.sh          install the grader (and its dependencies)
#   ./setup.sh --test   also install the test dependencies (and the class report's)
#   ./setup.sh --report also install matplotlib and scipy, for `grader report`'s plots and statistics
#   ./setup.sh --mark   also install the marking app's server (`grader mark`)
# As root it also creates the unprivileged user that student code runs as (grader-student).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
extras=""
for arg in "$@"; do
  case "$arg" in
    --test) extras="${extras:+$extras,}test" ;;
    --report) extras="${extras:+$extras,}report" ;;
    --mark) extras="${extras:+$extras,}mark" ;;
    *) echo "setup.sh: unknown option $arg (use --test, --report or --mark)" >&2; exit 2 ;;
  esac
done
[ -z "$extras" ] || extras="[$extras]"

py="${PYTHON:-python3}"
if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    # Gradescope's Ubuntu image: make sure Python can build a virtual environment.
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
  else
    echo "setup.sh: $py cannot create a virtual environment (install python3-venv)" >&2
    exit 1
  fi
fi

if [ ! -x "$here/.venv/bin/python" ]; then
  "$py" -m venv "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
if [ -n "$extras" ]; then
  "$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$here$extras"
else
  "$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$here"
fi

# Byte-compile now: a cold `grader grade` should not compile the grader each time (and cannot
# cache it where PYTHONDONTWRITEBYTECODE is set).
"$here/.venv/bin/python" -m compileall -q "$here/grader" >/dev/null 2>&1 || true

# Warm the reference cache of the problems here (grader/reference_cache.py: beside each spec,
# keyed by solver.py's hash, so never stale): a fresh clone's first `grader grade` reads the
# reference answers instead of running every solver. Only a problem that validates is cached;
# anything else is left for `grader validate` to explain.
if [ -d "$here/problems" ]; then
  (cd "$here" && "$here/.venv/bin/grader" validate --all --variants 0 >/dev/null 2>&1) || true
fi

if [ "$(id -u)" = 0 ]; then
  # Student code runs as this user: it cannot read the problem, the solvers or the results.
  if ! id grader-student >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin grader-student 2>/dev/null \
      || adduser --system --no-create-home --disabled-login grader-student >/dev/null 2>&1 \
      || echo "setup.sh: could not create user grader-student; the sandbox will use nobody" >&2
  fi
  # The interpreter and its packages stay readable; problems/ is made private at grading time.
  chmod -R a+rX "$here/.venv" "$here/grader" 2>/dev/null || true
fi
echo "grader installed: $here/.venv/bin/grader"
