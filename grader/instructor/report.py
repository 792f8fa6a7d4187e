"""``python -m grader report``: what a whole class got wrong, for the instructor.

Read after ``grader grade`` or after formgrader's (nbgrader's) Autograde, from what both leave:

* the gradebook (``gradebook.db``): who was graded, each grade cell's score;
* the autograded notebooks (``autograded/<student>/<assignment>/<assignment>.ipynb``): each judged
  test cell's verdict lines (``grader.engine.preprocessors.verdict_outputs``), from which come the
  catalogue's hints, the diagnoses (``cnn_course.diagnose``) and the time-outs;
* for students who could not be graded at all, the ``status`` column of ``grades.csv`` (the only
  place ``grade`` says why), read by its header's names.

Writes ``report.html`` (one page, offline: charts are inline PNGs, no script, a CSP that loads
nothing) and ``mistakes.csv`` (one row per student, test and mistake) into the course folder,
and returns a summary (:func:`summary`) or the JSON object of :func:`collect`.

Everything shown comes from students' work (ids, verdict lines): every string is escaped in
the page, made spreadsheet-safe in the CSV and printable in the terminal. A verdict line is taken
as a mistake only where the grader writes one: a hint only when it is one the catalogue (or the
checks) can give, a diagnosis only from the line right after the summary, never from a line a
student's error message could have printed.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat

from cnn_course.diagnose import PREFIX
from cnn_course.i18n import in_english, in_every_language

from ..config import COURSE_ROOT
from ..engine.feedback import PAGE_FONTS
from ..engine.grades import final_score, late_note, released_assignments, replaced_on_time, write_private

#: An autograded notebook larger than this is not read (a flooded one can be huge): its mistakes are not listed.
NOTEBOOK_LIMIT = 32 * 1024 * 1024
#: The report page's policy: nothing is loaded or run; styles and pictures are inline.
REPORT_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
#: A test cell's own verdict when it was stopped (not one saying an earlier cell was: that cell is listed itself).
_TIMEOUT = re.compile(r"^\w+: the test could not run: this cell ran longer than the time limit")


@dataclass
class Student:
    """One student's results in one assignment (``graded`` False: ``reason`` says why not)."""
    id: str
    graded: bool = True
    reason: str = ""
    score: float = 0.0
    passed: dict[str, bool] = field(default_factory=dict)  #: test cell -> passed
    mistakes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  #: test -> [(kind, text)]
    timeouts: list[str] = field(default_factory=list)  #: cells stopped at the time limit
    note: str = ""  #: why the verdicts could not be read, if they could not
    late: str = ""  #: "late by 10 s, penalty 15" when the work was late (score is after the penalty)
    missing: bool = False  #: on the roll, no submission of a released assignment: scores 0, as in grades.csv
    replaced: str = ""  #: "replaced an on-time submission that scored 10 / 20": a late resubmission counted


@dataclass
class Assignment:
    name: str
    max_score: float
    tests: list[str]
    students: dict[str, Student] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


@lru_cache(maxsize=None)
def known_hints() -> frozenset[str]:
    """Every hint a verdict can give from the catalogue (``grader.course.mistakes``)."""
    from ..course.mistakes import all_variants

    return frozenset(hint for variants in all_variants().values() for hint, _ in variants)


#: Hints the checks write with an argument's name in them (``cnn_course.checks``).
_TEMPLATE_HINTS = (re.compile(r"your answer shares memory with its input \w+ \(a view, e\.g\. from slicing or "
                              r"np\.broadcast_to\): return a new array \(e\.g\. \w+\.copy\(\), or np\.array\(\.\.\.\) "
                              r"of the view\)"),
                   re.compile(r"your \w+'s message should name the argument at fault \([\w, ]+\), "
                              r"e\.g\. 'stride must be >= 1, got 0'"))


@lru_cache(maxsize=1)
def _hint_pattern() -> re.Pattern:
    """``Hint: h`` in any of the course's languages (a Chinese notebook's verdicts say 提示：)."""
    labels = {said.split("{indent}", 1)[-1].split("{hint}", 1)[0]
              for said in in_every_language("{problem}.\n{indent}Hint: {hint}")} | {"Hint: "}
    return re.compile(r"(?:^|\s)(?:" + "|".join(map(re.escape, sorted(labels))) + r")([^\n]+)")


def _is_hint(text: str) -> bool:
    return text in known_hints() or any(t.fullmatch(text) for t in _TEMPLATE_HINTS)


def verdict_mistakes(lines: list[str]) -> list[tuple[str, str]]:
    """``[("hint" | "diagnosis", text)]`` named by one failed test cell's verdict lines, each once; a hint in another
    language is counted as the English one it translates, so that a class mixing languages counts each mistake once."""
    found: list[tuple[str, str]] = []
    for prefix in in_every_language(PREFIX):
        if len(lines) > 1 and lines[1].startswith("  " + prefix):
            found.append(("diagnosis", lines[1].strip()[len(prefix):]))
            break
    for line in lines[1:]:
        for part in _hint_pattern().findall(line):  # "Hint: h", a line of its own (checks.render)
            hint = in_english(part.strip())
            if _is_hint(hint) and ("hint", hint) not in found:
                found.append(("hint", hint))
    return found


def _test_cells(notebook) -> dict[str, list]:
    """``{grade_id: outputs}`` of the notebook's test cells (grade, not solution)."""
    cells = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if isinstance(meta, dict) and cell.get("cell_type") == "code" and meta.get("grade") \
                and not meta.get("solution") and isinstance(meta.get("grade_id"), str):
            cells[meta["grade_id"]] = cell.get("outputs", [])
    return cells


def read_verdicts(path: Path, student: Student, tests: list[str]) -> None:
    """Fill ``student``'s mistakes and time-outs from its autograded notebook (bounded, never raising)."""
    from ..engine.preprocessors import TIMEOUT_ERRORS
    from ..engine.student_files import RefusedFile, read_regular

    try:
        data = read_regular(path, limit=NOTEBOOK_LIMIT)
        if len(data) > NOTEBOOK_LIMIT:
            student.note = f"autograded notebook larger than {NOTEBOOK_LIMIT // 2**20} MB: its mistakes are not read"
            return
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
    except (RefusedFile, OSError, ValueError, UnicodeDecodeError) as error:
        student.note = f"autograded notebook unreadable: {str(error)[:200]}"
        return
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        name = str((meta.get("grade_id") if isinstance(meta, dict) else None) or f"cell {index + 1}")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in TIMEOUT_ERRORS \
                    and name not in student.timeouts:
                student.timeouts.append(name)
    for test, outputs in _test_cells(notebook).items():
        if test not in tests or student.passed.get(test, True):
            continue
        errors = [o for o in outputs if o.get("output_type") == "error"]
        lines = [str(line) for line in errors[0].get("traceback", [])] if errors else []
        if lines and _TIMEOUT.match(lines[0]) and test not in student.timeouts:
            student.timeouts.append(test)
        student.mistakes[test] = verdict_mistakes(lines)


def _not_graded_rows(course: Path) -> dict[str, str]:
    """``{student: status}`` of the students ``grades.csv`` says were not graded (by its columns' names)."""
    path = course / "grades.csv"
    if not path.is_file():
        return {}
    found = {}
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            student, status = row.get("student_id") or "", row.get("status") or ""
            reason = row.get("reason") or row.get("status_detail") or ""
            if student.startswith("'"):  # spreadsheet_safe's quote
                student = student[1:]
            if "NOT GRADED" in status or status.strip().lower() in ("not graded", "not_graded"):
                found[student] = status if not reason else f"{status}: {reason}"
    return found


def _reason_for(status: str, assignment: str, only: bool) -> str | None:
    """This assignment's NOT GRADED reason in a ``grades.csv`` status, or None.

    A status is ``NOT GRADED: why`` for a student with one submission (then it is this assignment's
    only when the report has one assignment, ``only``), ``a: NOT GRADED: why; b: graded`` for several.
    """
    pieces = status.split("; ")
    for piece in pieces:
        head, _, rest = piece.partition(": ")
        if head == assignment and len(pieces) > 1:
            piece = rest
        elif len(pieces) > 1 or not only:
            continue
        found = re.match(r"\s*(?:NOT GRADED|not[_ ]graded)\s*:?\s*(.*)", piece, flags=re.I | re.S)
        if found:
            return found.group(1).strip() or "not graded"
    return None


def collect(course: Path) -> list[Assignment]:
    """Every assignment of the course folder's gradebook that has a student, with their results."""
    from nbgrader.api import Gradebook

    db = course / "gradebook.db"
    if not db.is_file():
        raise FileNotFoundError(f"{db}: no gradebook (run `grader grade` or formgrader's Autograde first)")
    assignments = []
    replaced = replaced_on_time(course)
    with Gradebook(f"sqlite:///{db}") as gb:
        for record in sorted(gb.assignments, key=lambda a: a.name):
            tests = [cell.name for notebook in record.notebooks for cell in notebook.grade_cells]
            assignment = Assignment(record.name, float(record.max_score or 0), tests)
            for submission in gb.assignment_submissions(record.name):
                student = Student(submission.student.id)
                grades = [grade for notebook in submission.notebooks for grade in notebook.grades]
                if not grades or all(grade.auto_score is None and grade.manual_score is None for grade in grades):
                    student.graded, student.reason = False, "submitted, but not autograded"
                else:
                    student.score, student.late = final_score(submission), late_note(submission)
                    student.replaced = replaced.get((student.id, record.name), "")
                    student.passed = {grade.name: (grade.score or 0) >= grade.max_score for grade in grades}
                assignment.students[student.id] = student
            assignments.append(assignment)
    statuses = _not_graded_rows(course)
    active = [a for a in assignments if a.students] or assignments
    for student, status in statuses.items():
        for assignment in active:
            reason = _reason_for(status, assignment.name, only=len(active) == 1)
            if reason is not None and (student not in assignment.students or not assignment.students[student].passed):
                assignment.students[student] = Student(student, graded=False, reason=reason)
    released = set(released_assignments(course))
    with Gradebook(f"sqlite:///{db}") as gb:
        roll = [student.id for student in gb.students]
    for assignment in active:
        if assignment.name in released:
            for student in roll:
                assignment.students.setdefault(student, Student(student, graded=False, missing=True,
                                                                reason="no submission"))
        for student in assignment.students.values():
            if student.graded:
                path = course / "autograded" / student.id / assignment.name / f"{assignment.name}.ipynb"
                read_verdicts(path, student, assignment.tests)
    return [a for a in active if a.students]


# --------------------------------------------------------------------------- what is in the report


def _graded(assignment: Assignment) -> list[Student]:
    return [s for s in assignment.students.values() if s.graded]


def _scored(assignment: Assignment) -> list[Student]:
    """The students with a score, by id: the graded, and the missing (0), as the grade tables count them."""
    return sorted((s for s in assignment.students.values() if s.graded or s.missing), key=lambda s: s.id)


def mistakes_by_function(assignment: Assignment) -> list[tuple[str, list[str], str, str, list[str]]]:
    """``(function, tests, kind, text, students)``: each mistake once per function, its visible and hidden tests
    merged (a student who made it in both counts once), most students first."""
    merged: dict[tuple[str, str, str], tuple[dict, dict]] = {}
    for test in assignment.tests:
        for kind, text, students in ranked_mistakes(assignment, test):
            tests, who = merged.setdefault((function_of(test), kind, text), ({}, {}))
            tests[test] = None
            who.update(dict.fromkeys(students))
    rows = [(function, list(tests), kind, text, sorted(who)) for (function, kind, text), (tests, who) in merged.items()]
    return sorted(rows, key=lambda r: (-len(r[4]), r[0], r[3]))


def ranked_mistakes(assignment: Assignment, test: str) -> list[tuple[str, str, list[str]]]:
    """``(kind, text, students)`` of one test, most students first (ties: by text)."""
    who: dict[tuple[str, str], list[str]] = {}
    for student in sorted(_graded(assignment), key=lambda s: s.id):
        for kind, text in student.mistakes.get(test, []):
            who.setdefault((kind, text), []).append(student.id)
    return sorted(((kind, text, students) for (kind, text), students in who.items()),
                  key=lambda item: (-len(item[2]), item[1]))


def as_json(assignments: list[Assignment]) -> dict:
    """The report as the ``--json`` contract has it (README, "The class report")."""
    out = {}
    for assignment in assignments:
        graded = _graded(assignment)
        tests = {}
        for test in assignment.tests:
            passed = sum(1 for s in graded if s.passed.get(test))
            tests[test] = {"passed": passed, "failed": len(graded) - passed,
                           "mistakes": {text: students for _, text, students in ranked_mistakes(assignment, test)}}
        out[assignment.name] = {
            "students": len(assignment.students), "graded": len(graded),
            "not_graded": {s.id: s.reason for s in sorted(assignment.students.values(), key=lambda s: s.id)
                           if not s.graded and not s.missing},
            "missing": [s.id for s in _scored(assignment) if s.missing],
            # after any late penalty, missing work 0: the numbers of grades.csv and the exports
            "mean": round(sum(s.score for s in _scored(assignment)) / len(_scored(assignment)), 3)
            if _scored(assignment) else None,
            "max_score": assignment.max_score,
            "scores": {s.id: s.score for s in _scored(assignment)},
            "late": {s.id: s.late for s in sorted(graded, key=lambda s: s.id) if s.late},
            "timeouts": {s.id: s.timeouts for s in sorted(graded, key=lambda s: s.id) if s.timeouts},
            "replaced": {s.id: s.replaced for s in sorted(graded, key=lambda s: s.id) if s.replaced},
            "tests": tests}
    return {"assignments": out}


@lru_cache(maxsize=None)
def teaching_section(assignment: str, function: str, source_root: Path = COURSE_ROOT) -> tuple[str, str] | None:
    """``(heading, text)`` of the notebook section that teaches ``function``: the markdown before its solution cell."""
    path = Path(source_root) / "notebooks" / assignment / f"{assignment}.ipynb"
    try:
        notebook = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return None
    heading, text = None, []
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown":
            found = re.search(r"^#{1,2}\s+(.+)$", cell.source, flags=re.M)  # a section, not an exercise's heading
            if found:
                heading, text = found.group(1).strip(), []
            text.append(re.sub(r"^#{1,2}\s+.+$", "", cell.source, count=1, flags=re.M).strip())
        elif meta.get("grade_id") == function:
            return (heading or function), _first_paragraphs("\n\n".join(t for t in text if t), EXCERPT_CHARACTERS)
    return None


#: Characters of a notebook section the report quotes: whole paragraphs, at least one.
EXCERPT_CHARACTERS = 900


def _first_paragraphs(markdown: str, limit: int) -> str:
    """The paragraphs of ``markdown`` that fit in ``limit`` characters (never a formula or a sentence cut)."""
    kept = []
    for paragraph in re.split(r"\n\s*\n", markdown):
        if kept and sum(map(len, kept)) + len(paragraph) > limit:
            break
        kept.append(paragraph)
    return "\n\n".join(kept)


def excerpt_html(markdown: str) -> str:
    """A notebook excerpt as the feedback shows markdown: formulas as MathML, then markdown, then cleaned."""
    from ..engine.feedback import clean_html, markdown_to_html, maths_to_mathml

    return clean_html(markdown_to_html(maths_to_mathml(markdown)))


def function_of(test: str) -> str:
    """``test_pad2d_hidden`` -> ``pad2d``."""
    return re.sub(r"^test_(.+)_(visible|hidden)$", r"\1", test)


# --------------------------------------------------------------------------- writing


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def charts(assignment: Assignment) -> tuple[str, str]:
    """Data URIs of the score histogram and of the pass rate of each test cell."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    graded = _graded(assignment)
    scores = Figure(figsize=(6, 2.6))
    axes = scores.subplots()
    top = max(assignment.max_score, 1.0)
    axes.hist([s.score for s in _scored(assignment)], bins=min(20, int(top) + 1), range=(0, top), color="#1565c0")
    axes.set_xlabel(f"score (of {assignment.max_score:g})")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel("students")
    rates = Figure(figsize=(6, 0.3 * len(assignment.tests) + 0.8))
    axes = rates.subplots()
    passed = [sum(1 for s in graded if s.passed.get(t)) / len(graded) * 100 if graded else 0 for t in assignment.tests]
    axes.barh(range(len(assignment.tests)), passed, color="#2e7d32")
    axes.set_yticks(range(len(assignment.tests)), assignment.tests, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of graded students passing")
    return _png(scores), _png(rates)


def _notebook_uri(assignment: str, source_root: Path) -> str:
    return (Path(source_root).resolve() / "notebooks" / assignment / f"{assignment}.ipynb").as_uri()


def _anchor(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_]", "_", p) for p in parts)


def write_html(assignments: list[Assignment], path: Path, source_root: Path = COURSE_ROOT) -> Path:
    e = html.escape
    body = []
    for assignment in assignments:
        graded = _graded(assignment)
        scores, rates = charts(assignment)
        mean = as_json([assignment])["assignments"][assignment.name]["mean"]
        body.append(f"<section id='{_anchor(assignment.name)}'><h2>{e(assignment.name)}</h2>"
                    f"<p>{len(assignment.students)} students, {len(graded)} graded; mean "
                    f"{'-' if mean is None else f'{mean:g}'} of {assignment.max_score:g}</p>"
                    f"<h3>Scores</h3><img class='chart' alt='score distribution' src='{scores}'>"
                    f"<h3>Pass rate of each test cell</h3><img class='chart' alt='pass rate per test' src='{rates}'>")
        rows = mistakes_by_function(assignment)
        body.append("<h3>Mistakes, by how many students made them</h3>")
        if rows:
            body.append("<table><tr><th>students</th><th>function (tests)</th><th>mistake</th><th>who</th>"
                        "<th>taught in</th></tr>")
            for function, tests, kind, text, students in rows:
                section = teaching_section(assignment.name, function, source_root)
                link = (f"<a href='#{_anchor('teach', assignment.name, function)}'>{e(section[0])}</a>"
                        if section else "")
                label = "diagnosis: " if kind == "diagnosis" else ""
                body.append(f"<tr><td>{len(students)}</td><td>{e(function)} <small>({e(', '.join(tests))})</small>"
                            f"</td><td>{e(label + text)}</td>"
                            f"<td>{e(', '.join(students))}</td><td>{link}</td></tr>")
            body.append("</table>")
        else:
            body.append("<p>None named.</p>")
        not_graded = sorted((s for s in assignment.students.values() if not s.graded and not s.missing),
                            key=lambda s: s.id)
        missing = [s for s in _scored(assignment) if s.missing]
        body.append("<h3>Missing (no submission, 0)</h3>" + (
            "<p>" + ", ".join(e(s.id) for s in missing) + "</p>" if missing else "<p>Nobody.</p>"))
        resubmitted = [s for s in sorted(graded, key=lambda s: s.id) if s.replaced]
        if resubmitted:
            body.append("<h3>Late resubmissions that replaced an on-time one</h3><ul>" + "".join(
                f"<li>{e(s.id)}: {e(s.late)}; {e(s.replaced)}</li>" for s in resubmitted) + "</ul>")
        body.append("<h3>NOT GRADED</h3>" + ("<ul>" + "".join(f"<li>{e(s.id)}: {e(s.reason)}</li>" for s in not_graded)
                                             + "</ul>" if not_graded else "<p>Nobody.</p>"))
        stopped = [(s.id, t) for s in sorted(graded, key=lambda s: s.id) for t in s.timeouts]
        body.append("<h3>Time-outs</h3>" + ("<ul>" + "".join(f"<li>{e(who)}: {e(cell)}</li>" for who, cell in stopped)
                                            + "</ul>" if stopped else "<p>None.</p>"))
        notes = [(s.id, s.note) for s in sorted(graded, key=lambda s: s.id) if s.note]
        if notes:
            body.append("<h3>Verdicts not read</h3><ul>" + "".join(f"<li>{e(w)}: {e(n)}</li>" for w, n in notes) + "</ul>")
        body.append("<h3>Where the course teaches it</h3>")
        for function in dict.fromkeys(function_of(t) for t in assignment.tests):
            section = teaching_section(assignment.name, function, source_root)
            if section:
                body.append(f"<div class='teach' id='{_anchor('teach', assignment.name, function)}'>"
                            f"<h4>{e(section[0])} <small>({e(function)}, notebook {e(assignment.name)})</small></h4>"
                            f"<div class='excerpt'>{excerpt_html(section[1])}</div>"
                            f"<p><a href='{e(_notebook_uri(assignment.name, source_root))}'>"
                            f"the notebook</a></p></div>")
        body.append("</section>")
    page = ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{REPORT_POLICY}\">"
            f"<title>Class report</title><style>{PAGE_FONTS}body{{max-width:60em;margin:1em auto;padding:0 1em}}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;"
            "vertical-align:top}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}.chart{max-width:100%}"
            "</style></head><body><h1>Class report</h1>" + "".join(body) + "</body></html>\n")
    write_private(path, page)
    return path


def write_csv(assignments: list[Assignment], path: Path) -> Path:
    """``mistakes.csv``: one row per student, test and named mistake."""
    from ..text import spreadsheet_safe

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student_id", "assignment", "test", "kind", "mistake"])
    for assignment in assignments:
        for student in sorted(_graded(assignment), key=lambda s: s.id):
            for test in assignment.tests:
                for kind, text in student.mistakes.get(test, []):
                    writer.writerow([spreadsheet_safe(c) for c in (student.id, assignment.name, test, kind, text)])
    write_private(path, buffer.getvalue())
    return path


def summary(assignments: list[Assignment], html_path: Path, csv_path: Path) -> str:
    """A few lines for the terminal: per assignment its counts, mean and most common mistakes."""
    from ..text import printable

    lines = []
    for assignment in assignments:
        data = as_json([assignment])["assignments"][assignment.name]
        mean = "-" if data["mean"] is None else f"{data['mean']:g}"
        timeouts = sum(len(s.timeouts) for s in _graded(assignment))
        lines.append(f"{printable(assignment.name)}: {data['students']} students, {data['graded']} graded, "
                     f"{len(data['not_graded'])} NOT GRADED, {len(data['missing'])} missing, "
                     f"mean {mean} / {assignment.max_score:g}, "
                     f"{timeouts} time-out(s)")
        for function, _, _, text, who in mistakes_by_function(assignment)[:3]:
            lines.append(f"  {len(who)} x {printable(function)}: {printable(text)[:110]}")
    lines.append(f"Report: {html_path}; mistakes: {csv_path}")
    return "\n".join(lines)


#: What ``report`` writes into the course folder: student data, git-ignored (tests/test_layout.py).
REPORT_FILES = ("report.html", "mistakes.csv")


def report(course: Path, as_json_output: bool = False) -> tuple[int, str]:
    """Write report.html and mistakes.csv in ``course``; ``(exit code, what to print)``."""
    try:
        assignments = collect(course)
    except FileNotFoundError as error:
        return 2, f"grader report: {error}"
    html_path = write_html(assignments, course / REPORT_FILES[0])
    csv_path = write_csv(assignments, course / REPORT_FILES[1])
    if as_json_output:
        return 0, json.dumps(as_json(assignments))
    return 0, summary(assignments, html_path, csv_path)
