"""Bringing your own functions from an earlier notebook into a later one.

Later notebooks build on earlier answers: 03's ``conv2d`` pads with your ``pad2d`` from 02,
05's backward pass calls your ``conv2d``, 07 assembles every layer you wrote. A notebook
that needs them has a cell like::

    from cnn_course.earlier import bring
    bring("02_padding_stride", "pad2d")

Running it reads *your* notebook ``../02_padding_stride/02_padding_stride.ipynb`` (as last
saved), takes the code of your ``pad2d`` answer cell, defines the function, and replaces the
cell's text with that code, as IPython's ``%load`` does. From then on the notebook carries
its own copy of your function, so it runs (and is graded) on its own: nbgrader releases and
collects one folder per notebook, and grading one notebook never reads another. Improve the
earlier function? Run ``bring`` again (the first line of the copied cell says how).

Only your own code is copied: no answer comes from the course.
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from .i18n import tr


class EarlierWorkMissing(Exception):
    """The earlier notebook or the function's answer cell could not be found or is still a stub."""


def notebook_path(notebook: str, start: Path | None = None) -> Path:
    """``../NN_topic/NN_topic.ipynb`` next to the current notebook's folder (or ``start``)."""
    from .record import under_autograde

    here = Path(start or Path.cwd())
    for folder in (here.parent, here):
        candidate = folder / notebook / f"{notebook}.ipynb"
        if candidate.exists():
            return candidate
    # Relative, never where the kernel runs: under grading that is the grader's own folder.
    wanted = f"../{notebook}/{notebook}.ipynb"
    if under_autograde():
        raise EarlierWorkMissing(tr(
            "this notebook was handed in without your own functions from {notebook}: a graded notebook cannot read "
            "another, so run its cell that calls bring (it copies them in from {wanted}), save, and hand it in again"
        ).format(notebook=notebook, wanted=wanted))
    raise EarlierWorkMissing(tr(
        "cannot find your notebook {wanted} next to this notebook's folder: keep the course's notebook folders side "
        "by side (as they were released) and save that notebook first").format(wanted=wanted))


def answer_source(path: Path, name: str) -> str:
    """The code of the answer cell of function ``name`` (its nbgrader grade_id) in notebook ``path``."""
    cells = json.loads(Path(path).read_text())["cells"]
    for cell in cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == name:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if "raise NotImplementedError" in source:
                raise EarlierWorkMissing(tr("your {function} in {notebook} is still a stub: implement it there first "
                                            "(and save), then run this cell again").format(function=name,
                                                                                          notebook=path.name))
            return source.strip() + "\n"
    raise EarlierWorkMissing(tr("{notebook} has no answer cell for {function}").format(notebook=path.name, function=name))


def bring(notebook: str, *names: str, start: Path | None = None) -> str:
    """Define your functions ``names`` from your notebook ``notebook`` here, and copy their code into this cell.

    Inputs:
    - notebook: the earlier assignment, e.g. ``"02_padding_stride"``
    - names: the functions to bring, e.g. ``"pad2d"``
    - start: the folder of the current notebook (default: the working directory, as in JupyterLab)

    Returns the code that was copied (also what the cell now contains). When the notebook or an
    answer is missing it raises ``EarlierWorkMissing`` saying what to do; in a notebook it prints
    that instead and defines stubs that raise ``NotImplementedError`` with it, so Run All goes on.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the course
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    try:
        path = notebook_path(notebook, start)
        call = ", ".join(repr(v) for v in (notebook, *names))
        header = tr("# Your own {functions}, copied on {date} from {notebook}.\n# To copy it again after changing it "
                    "there, run instead:  {call}\n").format(
            functions=", ".join(names), date=date.today().isoformat(), notebook=f"{path.parent.name}/{path.name}",
            call=f"from cnn_course.earlier import bring; bring({call})")
        code = header + "\n\n".join(answer_source(path, name) for name in names)
    except EarlierWorkMissing as missing:
        if shell is None:
            raise
        # Run All goes on: each missing function becomes a stub that says what to do when called,
        # so later cells report "not implemented yet" as they do for this notebook's own stubs.
        for name in names:
            shell.user_ns[name] = _missing(name, str(missing))
        print(tr("Not copied: {why}").format(why=missing), file=sys.stderr)
        return ""
    if shell is not None:
        exec(compile(code, f"<your {notebook}>", "exec"), shell.user_ns)  # noqa: S102 - the student's own code
        shell.set_next_input(code, replace=True)
        print(tr("Copied your {functions} from {notebook} into this cell and defined it.").format(
            functions=", ".join(names), notebook=path.name))
    return code


def _missing(name: str, reason: str):
    def missing(*args, **kwargs):
        raise NotImplementedError(tr("your {function} from an earlier notebook is not here yet: {why}").format(
            function=name, why=reason))
    missing.__name__ = name
    return missing
