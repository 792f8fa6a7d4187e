"""Notebook 05_backprop: reference, test cases, typical mistakes and catalogue (see grader/notebooks/__init__.py)."""
