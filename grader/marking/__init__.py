"""The marking web app for hand-graded parts (`grader mark`)."""
