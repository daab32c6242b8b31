"""Running untrusted student Python in a separate, limited, unprivileged process.

Nothing heavy is imported here: the code answer type and the Python loader import
``grader.sandbox.session`` when a spec or a submission needs it.
"""
