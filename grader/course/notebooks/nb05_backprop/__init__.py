"""Notebook 05_backprop: reference, test cases, typical mistakes and catalogue (see grader/course/notebooks/__init__.py)."""
