"""The last step of the zip's setup.sh: prove, before any student submits, that student code
will run isolated in this container, and refuse loudly (exit status 1, so Gradescope reports
the image build as failed) when it would not.

    python -m grader.gradescope.preflight PROBLEM_DIR

As root it runs a probe through the sandbox and, when the problem has instructor unittest
tests, one probe test through their runner, and checks what student code would see: a uid
that is not root, no readable problem folder or solver, no variable of the grader's
environment. It names the isolation it found (namespaces and a whitelist root, or, in a
container without CAP_SYS_ADMIN such as Docker's default, permissions only).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

PROBE = '''
import os


def probe(paths):
    readable = []
    for path in paths:
        try:
            with open(path, "rb") as fh:
                fh.read(1)
            readable.append(path)
        except OSError:
            pass
    import decimal, email.message, json  # the standard library must be reachable
    return {"uid": os.getuid(), "gid": os.getgid(), "env": sorted(os.environ), "readable": readable}
'''

PROBE_TEST = '''
import os
import unittest

from gradescope_utils.autograder_utils.decorators import weight

SECRETS = {paths!r}
ENV = {env!r}


class Probe(unittest.TestCase):
    @weight(1)
    def test_isolated(self):
        """preflight"""
        self.assertNotEqual(os.getuid(), 0, "instructor tests run as root")
        for path in SECRETS:
            self.assertFalse(os.access(path, os.R_OK), path + " is readable")
        leaked = sorted(set(os.environ) & set(ENV))
        self.assertEqual(leaked, [], "grader environment variables reach the tests")
'''

ALLOWED_ENV = {"PATH", "LANG", "HOME", "TMPDIR", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
               "MKL_NUM_THREADS"}


def secrets_of(problem: Path) -> list[str]:
    """Files of the problem folder (at most 50) that the probe test checks student code cannot read."""
    return [str(p) for p in sorted(problem.rglob("*")) if p.is_file()][:50]


def check_sandbox(problem: Path) -> tuple[list[str], list[str]]:
    """(problems, notes) of student code run through the sandbox."""
    from grader.sandbox.forkserver import get_server
    from grader.sandbox.session import InternalError, SandboxSession

    caps = get_server().caps
    mode = ("namespaces and a whitelist root" if caps.get("mountns") else
            "permissions only (no mount namespaces here, e.g. a Docker container without "
            "CAP_SYS_ADMIN): a uid of its own, hidden folders closed to other users")
    notes = [f"sandbox isolation: {mode}"]
    problems: list[str] = []
    if not caps.get("mountns"):  # no whitelist root exposes the installation: permissions must
        from grader.gradescope.unittests import _runtime_paths, unreachable_for
        from grader.sandbox.limits import SandboxConfig

        probe_id = SandboxConfig().uid_base + 1
        blocked = unreachable_for(probe_id, probe_id, _runtime_paths(sys.executable))
        if blocked:
            problems.append(f"student code runs as a uid of its own, which cannot reach the Python "
                            f"installation: {', '.join(blocked)} is closed to other users (use a "
                            "Python others may read, e.g. the system's python3)")
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "preflight_probe.py"
        file.write_text(PROBE, encoding="utf-8")
        session = SandboxSession(hide=[problem])
        try:
            name = session.add_file(file)
            result = session.call(name, "probe", [secrets_of(problem)])
        except InternalError as exc:
            return [f"the sandbox could not run student code: {exc}"], notes
        finally:
            session.close()
        notes += [f"sandbox: {w}" for w in session.warnings]
    if not result.ok:
        return [f"student code could not run in the sandbox: {result.describe()}"], notes
    facts = result.value
    if facts.get("uid") == 0 or facts.get("gid") == 0:
        problems.append("student code would run as root")
    if facts.get("readable"):
        problems.append(f"student code could read {', '.join(facts['readable'][:5])}")
    extra = sorted(set(facts.get("env") or []) - ALLOWED_ENV)
    if extra:
        problems.append(f"the grader's environment reaches student code: {', '.join(extra)}")
    return problems, notes


def check_instructor_tests(problem: Path) -> list[str]:
    """Problems found by running one probe test through the instructor-test runner; [] when isolated."""
    from grader.gradescope.unittests import run_instructor_tests

    with tempfile.TemporaryDirectory() as tmp:
        tests, work = Path(tmp) / "tests", Path(tmp) / "submission"
        tests.mkdir()
        work.mkdir()
        env = sorted(k for k in os.environ if k not in ALLOWED_ENV)
        (tests / "test_preflight.py").write_text(
            PROBE_TEST.format(paths=secrets_of(problem), env=env), encoding="utf-8")
        run = run_instructor_tests(tests, work, timeout=120, hide=[problem])
    tests_run = run.tests
    if len(tests_run) != 1 or tests_run[0].get("score") != 1:
        detail = tests_run[0].get("output", "") if tests_run else "no result"
        return [f"instructor unittest tests would not run safely: {detail}"] + run.log[-3:]
    return []


def main(argv: list[str] | None = None) -> int:
    """Exit 1 (failing Gradescope's image build) when student code would not run isolated; 0 otherwise."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m grader.gradescope.preflight PROBLEM_DIR", file=sys.stderr)
        return 2
    problem = Path(argv[0]).resolve()
    if os.geteuid() != 0:
        print("preflight: not root, so student code cannot get a uid of its own here; on "
              "Gradescope setup.sh runs as root (docs/sandbox.md)")
        return 0
    from grader.gradescope.unittests import tests_dir

    problems, notes = check_sandbox(problem)
    folder = tests_dir(problem)
    if folder is not None:
        problems += check_instructor_tests(problem)
    for note in notes:
        print(f"preflight: {note}")
    if problems:
        print("preflight: REFUSED: student code would not be isolated in this container:", file=sys.stderr)
        for line in problems:
            print(f"  - {line}", file=sys.stderr)
        print("preflight: fix the image (docs/gradescope.md, 'If setup.sh fails') rather than grade "
              "without isolation.", file=sys.stderr)
        return 1
    print("preflight: student code runs isolated" + (" (instructor tests too)" if folder else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
