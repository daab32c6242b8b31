"""Child process: run an instructor's gradescope-utils tests through JSONTestRunner.

Run as ``python -I unittest_child.py TESTS_DIR OUT WORK_DIR`` (OUT: a file, or ``fd:N`` for an
inherited file descriptor). It imports nothing from
the grader (``-I`` keeps the script's folder and the environment off ``sys.path``), imports its
own dependencies before the student's folder goes on ``sys.path`` (a student's ``unittest.py``
cannot replace them), and streams one JSON line per event to OUT_FILE, so the parent keeps
whatever finished even if the run is killed at its time limit.

JSONTestRunner's result class drops skipped tests, expected failures, unexpected successes
and tests whose subtests failed, and crashes when a setUpClass/setUpModule fails
(gradescope-utils issues #5 and #40). The subclass below reports each of those, with the
test's weight, and records fixture errors so the parent can say which tests never ran.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import unittest

from gradescope_utils.autograder_utils.json_test_runner import JSONTestResult, JSONTestRunner

MAX_TEXT = 20000


def _write(record: dict) -> None:
    """Overwritten in main() with a writer to OUT_FILE."""


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "\n[output truncated]"


def _method_attr(test, name: str):
    return getattr(getattr(test, getattr(test, "_testMethodName", ""), None), name, None)


def iter_tests(suite):
    """Every test case of a nested suite, to announce the plan before anything runs (a test
    that never reports is then listed as not run instead of vanishing)."""
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from iter_tests(item)
        else:
            yield item


class KeepEveryResult(JSONTestResult):
    """JSONTestResult that reports every test, whatever happened to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._subtest_failures: dict[str, list] = {}
        self._finished: set[str] = set()

    # -- outcomes that JSONTestResult reports itself -------------------------------------
    def processResult(self, test, err=None):
        """Report passes, failures and errors as records; fixture errors and leaderboard entries get their own kinds."""
        if not isinstance(test, unittest.TestCase):  # an _ErrorHolder: a class/module fixture failed
            _write({"kind": "fixture_error", "description": str(getattr(test, "description", test)),
                    "error": _clip(self._exc_text(err))})
            return
        if self.getLeaderboardData(test)[0]:
            super().processResult(test, err)
            _write({"kind": "leaderboard", "entry": self.leaderboard[-1]})
            return
        status = "passed"
        if err is not None:
            status = "failed" if issubclass(err[0], test.failureException) else "error"
        self._finish(test, status, err)

    # -- outcomes that JSONTestResult silently drops --------------------------------------
    def addSkip(self, test, reason):
        """A skipped test is reported (as earning no points) instead of silently dropped."""
        super().addSkip(test, reason)
        if isinstance(test, unittest.TestCase):
            self._finish(test, "skipped", note=f"Skipped: {reason}. This test earned no points.")
        else:
            _write({"kind": "fixture_error", "description": str(getattr(test, "description", test)),
                    "error": f"skipped: {reason}"})

    def addExpectedFailure(self, test, err):
        """Reported with a note, since the base result drops it."""
        super().addExpectedFailure(test, err)
        self._finish(test, "expected_failure",
                     note="Expected failure: the test is marked @expectedFailure and failed as expected "
                          "(unittest counts this as a success).")

    def addUnexpectedSuccess(self, test):
        """Reported with a note (unittest counts it as a failure), since the base result drops it."""
        super().addUnexpectedSuccess(test)
        self._finish(test, "unexpected_success",
                     note="Unexpected success: the test is marked @expectedFailure but passed "
                          "(unittest counts this as a failure).")

    def addSubTest(self, test, subtest, err):
        """Remember failed subtests: such a test gets no addFailure, so :meth:`stopTest` reports it."""
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._subtest_failures.setdefault(test.id(), []).append((subtest, err))

    def stopTest(self, test):
        """Report a test whose subtests failed before the base class discards its captured output."""
        # A test whose subtests failed gets neither addSuccess nor addFailure: report it here,
        # before the base class empties the captured output.
        if test.id() in self._subtest_failures and test.id() not in self._finished:
            self._finish(test, "subtest_failed")
        super().stopTest(test)

    # -- building one record ---------------------------------------------------------------
    def _exc_text(self, err) -> str:
        if not err:
            return ""
        return "".join(traceback.format_exception_only(err[0], err[1])).strip()

    def _finish(self, test, status: str, err=None, note: str = "") -> None:
        self._finished.add(test.id())
        record = self.buildResult(test, err)
        failures = self._subtest_failures.get(test.id(), [])
        if failures and status == "passed":
            status = "subtest_failed"
        lines = [note] if note else []
        if failures:
            lines.append(f"{len(failures)} subtest(s) failed.")
            hidden = self.getHideErrors(test)
            if hidden:
                lines.append(str(hidden))
            else:
                for subtest, sub_err in failures[:20]:
                    desc = subtest._subDescription() if hasattr(subtest, "_subDescription") else str(subtest)
                    lines.append(f"- {desc}: {self._exc_text(sub_err)}")
        lost = status in ("skipped", "unexpected_success", "subtest_failed")
        if lost:
            record["status"] = "failed"
            if "score" in record and (status != "subtest_failed" or self.getScore(test) is None):
                record["score"] = 0.0
        # What may be shown before the due date: the outcome, never an assertion's message or
        # the test's printed output (they may state the expected values).
        brief = list(lines[:1]) if note else []
        if failures:
            brief.append(f"{len(failures)} subtest(s) failed.")
        if err is not None:
            brief.append(f"{'Failed' if status == 'failed' else 'Error'}: {err[0].__name__}")
        record["brief"] = "\n".join(brief)
        if lines:
            text = record.get("output", "")
            record["output"] = _clip("\n".join(lines) + ("\n\n" + text if text else ""))
        record["extra_data"] = {"unittest_status": status}
        self.results.append(record)
        _write({"kind": "result", "id": test.id(), **record})


def _plan(suite, probe: KeepEveryResult) -> None:
    for test in iter_tests(suite):
        if not isinstance(test, unittest.TestCase):
            continue
        tags = _method_attr(test, "__tags__")
        _write({"kind": "plan", "id": test.id(), "name": probe.getDescription(test),
                "weight": _method_attr(test, "__weight__"), "number": _method_attr(test, "__number__"),
                "visibility": _method_attr(test, "__visibility__"),
                "tags": list(tags) if tags else None,
                "leaderboard": bool(_method_attr(test, "__leaderboard_column__"))})


def main(argv: list[str]) -> int:
    """Discover and run the tests, writing one JSON event per line (plan, results, done) to the
    grader's file or fd, flushed each time, so a crash mid-run still leaves what happened."""
    global _write
    tests_dir, out_file, work_dir = argv[1], argv[2], argv[3]
    if out_file.startswith("fd:"):
        out = os.fdopen(int(out_file[3:]), "a", encoding="utf-8")
    else:
        out = open(out_file, "a", encoding="utf-8")

    def write(record: dict) -> None:
        out.write(json.dumps(record, default=str) + "\n")
        out.flush()

    _write = write
    sys.path.insert(0, work_dir)
    os.chdir(work_dir)
    suite = unittest.TestLoader().discover(tests_dir, pattern="test*.py", top_level_dir=tests_dir)
    runner = JSONTestRunner(stream=open(os.devnull, "w"), buffer=True)
    runner.resultclass = KeepEveryResult
    _plan(suite, KeepEveryResult(None, True, 1, [], [], ""))
    write({"kind": "start"})
    runner.run(suite)
    write({"kind": "done"})
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
