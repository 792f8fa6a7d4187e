"""nbgrader preprocessor that turns recorded outcomes into verdicts, in the grading process.

Runs right after nbgrader's ``Execute`` during ``autograde``. For each test cell it
judges the record the cell left in its outputs (see ``cnn_course.record``) and
replaces the outputs with the verdict: a pass line, or an error whose lines name
each failed case and the mistake. nbgrader's ``SaveAutoGrades`` then scores the
cell from that error (0) or its absence (full points). Tracebacks never survive:
they would show hidden test source in feedback (nbgrader #1156).

When a test cell could not run, the verdict says why in plain words: a cell stopped at the
time limit, or a function left undefined because its own cell failed (a SyntaxError...).
"""
from __future__ import annotations

import ast
import re

from nbformat.v4 import new_code_cell, new_output
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor, OverwriteCells, SaveAutoGrades
from traitlets import List

from cnn_course.checks import upstream_line
from cnn_course.i18n import notebook_language, speaking, tr
from cnn_course.record import RECORD_MIME, read_records

from ..cases import CASE_SETS
from ..config import CELL_TIMEOUT
from ..course.verdict import judge, judged_cases
from .phases import phase
from .schema import Malformed, check_record

#: Error names of a cell that nbgrader's Execute stopped at the time limit (it interrupts the kernel).
TIMEOUT_ERRORS = ("KeyboardInterrupt", "CellTimeoutError", "TimeoutError")


def _is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def _error_line(output) -> str:
    """``NameError: name 'pad2d' is not defined`` - the last line of an error, without the traceback."""
    return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip().rstrip(":")


def _ran_too_long(timeout: float | None) -> str:
    if timeout:
        return tr("ran longer than the time limit ({seconds} s) and was stopped").format(seconds=f"{timeout:g}")
    return tr("ran longer than the time limit and was stopped")


def timeout_message(timeout: float | None) -> str:
    return tr("this cell {ran_too_long}: an endless loop?").format(ran_too_long=_ran_too_long(timeout))


def explain_error(output, earlier_failures: list[tuple[str, dict]], timeout: float | None) -> str:
    """Why a test cell could not run, in plain words.

    ``earlier_failures``: ``(name of the cell, its error output)`` for each earlier cell that failed.
    """
    ename = output.get("ename", "")
    if ename in TIMEOUT_ERRORS:
        return timeout_message(timeout)
    missing = re.fullmatch(r"name '(\w+)' is not defined", str(output.get("evalue", "")))
    if ename == "NameError" and missing:
        name = missing.group(1)
        culprit = next(((cell, error) for cell, error in reversed(earlier_failures) if cell == name), None) \
            or (earlier_failures[-1] if earlier_failures else None)
        if culprit:
            cell, error = culprit
            why = (tr("{ran_too_long} (an endless loop?)").format(ran_too_long=_ran_too_long(timeout))
                   if error.get("ename") in TIMEOUT_ERRORS
                   else tr("stopped with {error}").format(error=_error_line(error)))
            return tr("{name} is not defined: the cell {cell} {why}, so {name} was never defined. "
                      "Fix that cell and run it without errors").format(name=name, cell=repr(cell), why=why)
        return tr("{name} is not defined: did its cell run without errors? "
                  "(a SyntaxError there leaves it undefined)").format(name=name)
    return _error_line(output)


def verdict_outputs(grade_id: str, outputs: list, points: float | None = None,
                    earlier_failures: list[tuple[str, dict]] | None = None, timeout: float | None = None) -> list:
    """The outputs a test cell gets after judging: ``[stdout]`` when right, ``[error]`` (all lines) when wrong."""
    errors = [o for o in outputs if o.get("output_type") == "error"]
    case_set = CASE_SETS.get(grade_id)
    if case_set is None:  # an ordinary nbgrader test cell: keep its verdict, drop the traceback
        return [o for o in outputs if o.get("output_type") != "error"] + [
            new_output("error", ename=o.get("ename", "Error"), evalue=o.get("evalue", ""), traceback=[_error_line(o)])
            for o in errors]
    records = read_records(outputs)
    payload = records.get(grade_id)
    malformed = None
    try:  # the record is the kernel's output: untrusted data until it follows the schema
        if payload is not None:
            if len(records) > 1 or _record_count(outputs) > 1:
                raise Malformed("the cell holds more than one record")
            check_record(payload, grade_id, case_set.function, len(judged_cases(grade_id)))
    except Malformed as error:
        malformed = str(error)
    if payload is None or malformed:
        reason = (tr("its record is malformed ({why}), so it scores 0").format(why=malformed) if malformed
                  else tr("the test could not run: {why}").format(
                      why=explain_error(errors[-1], earlier_failures or [], timeout)) if errors
                  else tr("the test recorded no result"))
        rule = tr(" — this test cell scores 0 of {points} points").format(points=f"{points:g}") if points else ""
        lines = [f"{case_set.function}: {reason}{rule}"]
        passed = False
    else:
        verdict = judge(grade_id, payload, show_calls=case_set.visible, points=points)
        lines, passed = verdict.lines, verdict.passed
    if passed:
        return [new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
    # One output, shown once: the summary is the error's value, the hints its lines (in place of a traceback).
    return [new_output("error", ename="TestFailed", evalue=lines[0], traceback=lines)]


def _cell_name(cell, index: int) -> str:
    """A solution cell by its grade_id (= the function it defines), another cell by its number."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"


def _record_count(outputs: list) -> int:
    """How many outputs carry a record (of any id, well formed or not)."""
    return sum(1 for o in outputs if RECORD_MIME in (o.get("data") or {}))


class JudgeRecords(NbGraderPreprocessor):  # nbgrader's base: enabled by default
    """Judge every test cell's recorded outcomes against ``grader.course.reference``."""

    def _timeout(self) -> float | None:
        execute = self.config.get("Execute", {}) if "Execute" in self.config else {}
        return execute.get("timeout", CELL_TIMEOUT)

    def preprocess(self, nb, resources):
        with phase("judging"), speaking(notebook_language(nb.get("metadata"))):
            return self._judge(nb, resources)

    def _judge(self, nb, resources):
        earlier_failures: list[tuple[str, dict]] = []
        timeout = self._timeout()
        failed: dict[str, list] = {}  # graded function -> the outputs of its failing test cells
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if _is_test_cell(cell):
                meta = cell.metadata.nbgrader
                cell.outputs = verdict_outputs(meta["grade_id"], cell.get("outputs", []), meta.get("points"),
                                               earlier_failures, timeout)
                if meta["grade_id"] in CASE_SETS and any(o.get("output_type") == "error" for o in cell.outputs):
                    failed.setdefault(CASE_SETS[meta["grade_id"]].function, []).append(cell.outputs[0])
            else:
                errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                if errors:
                    earlier_failures.append((_cell_name(cell, index), errors[-1]))
        for function, outputs in failed.items():  # a bug costs its own points: name it as the first fix
            upstream = sorted(student_calls(nb, function) & set(failed) - {function})
            for output in outputs:
                if upstream and len(output.get("traceback", [])) > 1:
                    output["traceback"].insert(1, upstream_line(function, upstream))
        return nb, resources


def student_calls(nb, function: str) -> set[str]:
    """The names the notebook's last definition of ``function`` refers to (read with ast, never run).

    Cells that do not parse (IPython magics, a syntax error) are skipped.
    """
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or f"def {function}" not in cell.source:
            continue
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return names


def released_metadata(notebook) -> dict[str, dict]:
    """The nbgrader metadata each cell of the release has, by grade_id, from the gradebook's record of it.

    Input: a gradebook ``Notebook`` (its source, grade, solution and task cells). Output:
    ``{grade_id: metadata}`` as generate_assignment writes it, with the source cell's checksum.
    """
    grade = {c.name: c.max_score for c in notebook.grade_cells}
    task = {c.name: c.max_score for c in notebook.task_cells}
    solution = {c.name for c in notebook.solution_cells}
    released = {}
    for cell in notebook.source_cells:
        meta = {"cell_type": cell.cell_type, "grade": cell.name in grade, "grade_id": cell.name, "locked": bool(cell.locked),
                "schema_version": 3, "solution": cell.name in solution, "task": cell.name in task,
                "checksum": cell.checksum}
        if cell.name in grade or cell.name in task:
            meta["points"] = float(grade.get(cell.name, task.get(cell.name)))
        released[cell.name] = meta
    return released


class RestoreGradingMetadata(NbGraderPreprocessor):
    """Every cell's nbgrader metadata as the release has it; metadata a student added is dropped.

    First of autograde's sanitizing steps. nbgrader trusts the metadata it reads: a cell the student
    added with nbgrader metadata but no grade_id stops the submission with ``KeyError: 'grade_id'``, an
    old ``schema_version`` with "run nbgrader update", a solution cell marked as a test with an internal
    error. Here a cell whose grade_id the release has gets the release's metadata back (so its flags,
    points and checksum are the instructor's), and any other cell loses its nbgrader metadata: it stays
    in the notebook as a plain cell, whose code still runs. Copies of a graded cell are made plain too
    (``repair_duplicates``), and hand-edited cell ids are made valid (``repair_cell_ids``: nbgrader refused the
    notebook when writing it). The notebook is then graded against the release's own cells.
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        from .autograde import repair_cell_ids, repair_duplicates

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            released = released_metadata(gb.find_notebook(info["notebook"], info["assignment"]))
        repair_duplicates(nb)
        repair_cell_ids(nb)
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {})
            if "nbgrader" not in meta:
                continue
            grade_id = meta["nbgrader"].get("grade_id") if isinstance(meta["nbgrader"], dict) else None
            if isinstance(grade_id, str) and grade_id in released:
                meta["nbgrader"] = dict(released[grade_id])
            else:
                self.log.warning("Cell %d: nbgrader metadata the release does not have (grade_id %r); "
                                 "graded as a plain cell", index + 1, grade_id)
                del meta["nbgrader"]
        return nb, resources


class RestoreLockedCells(OverwriteCells):
    """nbgrader's ``OverwriteCells``, without its warning for what the course does by design.

    A hidden-test cell reaches students without its hidden part, so its checksum never matches the
    source's: nbgrader restores the cell (as it should) and warns "Attribute 'checksum' for cell ...
    has changed!" once per hidden-test cell, which formgrader's Autograde dialog shows and an
    instructor reads as an error. That expected case is logged at debug level; any other change
    (a student who edited a locked cell) still warns.
    """

    def preprocess_cell(self, cell, resources, index):
        self._submitted_source = cell.source  # report_change is not given the cell
        return super().preprocess_cell(cell, resources, index)

    def report_change(self, name, attr, old, new):
        if attr == "checksum" and self._released_without_hidden_tests(name):
            self.log.debug("Restored the hidden tests of cell %s", name)
            return
        super().report_change(name, attr, old, new)

    def _released_without_hidden_tests(self, name: str) -> bool:
        """Whether the submitted cell ``name`` is its source cell minus the hidden tests, untouched."""
        source = self.gradebook.find_source_cell(name, self.notebook_id, self.assignment_id).source
        released = new_code_cell(source)
        if not ClearHiddenTests()._remove_hidden_test_region(released):
            return False
        return released.source.strip() == self._submitted_source.strip()


class ClearHiddenTestsQuietly(ClearHiddenTests):
    """nbgrader's ClearHiddenTests (feedback shows no hidden test source), taking ``display_data_priority`` as a setting.

    nbconvert's HTMLExporter sets ``NbConvertBase.display_data_priority`` for every preprocessor; nbgrader's base
    class redeclares that trait without ``config=True``, so traitlets warned "Config option `display_data_priority`
    not recognized by `ClearHiddenTests`" on every feedback, in formgrader's dialog too. The value is not used here.
    """

    display_data_priority = List(list(ClearHiddenTests.class_traits()["display_data_priority"].default()),
                                 config=True)


class SaveAutoGradesAtOnce(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades`` writing the same rows with fewer queries: the submitted notebook's grades and
    comments are read in one query each, not one joined query per cell, and committed once, not after each cell
    (a commit expires every row read: 21 commits and 21 reads again for a 07 submission, 0.06 CPU-s of its 0.4 in
    a worker; now 0.02). What each row gets is nbgrader's rule, checked against ``SaveAutoGrades`` itself by the
    tests."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        from .autograde import submitted_rows

        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.gradebook = Gradebook(resources["nbgrader"]["db_url"])
        with self.gradebook:
            self._grades, self._comments = submitted_rows(self.gradebook, self.notebook_id, self.assignment_id,
                                                          self.student_id)
            nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)  # each cell: preprocess_cell
            self.gradebook.db.commit()
        return nb, resources

    def _row(self, rows: dict, cell, find):
        """The cell's row; a name the gradebook lacks raises nbgrader's own MissingEntry (``find``)."""
        name = cell.metadata["nbgrader"]["grade_id"]
        return rows[name] if name in rows else find(name, self.notebook_id, self.assignment_id, self.student_id)

    def _add_score(self, cell, resources) -> None:
        grade = self._row(self._grades, cell, self.gradebook.find_grade)
        grade.auto_score, _ = utils.determine_grade(cell, self.log)
        # a manual grade, or no automatic one, is for a person to review (nbgrader's rule)
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None

    def _add_comment(self, cell, resources) -> None:
        comment = self._row(self._comments, cell, self.gradebook.find_comment)
        unchanged = cell.metadata.nbgrader.get("checksum", None) == utils.compute_checksum(cell)
        comment.auto_comment = "No response." if unchanged and not utils.is_task(cell) else None


class GetGradesAtOnce(GetGrades):
    """nbgrader's ``GetGrades`` (feedback: each cell's score, points and comment into its metadata), with the
    submitted notebook's grades and comments read in one query each, not two per cell (a grade's points are a
    query of their own); the same metadata, checked against ``GetGrades`` itself by the tests."""

    def preprocess(self, nb, resources):
        self._rows = None  # this notebook's, read on its first cell
        return super().preprocess(nb, resources)

    def _submitted(self) -> tuple[dict, dict]:
        from nbgrader.api import Comment, Grade

        from .autograde import by_cell_name

        if self._rows is None:
            submitted = self.gradebook.find_submission_notebook(self.notebook_id, self.assignment_id,
                                                                self.student_id).id
            self._rows = (by_cell_name(self.gradebook, Grade, submitted, Grade.score, Grade.max_score),
                          by_cell_name(self.gradebook, Comment, submitted, Comment.comment))
        return self._rows

    def _get_comment(self, cell, resources) -> None:
        comments = self._submitted()[1]
        name = cell.metadata["nbgrader"]["grade_id"]
        if name not in comments:
            return super()._get_comment(cell, resources)  # nbgrader's own MissingEntry
        cell.metadata.nbgrader["comment"] = comments[name][0]

    def _get_score(self, cell, resources) -> None:
        grades = self._submitted()[0]
        name = cell.metadata["nbgrader"]["grade_id"]
        if name not in grades:
            return super()._get_score(cell, resources)
        cell.metadata.nbgrader["score"], cell.metadata.nbgrader["points"] = grades[name]
