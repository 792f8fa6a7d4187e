"""Notebook 06_transposed_convolution: reference, test cases, typical mistakes and catalogue (see grader/course/notebooks/__init__.py)."""
