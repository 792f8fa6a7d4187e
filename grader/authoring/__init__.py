"""Authoring: building the notebooks, the solution notebooks and the visible fixtures from the sources
(``build``, ``grader build``), and the student bundle (``bundle``, ``grader bundle``)."""
