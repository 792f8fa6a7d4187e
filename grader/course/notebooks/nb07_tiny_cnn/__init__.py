"""Notebook 07_tiny_cnn: reference, test cases, typical mistakes and catalogue (see grader/course/notebooks/__init__.py)."""
