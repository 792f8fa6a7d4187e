"""The repository keeps its promises: one environment, two commands, instructor files kept apart."""
import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_and_pyproject_name_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda_names = {_name(d) for d in conda if isinstance(d, str)} - {"python", "pip"}
    assert conda_names == pip_names
    assert {"pip": ["--editable ."]} in conda  # the course package itself


def test_readme_quick_start_is_exactly_make_lab_and_make_test():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```(?:sh|bash)?\n(.*?)```", quick, re.S)[0].strip().splitlines()
    assert [c.split("#")[0].strip() for c in commands] == ["make lab", "make test"]


def test_ci_runs_make_test_and_tolerates_no_tests_collected():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and '"$status" -eq 5' in ci


def test_instructor_working_folders_are_ignored_by_git():
    """Everything grading and the class report write holds student data: none of it may be committed by accident."""
    from grader.engine.grades import RESUBMISSIONS
    from grader.instructor.report import REPORT_FILES

    folders = ["submitted/x", "autograded/x", "feedback/x", "gradebook.db", "grades.csv", "grades-detail.csv",
               "grades-canvas.csv", "nbgrader-grades.csv", "release/x", ".venv/x", "exchange/x", "dist/x", *REPORT_FILES,
               RESUBMISSIONS]
    ignored = subprocess.run(["git", "check-ignore", *folders], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert ignored == folders


def test_nbgrader_configuration(tmp_path):
    from traitlets.config import Config
    c = Config()
    # The course folder is the config file's folder (here an empty copy: nothing of the checkout is touched).
    config_file = tmp_path / "nbgrader_config.py"
    shutil.copyfile(ROOT / "nbgrader_config.py", config_file)
    exec(config_file.read_text(), {"get_config": lambda: c, "__file__": str(config_file)})
    assert c.CourseDirectory.source_directory == str(tmp_path / "solutions")
    assert c.CourseDirectory.release_directory == str(tmp_path / "notebooks")
    exchange = tmp_path.parent / f"{tmp_path.name}-exchange"  # beside the course folder: that can be closed
    assert c.Exchange.root == str(exchange) and exchange.is_dir() and exchange.stat().st_mode & 0o7777 == 0o1777
    assert c.Execute.timeout > 0 and c.OverwriteCells.add_missing_cells is True
    steps = c.Autograde.autograde_preprocessors
    # Student code runs in the sandbox kernel (nbgrader's Execute replaced), then the records are judged.
    assert steps[steps.index("grader.engine.execute.SandboxedExecute") + 1] == "grader.engine.preprocessors.JudgeRecords"
    assert c.Execute.kernel_name == "cnn-course-sandbox"
    assert "*.py" in c.CourseDirectory.ignore  # notebook sources hold the solutions


def test_student_package_never_imports_grader():
    for path in (ROOT / "cnn_course").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            assert not any(n == "grader" or n.startswith("grader.") for n in names), f"{path} imports {names}"


def test_student_package_imports_without_grader_installed(tmp_path):
    # Students do not get grader/: the package and its widgets must import and run without it.
    code = ("import sys; sys.modules['grader'] = None\n"
            "import cnn_course, cnn_course.checks, cnn_course.record, cnn_course.widgets\n"
            "cnn_course.checks._fixtures()\n")
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True)


def test_readme_table_lists_every_notebook_and_its_graded_functions():
    from grader import config
    from grader.course import notebooks

    readme = (ROOT / "README.md").read_text()
    table = readme.split("## The notebooks", 1)[1].split("\n\n", 2)[1]
    rows = {re.match(r"\| `(\w+)`", line).group(1): line for line in table.splitlines() if re.match(r"\| `\d\d_", line)}
    assert sorted(rows) == config.assignments()
    for assignment, row in rows.items():
        missing = [f for f in notebooks.functions(assignment) if f"`{f}`" not in row]
        assert not missing, f"README row of {assignment} does not name {missing}"


def test_gradebooks_get_nbgrader_schema_head_without_its_subprocess(tmp_path):
    """nbgrader asks `alembic heads` (a 3.5 s subprocess) for the schema version of every new gradebook;
    the course reads it from nbgrader's migration files instead: the same answer, the same gradebook."""
    import nbgrader.api
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    from nbgrader import dbutil

    from grader.config import alembic_head, course_config

    settings = AlembicConfig()
    settings.set_main_option("script_location", dbutil.ALEMBIC_DIR)
    assert alembic_head() == ScriptDirectory.from_config(settings).get_current_head()
    course_config(tmp_path)  # what every grading command applies
    assert nbgrader.api.get_alembic_version is alembic_head
    import sqlite3
    with nbgrader.api.Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}"):
        pass
    with sqlite3.connect(tmp_path / "gradebook.db") as db:
        assert db.execute("select version_num from alembic_version").fetchall() == [(alembic_head(),)]


def test_make_lab_and_instructor_start_jupyter_as_root_only_when_root():
    import os

    for target in ("lab", "instructor"):
        recipe = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True).stdout
        line = next(line for line in recipe.splitlines() if "jupyter lab" in line)
        assert ("--allow-root" in line) == (os.geteuid() == 0), line


def test_every_jupyter_server_of_the_venv_loads_the_formgrader_protection():
    """Plain ``.venv/bin/jupyter lab``, started anywhere, escapes formgrader's pages (lab/server/cnn_course.json, which
    the Makefile installs into the environment's jupyter_server_config.d: an editable install copies no data file)."""
    import json

    source = ROOT / "lab" / "server" / "cnn_course.json"
    assert json.loads(source.read_text()) == {"ServerApp": {"jpserver_extensions": {"grader.formgrader_csp": True}}}
    makefile = (ROOT / "Makefile").read_text()
    assert "cp lab/server/cnn_course.json $(VENV)/etc/jupyter/jupyter_server_config.d/cnn_course.json" in makefile
    installed = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "cnn_course.json"
    if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():  # the environment `make` built
        assert installed.read_text() == source.read_text()


def test_an_assignment_is_named_by_its_id_or_its_number():
    from grader.layout import assignment_named

    assert assignment_named("02_padding_stride") == assignment_named("02") == assignment_named("2") == "02_padding_stride"
    with pytest.raises(ValueError, match="01_local_connectivity"):
        assignment_named("99")
    with pytest.raises(ValueError):
        assignment_named("padding")
