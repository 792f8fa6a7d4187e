"""``make notebooks``: build everything generated from the notebook sources.

For each ``solutions/NN_topic/NN_topic.py`` (jupytext percent format, see CONTRIBUTING.md):

1. ``solutions/NN_topic/NN_topic.ipynb``: the same cells with nbgrader metadata, no outputs;
2. ``cnn_course/fixtures/NN_topic.json``: the visible case sets with their expected outcomes
   and the outcomes of the typical mistakes (so visible tests can name mistakes without the reference);
3. ``notebooks/NN_topic/NN_topic.ipynb``: the student version, by ``nbgrader generate_assignment``;
4. both again in each language with a catalogue for the notebook: ``zh/solutions/...``, ``zh/notebooks/...``
   (:mod:`grader.authoring.translate`; a paragraph without an up-to-date translation stops the build).
"""
from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

import jupytext
import nbformat

from cnn_course import record

from ..config import COURSE_ROOT, RELEASE_DIRECTORY, SOURCE_DIRECTORY, assignments, course_config

FIXTURES = Path("cnn_course") / "fixtures"
NBGRADER_SCHEMA = 3
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# The word after `# %%` in a source cell (jupytext calls it the title), and what it makes of the cell.
CELL_KINDS = {
    "solution": dict(solution=True, grade=False, locked=False),
    "tests": dict(solution=False, grade=True, locked=True),
    "readonly": dict(solution=False, grade=False, locked=True),
}
#: ``# %% earlier from="NN_topic"``: the student's own functions from an earlier notebook. In the source the
#: cell is one line, ``f, g = bring("NN_topic", "f", "g")`` (the names before ``=`` tell ruff what it defines).
#: The solution notebook gets the earlier notebook's own answer cells for them (one source: nothing pasted);
#: the student version a cell that copies the student's own code from their earlier notebook
#: (``cnn_course.earlier.bring``). Not graded, not locked.
EARLIER = "earlier"
#: The lines that mark an answer in a source (nbgrader's delimiters): left out of an earlier cell.
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


class BuildError(ValueError):
    """A notebook source breaks an authoring rule; the message names the file and cell."""


def notebook_from_source(path: Path) -> nbformat.NotebookNode:
    """Read a jupytext source and give each cell its nbgrader metadata and a stable id."""
    nb = jupytext.read(path)
    seen: set[str] = set()
    cells = []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata
        kind = meta.get("title")
        grade_id = meta.get("grade_id")
        where = f"{path.name}, cell {index + 1}"
        new_meta = {}
        source = cell.source
        if kind == EARLIER:
            earlier = _earlier_from(meta, cell.source, where)
            new_meta["cnn_course"] = {"earlier": earlier}
            source = earlier_solution(path.parent.parent, earlier)
        elif kind is not None:
            if kind not in CELL_KINDS:
                raise BuildError(f"{where}: unknown cell kind {kind!r} (use one of {', '.join(CELL_KINDS)})")
            if not grade_id:
                raise BuildError(f"{where}: a {kind} cell needs grade_id=\"...\"")
            if grade_id in seen:
                raise BuildError(f"{where}: grade_id {grade_id!r} is used twice")
            seen.add(grade_id)
            nbgrader = dict(CELL_KINDS[kind], grade_id=grade_id, schema_version=NBGRADER_SCHEMA, task=False)
            if kind == "tests":
                points = meta.get("points")
                if not isinstance(points, (int, float)) or points <= 0:
                    raise BuildError(f"{where}: test cell {grade_id!r} needs points=P with P > 0")
                nbgrader["points"] = points
            new_meta["nbgrader"] = nbgrader
        elif grade_id or "points" in meta:
            raise BuildError(f"{where}: grade_id/points given but no cell kind (solution, tests, readonly)")
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(source, metadata=new_meta)
        else:
            new = nbformat.v4.new_markdown_cell(source, metadata=new_meta)
        new.id = grade_id or f"{cell.cell_type}-{index}"
        cells.append(new)
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    nbformat.validate(out)
    return out


def _earlier_from(meta: dict, source: str, where: str) -> dict:
    """``{"notebook": "02_padding_stride", "functions": ["pad2d"]}`` for an ``earlier`` cell, whose source is
    ``from cnn_course.earlier import bring`` and ``pad2d = bring("02_padding_stride", "pad2d")``."""
    import ast

    from ..course import notebooks

    notebook = meta.get("from")
    if notebook not in notebooks.assignments():
        raise BuildError(f"{where}: an earlier cell needs from=\"NN_topic\" naming an earlier notebook, got {notebook!r}")
    calls = [node for node in ast.parse(source).body if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
             and getattr(node.value.func, "id", None) == "bring"]
    if len(calls) != 1:
        raise BuildError(f"{where}: an earlier cell is `f, g = bring(\"{notebook}\", \"f\", \"g\")` (one call)")
    target, args = calls[0].targets[0], calls[0].value.args
    assigned = [t.id for t in (target.elts if isinstance(target, ast.Tuple) else [target]) if isinstance(t, ast.Name)]
    named = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if named[:1] != [notebook] or assigned != named[1:] or len(named) != len(args):
        raise BuildError(f"{where}: bring's first argument is {notebook!r}, then the names it assigns, in order")
    names = named[1:]
    if not names:
        raise BuildError(f"{where}: an earlier cell must bring at least one function")
    graded = notebooks.functions(notebook)
    for name in names:
        if name not in graded:  # bring would find no answer cell of the student's for it
            raise BuildError(f"{where}: {notebook} does not grade {name} (it grades {', '.join(graded)}), "
                             "so a student has no answer of theirs to bring")
    return {"notebook": notebook, "functions": names}


def earlier_solution(sources: Path, earlier: dict) -> str:
    """What an ``earlier`` cell holds in the solution notebook: the earlier notebook's own answer cells for
    its functions (from its source ``sources/NN_topic/NN_topic.py``, nbgrader's answer delimiters left out)."""
    notebook = earlier["notebook"]
    answers = {c.metadata.get("grade_id"): c.source for c in jupytext.read(sources / notebook / f"{notebook}.py").cells
               if c.metadata.get("title") == "solution"}
    code = [("\n".join(line for line in answers[name].splitlines() if line.strip() not in SOLUTION_MARKERS)).strip()
            for name in earlier["functions"]]
    return (f"# {', '.join(earlier['functions'])} from notebook {notebook} (its own answer cells: students bring theirs)\n"
            + "\n\n\n".join(code))


def earlier_stub(earlier: dict) -> str:
    """What an ``earlier`` cell holds in the student version: a call that copies the student's own code."""
    names = ", ".join(earlier["functions"])
    call = ", ".join(repr(v) for v in (earlier["notebook"], *earlier["functions"]))
    return (f"# This notebook uses your own {names} from notebook {earlier['notebook']}. Run this cell: it copies\n"
            f"# your code from ../{earlier['notebook']}/{earlier['notebook']}.ipynb (save that notebook first) and\n"
            f"# replaces this cell with it, so this notebook carries its own copy (see cnn_course.earlier).\n"
            f"from cnn_course.earlier import bring\n"
            f"bring({call})")


def bake_fixtures(assignment: str) -> dict:
    """The visible case sets of one notebook, with expected and typical-mistake outcomes."""
    from ..cases import for_notebook
    from ..course.verdict import expected_outcome, variant_outcomes

    case_sets = {}
    for case_set in for_notebook(assignment):
        if not case_set.visible:
            continue
        cases = []
        for case in case_set.cases():
            try:
                args = record.encode(case.args)
            except record.UnrecordableValue as error:
                raise BuildError(f"visible case set {case_set.id}: arguments must be data, not {error}") from None
            cases.append({
                "note": case.note,
                "args": args,
                "expected": expected_outcome(case_set.function, case.args, case.names),
                "variants": [list(v) for v in variant_outcomes(case_set.function, case.args)],
            })
        case_sets[case_set.id] = {"function": case_set.function, "cases": cases}
    return {"notebook": assignment, "case_sets": case_sets}


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n")


def generate_student_version(assignment: str, build_root: Path) -> Path:
    """Run ``nbgrader generate_assignment`` on ``build_root/solutions``; write the student notebook into
    ``build_root/notebooks/<assignment>/``.

    nbgrader releases into a temporary folder (with ``force`` it would empty the release folder), and
    only the notebook file is replaced: a student's copies beside it (``-Copy1.ipynb``) survive a rebuild.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    released = build_root / RELEASE_DIRECTORY / assignment / f"{assignment}.ipynb"
    with tempfile.TemporaryDirectory(prefix="cnn-course-release-") as work:
        config = course_config(work, source_root=build_root, db_url=f"sqlite:///{Path(work) / 'gradebook.db'}")
        config.CourseDirectory.release_directory = str(Path(work) / "release")
        config.CourseDirectory.assignment_id = assignment
        coursedir = CourseDirectory(config=config)
        app = GenerateAssignment(coursedir=coursedir, config=config)
        app.log.setLevel(logging.WARNING)
        app.force = True
        app.create_assignment = True
        app.start()
        # nbgrader rewrites the notebook; normalise it the way nbformat writes ours.
        student = nbformat.read(Path(work) / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in student.cells:
        earlier = cell.metadata.get("cnn_course", {}).get("earlier")
        if earlier:
            cell.source = earlier_stub(earlier)
    write_notebook(student, released)
    return released


def release(source_root: Path = COURSE_ROOT, build_root: Path | None = None,
            only: list[str] | None = None) -> list[Path]:
    """Build every generated file of the course into ``build_root`` (the repository by default)."""
    source_root = Path(source_root)
    build_root = Path(build_root or source_root)
    written = []
    for assignment in only or assignments(source_root):
        source = source_root / SOURCE_DIRECTORY / assignment / f"{assignment}.py"
        solution = build_root / SOURCE_DIRECTORY / assignment / f"{assignment}.ipynb"
        write_notebook(notebook_from_source(source), solution)
        fixtures = build_root / FIXTURES / f"{assignment}.json"
        fixtures.parent.mkdir(parents=True, exist_ok=True)
        fixtures.write_text(json.dumps(bake_fixtures(assignment), indent=1, sort_keys=True) + "\n")
        student = generate_student_version(assignment, build_root)
        written += [solution, fixtures, student]
        written += translated_versions(assignment, source_root, build_root, solution, student)
    from .translate import compile_package_messages
    return written + compile_package_messages(source_root, build_root)


def translated_versions(assignment: str, source_root: Path, build_root: Path, solution: Path,
                        student: Path) -> list[Path]:
    """The solution and student notebooks in every language with a catalogue for this notebook
    (``<language>/solutions/`` and ``<language>/notebooks/``, grader/authoring/translate.py)."""
    from . import translate

    written = []
    for language in translate.LANGUAGES:
        if assignment not in translate.translated_assignments(language, source_root):
            continue
        for english, folder in ((solution, SOURCE_DIRECTORY), (student, RELEASE_DIRECTORY)):
            nb = translate.translate(nbformat.read(english, as_version=4), assignment, language, source_root)
            target = build_root / language / folder / assignment / f"{assignment}.ipynb"
            write_notebook(nb, target)
            written.append(target)
    return written
