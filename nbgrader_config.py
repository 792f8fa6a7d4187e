# nbgrader reads this file from the folder it runs in: the course's settings live in grader/config.py.
# The course folder is this file's folder (a copy or clone of the course is a course of its own).
from pathlib import Path

from grader.config import configure, configure_instructor
from grader.engine.gradebook import register_course

c = get_config()  # noqa: F821 - get_config is provided by nbgrader
configure(c, Path(__file__).resolve().parent)
configure_instructor(c, Path(__file__).resolve().parent)
register_course(c)  # the released assignments, in the course gradebook (grader/engine/gradebook.py)
