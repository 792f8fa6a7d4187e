"""``python -m grader benchmark``: where users wait, measured on this machine.

Times, for every notebook: executing the solution version (students' "run all"),
``grader check`` on a fully solved copy (what a self-study learner waits for) against a
bare nbclient execution of the same copy in a fresh process, and ``grader grade`` of a class
of copies (sandboxed), sequential and with ``--jobs 2``, against plain ``nbgrader autograde``
(nbgrader's default configuration: unsandboxed, one process) of the same submissions; then
the widgets' time per slider move (redraw, PNG, texts; the browser's own drawing excluded).
"""
from __future__ import annotations

import contextlib
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .autograde import cached_template, quiet_stderr, solution_notebook
from .build import assignments

CLASS_SIZE = 6


def _timed(function, *args, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as cwd, quiet_stderr():
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": cwd}}).execute()


def _check_command(path: Path) -> None:
    """``python -m grader check PATH`` as a learner runs it: a fresh process, start-up included."""
    subprocess.run([sys.executable, "-m", "grader", "check", str(path)], check=True, capture_output=True)


BARE = """import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
"""


def _bare_command(path: Path) -> None:
    """A minimal nbclient script executing the notebook, in a fresh process: what ``check`` adds to."""
    subprocess.run([sys.executable, "-c", BARE, str(path)], check=True, capture_output=True, cwd=path.parent)


def plain_autograde(assignment: str, work: Path, size: int) -> float:
    """Seconds ``nbgrader autograde`` takes for ``size`` solved copies, in nbgrader's default configuration.

    A course folder of its own (``source/``, ``submitted/``); ``generate_assignment`` is not timed.
    Its hidden tests score 0 there (nothing judges the records), which changes no time.
    """
    course = work / "plain"
    (course / "source" / assignment).mkdir(parents=True)
    shutil.copyfile(solution_notebook(assignment), course / "source" / assignment / f"{assignment}.ipynb")
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    for i in range(size):
        target = course / "submitted" / f"student{i}" / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copyfile(solution_notebook(assignment), target)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run(nbgrader + ["generate_assignment", assignment, "--force"], cwd=course, check=True,
                   capture_output=True)
    start = time.perf_counter()
    subprocess.run(nbgrader + ["autograde", assignment, "--create"], cwd=course, check=True, capture_output=True)
    return time.perf_counter() - start


def solved_copy(assignment: str, folder: Path, name: str) -> Path:
    """The solution notebook saved as a student's submission would be."""
    path = folder / name
    shutil.copyfile(solution_notebook(assignment), path)
    return path


def main(only: list[str] | None = None) -> int:
    """Time every notebook (or those in ``only``), then every widget."""
    from .batch import grade
    from .sandbox import problem

    where = "sandboxed" if not problem() else f"NOT sandboxed ({problem()})"
    print(f"grading kernels: {where}")
    print(f"{'notebook':<24} {'run all':>8} {'bare':>7} {'check':>7} {'ratio':>6} {'grade x' + str(CLASS_SIZE):>10} "
          f"{'--jobs 2':>9} {'autograde':>10} {'speed-up':>9}")
    for assignment in only or assignments():
        cached_template(assignment)  # made once per notebook version, not part of a learner's wait
        run_all = _timed(_execute, solution_notebook(assignment))
        with tempfile.TemporaryDirectory() as work:
            work = Path(work)
            mine = solved_copy(assignment, work, f"{assignment}.ipynb")
            bare = _timed(_bare_command, mine)
            checked = _timed(_check_command, mine)
            klass = work / "class"
            klass.mkdir()
            for i in range(CLASS_SIZE):
                solved_copy(assignment, klass, f"student{i}__{assignment}.ipynb")
            sequential = _timed(lambda klass=klass, work=work: grade(str(klass), work / f"seq{time.time_ns()}", jobs=1),
                                repeat=1)
            parallel = _timed(lambda klass=klass, work=work: grade(str(klass), work / f"par{time.time_ns()}", jobs=2),
                              repeat=1)
            plain = plain_autograde(assignment, work, CLASS_SIZE)
        print(f"{assignment:<24} {run_all:>7.2f}s {bare:>6.2f}s {checked:>6.2f}s {checked / bare:>5.2f}x "
              f"{sequential:>9.1f}s {parallel:>8.1f}s {plain:>9.1f}s {plain / parallel:>8.2f}x")
    print(f"\nrun all: the solution notebook executed top to bottom in a kernel, in this process (median of 3). "
          f"bare: a minimal nbclient script executing a solved copy, a fresh process (median of 3). check: "
          f"`python -m grader check` on the same copy, a fresh process (median of 3); ratio: check / bare "
          f"(aim: at most 1.5x). grade: `grader grade` of a class of {CLASS_SIZE} solved copies, wall time "
          f"including the gradebook, feedback HTML and grades.csv. autograde: plain `nbgrader autograde` of "
          f"the same copies, nbgrader's default configuration (no feedback HTML); speed-up: autograde / "
          f"grade --jobs 2 (aim: at least 1.5x).")
    print(widget_update_times())
    return 0


def widget_update_times(moves_per_control: int = 12) -> str:
    """Median and 95th-percentile time of a control change, for every picture module's ``demo`` widget.

    Each slider of each widget is moved back and forth over its range (drawn with the reference
    implementations, so the widget does real work); the browser's own drawing is not included.
    """
    import importlib
    import pkgutil

    import matplotlib

    matplotlib.use("Agg")
    import cnn_course.widgets as package

    from . import reference

    lines = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if not hasattr(module, "demo"):
            continue
        began = time.perf_counter()
        widget = module.demo(reference)
        build_ms = (time.perf_counter() - began) * 1000
        times = []
        for control in widget.controls.values():
            if not hasattr(control, "max") or control.disabled:
                continue
            for step in range(moves_per_control):
                low, high = control.min, control.max
                if high == low:
                    break
                value = low + (step * (high - low) // max(1, moves_per_control - 1) if step % 2 else high - step % 3)
                value = min(max(value, low), high)
                if value == control.value:
                    value = low if value != low else high
                start = time.perf_counter()
                control.value = value
                times.append((time.perf_counter() - start) * 1000)
        times.sort()
        if times:
            lines.append(f"{info.name}: built in {build_ms:.0f} ms; {len(times)} control changes: median "
                         f"{statistics.median(times):.0f} ms, 95th percentile {times[int(0.95 * (len(times) - 1))]:.0f} ms, "
                         f"max {times[-1]:.0f} ms")
    return "widgets (time per control change, the browser's drawing excluded):\n  " + "\n  ".join(lines)
