"""Running the grader inside Gradescope's autograder container.

- :mod:`grader.gradescope.build` makes the zip instructors upload (``grader gradescope``).
- :mod:`grader.gradescope.run` is what ``run_autograder`` calls: it grades
  ``<root>/submission`` and always writes ``<root>/results/results.json``.
- :mod:`grader.gradescope.results` turns a report into Gradescope's results format.
- :mod:`grader.gradescope.unittests` runs an instructor's gradescope-utils tests in a
  subprocess isolated like the sandbox's children, and merges every one of them (skipped,
  failed subtests, broken fixtures too).
- :mod:`grader.gradescope.preflight` is setup.sh's last step: it refuses an image where
  student code would not run isolated.
"""
