"""A new notebook added by following CONTRIBUTING's "Adding a notebook" alone works.

In a fresh copy of the course, this test writes exactly the files CONTRIBUTING's table lists, for a toy notebook
``08_global_pooling`` with one graded function (``global_avg_pool2d``), and follows "The path, step by step":
``python -m grader build`` (step 2), ``git add`` (step 3), the test modules CONTRIBUTING names for a new notebook
(step 4: what concerns the new notebook, and the course-wide lists), then ``python -m grader grade`` of a perfect
student (every point) and of a wrong one (no point for the function, and feedback with the hint that names it).
When a room of grader/ moves, or a convention changes without CONTRIBUTING, this test fails.
"""
from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import nbformat
import pytest

from tests.course_copies import fresh_copy, grade_rows, python_for, solved_notebook, with_sources

pytestmark = pytest.mark.slow

NEW = "08_global_pooling"

SPEC_SECTION = """\
### 08_global_pooling — 全局平均池化 (global average pooling)

- `global_avg_pool2d(x) -> y`: the mean of each feature map, `x (N, C, H, W)` to `y (N, C)`.

"""

README_ROW = ("| `08_global_pooling` 全局平均池化 | `global_avg_pool2d` | each feature map of a batch beside the one "
              "number global average pooling keeps of it |\n")

FILES = {
    "grader/course/notebooks/nb08_global_pooling/__init__.py": '''
        """Notebook 08_global_pooling: reference, typical mistakes and catalogue (see grader/course/notebooks/__init__.py)."""
    ''',
    "grader/course/notebooks/nb08_global_pooling/reference.py": '''
        """Reference implementations of notebook 08_global_pooling (the functions in ``__all__``)."""
        from __future__ import annotations

        import numpy as np

        __all__ = ["global_avg_pool2d"]


        def global_avg_pool2d(x):
            """
            Global average pooling: one number per feature map, its mean.

            Inputs:
            - x: array of shape (N, C, H, W)

            Returns:
            - y: float array of shape (N, C), y[n, c] = the mean of x[n, c]
            """
            x = np.asarray(x, dtype=np.float64)
            if x.ndim != 4:
                raise ValueError(f"x must have 4 axes (N, C, H, W), got shape {x.shape}")
            return x.mean(axis=(2, 3))
    ''',
    "grader/cases/nb08_global_pooling.py": '''
        """Cases of notebook 08_global_pooling: global average pooling, over non-square maps and batches."""
        from __future__ import annotations

        import numpy as np

        from grader.cases import Case, hidden, rng, visible


        @visible("global_avg_pool2d")
        def global_avg_pool2d_visible() -> list[Case]:
            g = rng(801)
            return [
                Case(dict(x=np.arange(12.0).reshape(1, 1, 3, 4)), "one 3x4 map holding 0..11: its mean is 5.5"),
                Case(dict(x=g.standard_normal((2, 3, 4, 5))), "a batch of 2 images, 3 channels, 4x5 maps"),
                Case(dict(x=g.standard_normal((3, 2, 1, 6))), "maps of a single row"),
            ]


        @hidden("global_avg_pool2d")
        def global_avg_pool2d_hidden() -> list[Case]:
            g = rng(802)
            return [
                Case(dict(x=g.standard_normal((4, 5, 7, 3))), "a batch of 4, 5 channels, 7x3 maps"),
                Case(dict(x=g.integers(-9, 9, size=(2, 2, 2, 3))), "integer maps: the mean is a float"),
                Case(dict(x=g.standard_normal((1, 8, 6, 6)) + 100.0), "large values, 8 channels"),
            ]
    ''',
    "grader/course/notebooks/nb08_global_pooling/mistakes.py": '''
        """Typical mistakes in the graded function of notebook 08_global_pooling, each with its hint."""
        from __future__ import annotations

        import numpy as np

        VARIANTS = {
            "global_avg_pool2d": [
                ("the sum of each map, not its mean: divide by H*W",
                 lambda x: np.asarray(x, dtype=np.float64).sum(axis=(2, 3))),
                ("the pooled axes are kept: the result is (N, C), not (N, C, 1, 1)",
                 lambda x: np.asarray(x, dtype=np.float64).mean(axis=(2, 3), keepdims=True)),
                ("averaged over the channels too: average the last two axes (H, W) only",
                 lambda x: np.broadcast_to(np.asarray(x, dtype=np.float64).mean(axis=(1, 2, 3))[:, None],
                                           np.shape(x)[:2]).copy()),
            ],
        }
    ''',
    "grader/course/notebooks/nb08_global_pooling/catalogue.py": """
        \"\"\"08_global_pooling: global average pooling.\"\"\"
        from __future__ import annotations

        import numpy as np

        from grader.course.catalogue import correct, wrong

        CORRECT = {
            "global_avg_pool2d": correct("global_avg_pool2d", '''
                def global_avg_pool2d(x):
                    N, C, H, W = x.shape
                    y = np.zeros((N, C))
                    for n in range(N):
                        for c in range(C):
                            y[n, c] = sum(float(v) for v in x[n, c].ravel()) / (H * W)
                    return y
            '''),
        }

        WRONG = [
            wrong("global_avg_pool2d", "sum, not mean", '''
                def global_avg_pool2d(x):
                    return x.sum(axis=(2, 3)).astype(float)
            ''', hint="the sum of each map"),
            wrong("global_avg_pool2d", "keepdims", '''
                def global_avg_pool2d(x):
                    return np.mean(x, axis=(2, 3), keepdims=True)
            ''', hint="the pooled axes are kept"),
        ]


        def battery() -> dict[str, list[dict]]:
            rng = np.random.default_rng(808)
            return {"global_avg_pool2d": [{"x": rng.standard_normal(shape)}
                                          for shape in ((2, 3, 4, 5), (1, 1, 3, 3), (3, 2, 6, 1))]}
    """,
    "solutions/08_global_pooling/08_global_pooling.py": '''
        # %% [markdown]
        # # 08 · Global average pooling — 全局平均池化
        #
        # A network that ends in a dense layer fixes the size of its input. **Global average pooling**
        # (全局平均池化) keeps one number per feature map, its mean, whatever the map's height and width.
        #
        # **Points.** The function has a visible test cell worth 2 points and a hidden test cell worth
        # 3 points: 5 points in all. A test cell scores **all of its points or none**: every check in it
        # must pass.

        # %% readonly grade_id="setup"
        import numpy as np

        from cnn_course.checks import check
        from cnn_course.widgets.global_pooling import global_pooling_widget

        # %% [markdown]
        # ## 1. One number per map
        #
        # For `x` of shape $(N, C, H, W)$, $y_{n,c} = \\frac{1}{HW} \\sum_{i,j} x_{n,c,i,j}$: shape $(N, C)$.

        # %% solution grade_id="global_avg_pool2d"
        def global_avg_pool2d(x):
            """
            Global average pooling: one number per feature map, its mean.

            Inputs:
            - x: array of shape (N, C, H, W)

            Returns:
            - y: float array of shape (N, C), y[n, c] = the mean of x[n, c]
            """
            ### BEGIN SOLUTION
            return np.asarray(x, dtype=np.float64).mean(axis=(2, 3))
            ### END SOLUTION


        # %% tests grade_id="test_global_avg_pool2d_visible" points=2
        # Checks one 3x4 map, a batch of non-square maps and maps of a single row.
        check("test_global_avg_pool2d_visible", global_avg_pool2d)

        # %% tests grade_id="test_global_avg_pool2d_hidden" points=3
        # Hidden tests: larger batches, integer maps and large values.
        ### BEGIN HIDDEN TESTS
        from grader.hidden import record_hidden
        record_hidden("test_global_avg_pool2d_hidden", global_avg_pool2d)
        ### END HIDDEN TESTS

        # %% [markdown]
        # ### See it
        #
        # Move the slider to pick an image of the batch: each map, and the one number your function keeps of it.

        # %%
        global_pooling_widget(global_avg_pool2d)

        # %% [markdown]
        # ## Summary
        #
        # Global average pooling turns $(N, C, H, W)$ into $(N, C)$: the head of a network no longer
        # depends on the image size.
    ''',
    "cnn_course/widgets/global_pooling.py": '''
        """Notebook 08's picture: each feature map of one image, and the one number global average pooling keeps."""
        from __future__ import annotations

        from typing import Callable

        import numpy as np

        from . import FigureWidget, NotReady, call_student, describe_error, message_html

        __all__ = ["GlobalPoolingWidget", "global_pooling_widget", "demo"]


        class GlobalPoolingWidget(FigureWidget):
            """A slider for the image of a batch; its three maps, titled with the student's pooled values."""

            def __init__(self, global_avg_pool2d: Callable | None = None):
                import ipywidgets as widgets

                self.function = global_avg_pool2d
                self.batch = np.random.default_rng(8).standard_normal((4, 3, 5, 6))
                self.slider = widgets.IntSlider(value=0, min=0, max=3, description="image")
                super().__init__({"image": self.slider}, figsize=(8.0, 2.6))
                self.axes = self.figure.subplots(1, 3)
                self.update()

            def draw(self, image: int) -> tuple[str, dict]:
                try:
                    pooled = np.asarray(call_student(self.function, self.batch, name="global_avg_pool2d"))
                    right = bool(pooled.shape == (4, 3) and np.allclose(pooled, self.batch.mean(axis=(2, 3))))
                    verdict = ("ok", "your global_avg_pool2d agrees") if right else (
                        "bad", f"your global_avg_pool2d gives shape {pooled.shape} or other numbers than the means")
                except NotReady as note:
                    pooled, verdict = None, ("note", str(note))
                except Exception as error:  # a bug in the student's code is shown, not raised
                    pooled, verdict = None, ("bad", describe_error(error))
                for channel, ax in enumerate(self.axes):
                    ax.clear()
                    ax.imshow(self.batch[image, channel], cmap="viridis")
                    ax.set_xticks([])
                    ax.set_yticks([])
                    shown = "?" if verdict[0] != "ok" else f"{pooled[image, channel]:.2f}"
                    ax.set_title(f"channel {channel}: {shown}", fontsize=9)
                self.verdict = verdict
                return message_html(*verdict), {"pooled": pooled}


        def global_pooling_widget(global_avg_pool2d: Callable | None = None) -> GlobalPoolingWidget:
            return GlobalPoolingWidget(global_avg_pool2d)


        def demo(functions) -> GlobalPoolingWidget:
            """The widget as notebook 08 shows it, drawn with ``functions`` (for benchmarks and tests)."""
            return global_pooling_widget(functions.global_avg_pool2d)
    ''',
    "tests/test_widgets_08.py": '''
        """Notebook 08's global pooling widget, headless."""
        from __future__ import annotations

        import matplotlib

        matplotlib.use("Agg")

        import numpy as np  # noqa: E402

        from cnn_course.widgets.global_pooling import global_pooling_widget  # noqa: E402
        from grader.course import reference as R  # noqa: E402
        from tests.conftest import draws_per_change  # noqa: E402


        def stub(x):
            raise NotImplementedError()


        def test_a_stub_gets_a_note_and_the_picture_still_draws():
            w = global_pooling_widget(stub)
            assert w.image.value[:8] == b"\\x89PNG\\r\\n\\x1a\\n" and w.verdict[0] == "note"


        def test_the_right_function_agrees_and_a_wrong_one_is_shown():
            assert global_pooling_widget(R.global_avg_pool2d).verdict[0] == "ok"
            assert global_pooling_widget(lambda x: np.sum(x, axis=(2, 3))).verdict[0] == "bad"


        def test_each_move_of_the_slider_draws_once():
            w = global_pooling_widget(R.global_avg_pool2d)
            assert draws_per_change(w, w.slider, [1, 2, 3]) == [1, 1, 1]
    ''',
    "tests/test_reference_08.py": '''
        """Notebook 08's reference held to plain loops."""
        from __future__ import annotations

        import numpy as np

        from grader.course import reference as R


        def test_global_avg_pool2d_matches_loops():
            x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
            loops = np.array([[sum(x[n, c].ravel()) / 20 for c in range(3)] for n in range(2)])
            assert np.allclose(R.global_avg_pool2d(x), loops)
    ''',
}

#: The test modules CONTRIBUTING names for a new notebook (step 4), and what of them concerns it: the new
#: notebook's and function's own cases, and the course-wide tests that must take it in.
STEP_4 = ["tests/test_build.py", "tests/test_catalogue.py", "tests/test_independent_checks.py",
          "tests/test_case_sets.py", "tests/test_layout.py", "tests/test_earlier.py", "tests/test_widgets_08.py",
          "tests/test_reference_08.py", "tests/test_lint.py", "tests/test_wording.py", "tests/test_reference.py"]
CONCERNS_IT = ("08 or global_avg_pool2d or global_pooling or list_of_assignments_agrees or stray or readme_table "
               "or student_package or lint or follows_the_contract or every_reference_is_checked")
#: What step 4 must have run (a test renamed out of CONCERNS_IT would otherwise leave the new notebook unchecked).
MUST_RUN = ["test_generated_files_are_fresh[notebooks/08_global_pooling", "test_every_list_of_assignments_agrees",
            "test_no_stray_generated_files", "test_graded_stubs_have_the_spec_signatures[08_global_pooling]",
            "test_wrong_implementation_fails_a_test_cell_with_its_hint[global_avg_pool2d-sum, not mean]",
            "test_correct_implementation_passes_every_test_cell[global_avg_pool2d]", "test_no_dead_variants",
            "test_every_reference_is_checked_against_something_outside_it",
            "test_every_graded_function_follows_the_contract_and_is_documented",
            "test_readme_table_lists_every_notebook_and_its_graded_functions", "test_each_move_of_the_slider_draws_once",
            "test_every_import_points_down_the_floors_of_grader", "test_ruff_finds_nothing"]


def test_the_files_written_here_are_exactly_the_ones_contributing_lists():
    """The test follows CONTRIBUTING, not its own idea of the layout: its files are the table's, and no other."""
    import re

    text = (Path(__file__).resolve().parent.parent / "CONTRIBUTING.md").read_text()
    table = text[text.index("## Adding a notebook"):text.index("### The path, step by step")]
    listed = {re.sub(r"nbNN_topic|NN_topic|<topic>|NN", lambda m: {"nbNN_topic": "nb" + NEW, "NN_topic": NEW,
                                                                    "<topic>": NEW[3:], "NN": NEW[:2]}[m.group()], path)
              for path in re.findall(r"^\| `([^`]+)`", table, flags=re.M)}
    optional = {f"grader/course/notebooks/nb{NEW}/judges.py"}
    assert listed - optional == set(FILES) | {"docs/course-spec.md", "README.md"}


def _write(course: Path) -> None:
    for name, text in FILES.items():
        path = course / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    spec = course / "docs" / "course-spec.md"
    text = spec.read_text()
    at = text.index("## What the course teaches")
    spec.write_text(text[:at] + SPEC_SECTION + text[at:])
    readme = course / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    last_row = max(i for i, line in enumerate(lines) if line.startswith("| `07_"))
    readme.write_text("".join(lines[:last_row + 1] + [README_ROW] + lines[last_row + 1:]))


def _run(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run(args, cwd=course, capture_output=True, text=True, timeout=600)
    if check:
        assert run.returncode == 0, f"{' '.join(args)}:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    return run


def test_a_notebook_added_by_following_contributing_is_built_tested_and_graded(tmp_path):
    course = fresh_copy(tmp_path / "course")
    python = str(python_for(course, tmp_path / "venv"))  # the copy's grader/ and cnn_course/, installed
    _write(course)
    _run(course, python, "-m", "grader", "build")  # step 2: `make notebooks`
    for name in ("notebooks", "solutions", "cnn_course/fixtures"):
        assert any((course / name).rglob(f"{NEW}*")), f"the build made nothing in {name}/"
    _run(course, "git", "init", "-q")  # step 3
    _run(course, "git", "add", "-A")
    step_4 = _run(course, python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", "-x", "-k", CONCERNS_IT,
                  *STEP_4).stdout
    assert [name for name in MUST_RUN if name not in step_4] == [], step_4[-3000:]

    solved = solved_notebook(course, NEW)
    wrong = with_sources(solved_notebook(course, NEW), {"global_avg_pool2d": """
        def global_avg_pool2d(x):
            return np.asarray(x, dtype=np.float64).sum(axis=(2, 3))
    """})
    klass = tmp_path / "class"
    klass.mkdir()
    for student, nb in (("ada", solved), ("ben", wrong)):
        nbformat.write(nb, klass / f"{student}__{NEW}.ipynb")
    _run(course, python, "-m", "grader", "grade", str(klass), "--out", str(tmp_path / "graded"), "--jobs", "2")
    rows = grade_rows(tmp_path / "graded")
    assert [float(rows["ada"]["total"]), float(rows["ada"]["max_total"]), float(rows["ben"]["total"])] == [5, 5, 0], rows
    feedback = (tmp_path / "graded" / "feedback" / "ben" / NEW / f"{NEW}.html").read_text()
    assert "the sum of each map, not its mean" in feedback
