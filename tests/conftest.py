"""Shared fixtures: the course built from its sources, independent of a student's working copy.

Students fill in ``notebooks/NN_topic/NN_topic.ipynb`` in place and then may run ``make test``:
tests that need "the student version" or "the solution" therefore use a fresh build of the
sources (``test_build.py`` proves it equals what is committed), never the working file.
"""
import os
import subprocess
from pathlib import Path

import pytest

from grader.authoring import build

ROOT = Path(__file__).resolve().parent.parent
#: No ``grader check`` of a test leaves a check server behind (tests/test_warm_check.py starts its own).
os.environ["CNN_COURSE_CHECK_WARM"] = "0"


@pytest.fixture(scope="session")
def built_course(tmp_path_factory) -> Path:
    """A folder with ``solutions/``, ``notebooks/`` and ``cnn_course/fixtures/`` built from the sources."""
    out = tmp_path_factory.mktemp("built-course")
    build.release(ROOT, out)
    return out


#: Tests that read the class graded by ``graded_sequential``: on one pytest-xdist worker, so it is graded once.
SMALL_CLASS = pytest.mark.xdist_group("small-class")


@pytest.fixture(scope="session")
def class_folder(tmp_path_factory, built_course) -> Path:
    """A class of notebook 02: one perfect, one blank, one half-right (pad2d returns its input), four broken,
    and five who hand in what is not their own notebook file (:data:`NOT_THEIR_OWN`)."""
    import nbformat

    from tests.course_copies import solved_notebook, with_sources

    folder = tmp_path_factory.mktemp("submissions")
    assignment = "02_padding_stride"

    def with_cells(**sources):
        return with_sources(solved_notebook(built_course, assignment), sources)

    nbformat.write(solved_notebook(built_course, assignment), folder / "alice__02_padding_stride.ipynb")
    (folder / "bob__02_padding_stride.ipynb").write_bytes(
        (built_course / "notebooks" / assignment / f"{assignment}.ipynb").read_bytes())
    nbformat.write(with_cells(pad2d=WRONG_PAD2D), folder / "carol__02_padding_stride.ipynb")
    (folder / "dave__02_padding_stride.ipynb").write_text("{ not json")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), folder / "erin__homework.ipynb")
    nbformat.write(with_cells(conv_output_size="import os\nos._exit(1)\n"), folder / "frank__02_padding_stride.ipynb")
    (folder / "gina").mkdir()  # an LMS folder where the upload is not a notebook
    (folder / "gina" / "02_padding_stride.pdf").write_bytes(b"%PDF-1.4")
    solution = built_course / "solutions" / assignment
    for name, target in (("mallory__02_padding_stride.ipynb", solution / f"{assignment}.ipynb"),
                         ("oscar__02_padding_stride.ipynb", folder / "alice__02_padding_stride.ipynb"),
                         ("peggy__02_padding_stride.ipynb", Path("/etc/shadow")), ("trent", solution)):
        (folder / name).symlink_to(target)
    os.mkfifo(folder / "wendy__02_padding_stride.ipynb")
    return folder


#: Students of ``class_folder`` whose submission is a link (to the solution, a classmate's notebook, /etc/shadow,
#: the solutions' folder) or a FIFO, and the reason each is not graded.
NOT_THEIR_OWN = {"mallory": "mallory__02_padding_stride.ipynb is a symbolic link",
                 "oscar": "oscar__02_padding_stride.ipynb is a symbolic link",
                 "peggy": "peggy__02_padding_stride.ipynb is a symbolic link",
                 "trent": "trent is a symbolic link",
                 "wendy": "wendy__02_padding_stride.ipynb is a FIFO, not a regular file"}


#: carol's pad2d: returns its input, unpadded.
WRONG_PAD2D = "def pad2d(x, pad, value=0.0):\n    return x.copy()\n"


@pytest.fixture(scope="session")
def graded_sequential(class_folder, tmp_path_factory) -> Path:
    """``class_folder`` graded by one process; its course folder (what grade printed: ``printed.txt`` and
    ``stderr.txt`` beside it)."""
    import contextlib
    import io

    from grader.cli import main as grader_main

    out = tmp_path_factory.mktemp("seq") / "course"
    printed, warned = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(warned):
        assert grader_main(["grade", str(class_folder), "--out", str(out)]) == 1  # some could not be graded
    (out.parent / "printed.txt").write_text(printed.getvalue())
    (out.parent / "stderr.txt").write_text(warned.getvalue())
    return out


def committed_text(relative: str) -> str | None:
    """The file as committed (git HEAD), or None outside a git checkout or for a file not committed yet."""
    try:
        return subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def tracked_files(folder: str) -> set[Path] | None:
    """Files under ``folder`` (relative to the repository) that git tracks, or None outside a git checkout.

    A student's working copies in ``notebooks/`` (JupyterLab's "Duplicate" makes
    ``NN_topic-Copy1.ipynb``, checkpoints, exports) are never tracked: tests about what the
    repository ships look at these files only.
    """
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", folder], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {Path(name) for name in listed.split("\0") if name}


def failure_message(outcome: dict, expected: dict, variants: list[tuple[str, dict]]) -> str | None:
    """One case judged alone: ``None`` when right, else the problem and the hint (``checks.judge_cases``)."""
    from cnn_course.checks import judge_cases

    return judge_cases([(outcome, expected, lambda: variants)])[0]


def draws_per_change(widget, control, values) -> list[int]:
    """How many times ``widget`` redraws as ``control`` takes each of ``values`` in turn (one count per
    value that moves it: a value equal to the current one changes nothing and is skipped).

    What a widget's latency depends on that a test can hold without a clock: one move of a control
    draws once (a dependent control it adjusts must not draw again, see ``FigureWidget.quietly``).
    """
    counts, draw = [], widget.draw

    def counted(**values):
        counts[-1] += 1
        return draw(**values)

    widget.draw = counted
    try:
        for value in values:
            if value == control.value:
                continue
            counts.append(0)
            control.value = value
    finally:
        widget.draw = draw
    return counts


def pytest_collection_modifyitems(items):
    """Slow tests first: pytest-xdist hands out work in this order, so a long test never ends the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _quick_widget_pictures(monkeypatch):
    """Widgets built in this process (the headless widget tests) render their PNGs at a third of the size.

    What they test (the picture changes, the text, the notes) does not depend on the resolution; the
    students' resolution is drawn by the notebooks' kernels (browser test, `make benchmark`).
    """
    from cnn_course.widgets import FigureWidget

    monkeypatch.setattr(FigureWidget, "render_scale", 0.5)


def layout_problems(figure) -> list[str]:
    """What a student would see wrong in a widget's picture, from the drawn boxes (as the PNG shows them): titles
    and labels that overlap one another, and a panel's text that runs past its panel (a clipped placeholder)."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    texts = [(None, figure._suptitle)] + [(ax, text) for ax in figure.axes if ax.get_visible()
                                           for text in [ax.title, *ax.texts]]
    drawn = [(ax, t.get_text(), t.get_window_extent(renderer)) for ax, t in texts
             if t is not None and t.get_text() and t.get_visible()]
    problems = [f"{a!r} overlaps {b!r}" for i, (_, a, box_a) in enumerate(drawn) for _, b, box_b in drawn[i + 1:]
                if box_a.overlaps(box_b)]
    for ax, text, box in drawn:
        if ax is not None and any(t is not ax.title and t.get_text() == text for t in ax.texts):
            frame = ax.get_window_extent(renderer)
            if box.x0 < frame.x0 - 1 or box.x1 > frame.x1 + 1:
                problems.append(f"{text!r} runs past its panel")
    return problems


def children_of(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (with ``pid`` a child subreaper, every orphan that escaped it too)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found
