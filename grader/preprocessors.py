"""nbgrader preprocessor that turns recorded outcomes into verdicts, in the grading process.

Runs right after nbgrader's ``Execute`` during ``autograde``. For each test cell it
judges the record the cell left in its outputs (see ``cnn_course.record``) and
replaces the outputs with the verdict: a pass line, or an error whose lines name
each failed case and the mistake. nbgrader's ``SaveAutoGrades`` then scores the
cell from that error (0) or its absence (full points). Tracebacks never survive:
they would show hidden test source in feedback (nbgrader #1156).
"""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from nbformat.v4 import new_output

from cnn_course.record import RECORD_MIME, read_records

from .cases import CASE_SETS
from .schema import Malformed, check_record
from .verdict import judge


def _is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def _error_line(output) -> str:
    """``NameError: name 'pad2d' is not defined`` - the last line of an error, without the traceback."""
    return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()


def verdict_outputs(grade_id: str, outputs: list) -> list:
    """The outputs a test cell gets after judging: ``[stdout]`` when right, ``[stdout, error]`` when wrong."""
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
            check_record(payload, grade_id, case_set.function, len(case_set.cases()))
    except Malformed as error:
        malformed = str(error)
    if payload is None or malformed:
        reason = (f"its record is malformed ({malformed}), so it scores 0" if malformed
                  else f"the test could not run: {_error_line(errors[0])}" if errors
                  else "the test recorded no result")
        lines = [f"{case_set.function}: {reason}"]
        passed = False
    else:
        verdict = judge(grade_id, payload, show_calls=case_set.visible)
        lines, passed = verdict.lines, verdict.passed
    result = [new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
    if not passed:
        result.append(new_output("error", ename="TestFailed", evalue=lines[0], traceback=[lines[0]]))
    return result


def _record_count(outputs: list) -> int:
    """How many outputs carry a record (of any id, well formed or not)."""
    return sum(1 for o in outputs if RECORD_MIME in (o.get("data") or {}))


class JudgeRecords(NbGraderPreprocessor):  # nbgrader's base: enabled by default
    """Judge every test cell's recorded outcomes against ``grader.reference``."""

    def preprocess_cell(self, cell, resources, index):
        if _is_test_cell(cell):
            cell.outputs = verdict_outputs(cell.metadata.nbgrader["grade_id"], cell.get("outputs", []))
        return cell, resources
