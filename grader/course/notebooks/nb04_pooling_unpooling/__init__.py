"""Notebook 04_pooling_unpooling: reference, test cases, typical mistakes and catalogue (see grader/course/notebooks/__init__.py)."""
