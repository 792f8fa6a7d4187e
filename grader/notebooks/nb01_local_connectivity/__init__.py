"""Notebook 01_local_connectivity: reference, test cases, typical mistakes and catalogue (see grader/notebooks/__init__.py)."""
