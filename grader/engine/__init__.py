"""The grading engine: from a class folder to scores, feedback and the gradebook.

``batch`` (``grader grade``) finds the submissions and hands them to grading processes (``workers``), or to
Dask workers (``cluster``, ``--scheduler``); ``autograde`` grades one
submission with nbgrader's converters (``converters``) in a private shard of the gradebook
(``gradebook``); ``execute`` runs it in the sandbox kernel (``sandbox``); ``preprocessors`` judge
the recorded outcomes (``schema``); ``feedback`` writes the student's page and ``grades`` the tables.
``student_files`` reads what students hand in, ``phases`` times each step.
"""
