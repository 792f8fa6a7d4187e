"""Notebook 01_local_connectivity: reference, test cases, typical mistakes and catalogue (see grader/course/notebooks/__init__.py)."""
