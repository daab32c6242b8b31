"""One module per sub-command: add_arguments(parser) and run(args) -> exit status.

Modules here import only what their argument parsing needs at the top, so `grader --help` and
a single `grader grade` stay fast.
"""
