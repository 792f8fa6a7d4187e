"""The course's knowledge: what is right, what is typically wrong, and how to say so.

``notebooks/nbNN_topic/`` holds each notebook's reference, typical mistakes and catalogue of student
code (found by convention, :mod:`grader.course.notebooks`); ``reference``, ``mistakes`` and
``catalogue`` gather them for every notebook; ``validation`` holds the argument checks the references
share; ``verdict`` judges a case set's recorded outcomes and names the mistake. The test cases are not
here: the student's kernel runs them, so they live apart, in ``grader/cases/``.
"""
