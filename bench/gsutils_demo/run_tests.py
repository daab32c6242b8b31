"""Gradescope's usual `run_autograder` body: run the unittest suite through JSONTestRunner.

    SUBMISSION=answers.json python run_tests.py results.json      one submission (what Gradescope does)
    python run_tests.py --many OUT_DIR a.json b.json ...            many, in this one process
"""

import os
import sys
import unittest

from gradescope_utils.autograder_utils.json_test_runner import JSONTestRunner

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_demo  # noqa: E402


def run_one(out_path):
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(test_demo.DemoTests)
    with open(out_path, "w") as fh:
        JSONTestRunner(visibility="visible", stream=fh).run(suite)


if __name__ == "__main__":
    if sys.argv[1] == "--many":
        out_dir = sys.argv[2]
        for sub in sys.argv[3:]:
            os.environ["SUBMISSION"] = sub
            run_one(os.path.join(out_dir, os.path.basename(sub)))
    else:
        run_one(sys.argv[1])
