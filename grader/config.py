"""The course's nbgrader configuration, in one place.

``nbgrader_config.py`` at the repository root applies it for nbgrader's own
command line and JupyterLab's formgrader; ``python -m grader`` applies it to the
temporary or instructor course folders it grades in.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config

# nbgrader runs the `alembic` command by name when it creates a gradebook: make sure the one
# installed beside this Python is found even when .venv/bin is not on PATH (make, CI, IDEs).
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

#: The repository (the course folder): solutions/, notebooks/, grader/, data/ ...
COURSE_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRECTORY = "solutions"
RELEASE_DIRECTORY = "notebooks"
#: Seconds one cell may run under autograde before it is interrupted (and scores 0).
CELL_TIMEOUT = 60


def configure(c: Config, root: str | Path = COURSE_ROOT, source_root: str | Path | None = None,
              db_url: str | None = None) -> Config:
    """Apply the course settings to ``c``.

    ``root`` holds nbgrader's working folders (submitted/, autograded/, feedback/);
    ``source_root`` the folder with ``solutions/`` (the repository by default).
    """
    root = Path(root).resolve()
    source_root = Path(source_root or root).resolve()
    c.CourseDirectory.course_id = "cnn-course"
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = str(source_root / SOURCE_DIRECTORY)
    c.CourseDirectory.release_directory = str(source_root / RELEASE_DIRECTORY)
    c.CourseDirectory.db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    # The jupytext sources (*.py, with solutions) must never be copied next to a student notebook.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]
    c.Execute.timeout = CELL_TIMEOUT
    c.Execute.interrupt_on_timeout = True
    # A student who deleted a test cell gets it back instead of a silent 0 (nbgrader #1682).
    c.OverwriteCells.add_missing_cells = True
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import ClearHiddenTests, Execute

    from .sandbox import KERNEL_NAME

    steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    # Student code runs only in the sandbox kernel (grader/sandbox.py), for every way of grading:
    # grader grade/check and nbgrader's own autograde and formgrader (through nbgrader_config.py).
    # By name: nbconvert imports them when autograde runs (JudgeRecords needs the reference).
    c.Execute.kernel_name = KERNEL_NAME
    steps[steps.index(Execute)] = "grader.execute.SandboxedExecute"
    steps.insert(steps.index("grader.execute.SandboxedExecute") + 1, "grader.preprocessors.JudgeRecords")
    c.Autograde.autograde_preprocessors = steps
    # Feedback shows the student's code, visible tests and verdicts, never hidden test source.
    from nbgrader.converters.generate_feedback import GenerateFeedback
    c.GenerateFeedback.preprocessors = [ClearHiddenTests] + list(GenerateFeedback.class_traits()["preprocessors"].default())
    return c


def course_config(root: str | Path = COURSE_ROOT, **kwargs) -> Config:
    return configure(Config(), root, **kwargs)
