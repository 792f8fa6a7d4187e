# nbgrader reads this file from the folder it runs in: the course's settings live in grader/config.py.
from grader.config import configure

configure(get_config())  # noqa: F821 - get_config is provided by nbgrader
