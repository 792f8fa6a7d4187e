"""Instructor-only code: reference implementations, test cases, verdicts, the grading command line.

Students never get this package; ``cnn_course`` (the student-facing helpers) never imports it.
"""
