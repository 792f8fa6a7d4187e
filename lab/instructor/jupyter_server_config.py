# The instructor face (`make instructor`): JupyterLab on the course root with nbgrader's formgrader.
#
# formgrader runs each command (Autograde, Generate Feedback, Release ...) at the level of the
# server's own logger and shows everything it logged in its dialog. That logger is at DEBUG by
# default (its console handler filters), so the dialog fills with kernel messages an instructor
# reads as errors. At INFO it shows what the command did; `--debug` still works for the console.
c = get_config()  # noqa: F821 - provided by jupyter_server
c.ServerApp.logging_config = {"loggers": {"ServerApp": {"level": "INFO"}}}
# formgrader's grading view shows students' notebooks with the instructor's cookies: it is sent with a strict
# Content-Security-Policy whose nonce only nbgrader's own scripts carry (grader/formgrader_csp.py).
c.ServerApp.jpserver_extensions.update({"grader.formgrader_csp": True})
