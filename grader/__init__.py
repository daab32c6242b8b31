"""An autograder for homework and exam answers: YAML problem specs, reference solvers, a sandbox."""

__version__ = "0.1.0"
