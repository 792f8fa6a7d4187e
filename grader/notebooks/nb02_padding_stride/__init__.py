"""Notebook 02_padding_stride: reference, test cases, typical mistakes and catalogue (see grader/notebooks/__init__.py)."""
