"""Bringing a student's own earlier functions into a later notebook (cnn_course.earlier, build's `earlier` cells)."""
from __future__ import annotations

import textwrap

import nbformat
import pytest
from nbclient import NotebookClient

from cnn_course.earlier import EarlierWorkMissing, bring
from grader.authoring import build


def _student_notebook(folder, assignment, answers: dict[str, str]):
    """A student's saved notebook ``folder/assignment/assignment.ipynb`` with these answer cells."""
    cells = [nbformat.v4.new_code_cell("import numpy as np")]
    for name, code in answers.items():
        cells.append(nbformat.v4.new_code_cell(textwrap.dedent(code), metadata={"nbgrader": {"grade_id": name, "solution": True}}))
    path = folder / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


MINE = '''
def pad2d(x, pad, value=0.0):
    return np.pad(np.asarray(x, float), [(0, 0)] * (np.ndim(x) - 2) + [(pad, pad), (pad, pad)], constant_values=value)
'''


def test_bring_copies_the_students_own_code(tmp_path):
    _student_notebook(tmp_path, "02_padding_stride", {"pad2d": MINE})
    (tmp_path / "03_next").mkdir()
    code = bring("02_padding_stride", "pad2d", start=tmp_path / "03_next")
    assert "def pad2d(x, pad, value=0.0):" in code and "np.pad(" in code      # theirs, not a reference
    assert code.startswith("# Your own pad2d, copied on") and "bring('02_padding_stride', 'pad2d')" in code


@pytest.mark.parametrize("answers, words", [
    ({"pad2d": "def pad2d(x, pad, value=0.0):\n    # YOUR CODE HERE\n    raise NotImplementedError()"}, "still a stub"),
    ({"other": MINE}, "no answer cell for pad2d"),
])
def test_bring_says_what_to_do_when_the_answer_is_missing(tmp_path, answers, words):
    _student_notebook(tmp_path, "02_padding_stride", answers)
    with pytest.raises(EarlierWorkMissing, match=words):
        bring("02_padding_stride", "pad2d", start=tmp_path / "03_next")


def test_bring_without_the_earlier_notebook_names_where_it_looked(tmp_path):
    with pytest.raises(EarlierWorkMissing, match="side by side") as missing:
        bring("02_padding_stride", "pad2d", start=tmp_path / "03_next")
    assert "../02_padding_stride/02_padding_stride.ipynb" in str(missing.value)
    assert str(tmp_path) not in str(missing.value)  # never a folder of the machine the kernel runs on


def test_under_grading_bring_says_what_to_do_and_shows_no_grader_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(EarlierWorkMissing, match="run its cell that calls bring") as missing:
        bring("02_padding_stride", "pad2d", start=tmp_path / "03_next")
    assert str(tmp_path) not in str(missing.value)


@pytest.mark.slow
def test_in_a_kernel_bring_defines_the_function_and_asks_to_replace_the_cell(tmp_path):
    _student_notebook(tmp_path, "02_padding_stride", {"pad2d": MINE})
    later = tmp_path / "03_next"
    later.mkdir()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell('from cnn_course.earlier import bring\nbring("02_padding_stride", "pad2d")'),
        nbformat.v4.new_code_cell("print(pad2d(np.ones((2, 3)), 1).shape)"),
        nbformat.v4.new_code_cell('bring("02_padding_stride", "conv_output_size")'),
        nbformat.v4.new_code_cell("try:\n    conv_output_size(5, 3)\nexcept NotImplementedError as e:\n    print(e)"),
    ])
    client = NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(later)}})
    replies = []
    original = client._async_poll_for_reply

    async def keep(*args, **kwargs):
        reply = await original(*args, **kwargs)
        replies.append(reply)
        return reply
    client._async_poll_for_reply = keep
    client.execute()
    assert nb.cells[2].outputs[0]["text"].strip() == "(4, 5)"
    # missing work: no error for Run All, a note, and a stub that says what to do when called
    assert not any(o.output_type == "error" for o in nb.cells[3].outputs)
    assert "no answer cell for conv_output_size" in nb.cells[4].outputs[0]["text"]
    payloads = [p for r in replies if r for p in r["content"].get("payload", [])]
    assert any(p["source"] == "set_next_input" and p["replace"] and "def pad2d" in p["text"] for p in payloads)


def test_earlier_cells_come_from_the_earlier_answers_and_become_a_bring_call_in_the_student_version(tmp_path):
    """One source: the solution notebook's earlier cell is the earlier notebook's own answer cell; nothing pasted."""
    import shutil

    import jupytext

    from grader.config import COURSE_ROOT as root
    sources = tmp_path / "solutions"
    (sources / "02_padding_stride").mkdir(parents=True)
    shutil.copy(root / "solutions" / "02_padding_stride" / "02_padding_stride.py", sources / "02_padding_stride")
    source = sources / "03_next" / "03_next.py"
    source.parent.mkdir()

    def write(cell: str, notebook: str = "02_padding_stride") -> None:
        source.write_text(f'# %%\nimport numpy as np\n\n# %% earlier from="{notebook}"\n'
                          f"from cnn_course.earlier import bring\n\n{cell}\n")

    write('pad2d = bring("02_padding_stride", "pad2d")')
    nb = build.notebook_from_source(source)
    earlier = nb.cells[1].metadata["cnn_course"]["earlier"]
    assert earlier == {"notebook": "02_padding_stride", "functions": ["pad2d"]}
    answer = next(c.source for c in jupytext.read(sources / "02_padding_stride" / "02_padding_stride.py").cells
                  if c.metadata.get("grade_id") == "pad2d")
    assert "### BEGIN SOLUTION" in answer and "### BEGIN SOLUTION" not in nb.cells[1].source
    assert all(line in nb.cells[1].source for line in answer.splitlines() if "SOLUTION" not in line)
    stub = build.earlier_stub(earlier)
    assert 'bring(\'02_padding_stride\', \'pad2d\')' in stub and "def pad2d" not in stub
    for cell, notebook, why in (('pad2d = bring("02_padding_stride", "pad2d")', "01_missing", "earlier notebook"),
                                ('conv2d = bring("02_padding_stride", "conv2d")', "02_padding_stride",
                                 "02_padding_stride does not grade conv2d"),
                                ('pad = bring("02_padding_stride", "pad2d")', "02_padding_stride", "names it assigns"),
                                ("def pad2d(x, pad, value=0.0):\n    return x", "02_padding_stride", "one call")):
        write(cell, notebook)
        with pytest.raises(build.BuildError, match=why):
            build.notebook_from_source(source)
