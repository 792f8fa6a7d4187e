"""Notebook 02_padding_stride: reference, test cases, typical mistakes and catalogue (see grader/course/notebooks/__init__.py)."""
