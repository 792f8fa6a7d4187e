"""Notebook 06_transposed_convolution: reference, test cases, typical mistakes and catalogue (see grader/notebooks/__init__.py)."""
