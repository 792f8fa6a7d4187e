"""``python -m grader benchmark``: where users wait, measured on this machine.

Times, for every notebook: executing the solution version (students' "run all"),
``grader check`` on a fully solved copy (what a self-study learner waits for), and
``grader grade`` of a class of copies, sequential and with ``--jobs 2``; then the
widgets' time per slider move (redraw, PNG, texts; the browser's own drawing excluded).
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


def solved_copy(assignment: str, folder: Path, name: str) -> Path:
    """The solution notebook saved as a student's submission would be."""
    path = folder / name
    shutil.copyfile(solution_notebook(assignment), path)
    return path


def main() -> int:
    from .batch import grade

    print(f"{'notebook':<24} {'run all':>9} {'check':>9} {'overhead':>9} {'grade x' + str(CLASS_SIZE):>10} "
          f"{'--jobs 2':>10}")
    for assignment in assignments():
        cached_template(assignment)  # made once per notebook version, not part of a learner's wait
        run_all = _timed(_execute, solution_notebook(assignment))
        with tempfile.TemporaryDirectory() as work:
            work = Path(work)
            mine = solved_copy(assignment, work, f"{assignment}.ipynb")
            checked = _timed(_check_command, mine)
            klass = work / "class"
            klass.mkdir()
            for i in range(CLASS_SIZE):
                solved_copy(assignment, klass, f"student{i}__{assignment}.ipynb")
            sequential = _timed(lambda: grade(str(klass), work / f"seq{time.time_ns()}", jobs=1), repeat=1)
            parallel = _timed(lambda: grade(str(klass), work / f"par{time.time_ns()}", jobs=2), repeat=1)
        print(f"{assignment:<24} {run_all:>8.2f}s {checked:>8.2f}s {checked - run_all:>8.2f}s {sequential:>9.1f}s "
              f"{parallel:>9.1f}s")
    print(f"\nrun all: the solution notebook executed top to bottom in a kernel (median of 3). check: "
          f"`python -m grader check` on a solved copy, a fresh process, wall time (median of 3); overhead: "
          f"check minus run all. grade: `grader grade` of a class of {CLASS_SIZE} solved copies, wall time "
          f"including the gradebook, feedback HTML and grades.csv.")
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
        for name, control in widget.controls.items():
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
