"""``python -m grader grade SUBMISSIONS``: autograde a whole class.

SUBMISSIONS may be

* nbgrader's ``submitted/`` tree: ``<student>/<assignment>/<assignment>.ipynb``;
* a folder of per-student folders: ``<student>/<any name>.ipynb`` (Moodle-style exports);
* a flat folder of notebooks named ``<student>__<any name>.ipynb``, or, without a double
  underscore, ``<student>_<any name>.ipynb`` (Canvas-style: ``smithjane_1234_5678_nb.ipynb``
  gives ``smithjane``);
* a ``.zip`` of any of these.

The assignment is recognised from the notebook's graded cells, whatever the file is called.
Results go to the course folder ``--out`` (default: the repository, so that nbgrader's
formgrader and commands see the same gradebook): ``gradebook.db``, ``submitted/``,
``autograded/``, ``feedback/<student>/<assignment>/<assignment>.html``, ``grades.csv``.
Students already graded keep their results (and manual grades) unless ``--force``.
"""
from __future__ import annotations

import csv
import shutil
import sys
import tempfile
import zipfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .autograde import (GradingError, Result, assignment_of, cached_template, grade_shard, merge_shard,
                        read_result, read_submission, _run)


@dataclass(eq=False)  # hashable by identity: one job per submission
class Submission:
    student: str
    path: Path
    assignment: str | None = None
    problem: str | None = None


def _student_from_file(name: str) -> str:
    stem = Path(name).stem
    for separator in ("__", "_"):
        if separator in stem:
            return stem.split(separator, 1)[0]
    return stem


def find_submissions(folder: Path) -> list[Submission]:
    """Every (student, notebook) in an nbgrader tree, per-student folders, or a flat folder."""
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "__MACOSX")):
            continue
        if entry.is_file():
            if entry.suffix == ".ipynb":
                found.append(Submission(_student_from_file(entry.name), entry))
            continue
        notebooks = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        if not notebooks:
            found.append(Submission(entry.name, entry, problem="no notebook in this student's folder"))
        found += [Submission(entry.name, p) for p in notebooks]
    return found


def identify(submissions: list[Submission]) -> list[Submission]:
    """Recognise each notebook's assignment; unreadable or unknown ones get a problem, not an exception."""
    for submission in submissions:
        if submission.problem:
            continue
        try:
            notebook = read_submission(submission.path)
            submission.assignment = assignment_of(notebook, submission.path.name)
        except GradingError as error:
            submission.problem = str(error).replace(str(submission.path), submission.path.name)
    return submissions


def _already_graded(out: Path, assignment: str, student: str) -> bool:
    from nbgrader.api import Gradebook, MissingEntry

    db = out / "gradebook.db"
    if not db.exists() or not (out / "autograded" / student / assignment).exists():
        return False
    with Gradebook(f"sqlite:///{db}") as gb:
        try:
            gb.find_submission(assignment, student)
            return True
        except MissingEntry:
            return False


def _grade_job(shard: str, path: str, assignment: str, student: str, template: str,
               timeout: int | None) -> tuple[str, str | None]:
    """Worker: autograde and make feedback in a shard. Returns (student, problem or None)."""
    from nbgrader.converters import GenerateFeedback

    try:
        grade_shard(Path(shard), Path(path), assignment, student, Path(template), timeout=timeout)
        _run(GenerateFeedback, Path(shard), assignment, student, force=True)
        return student, None
    except GradingError as error:
        return student, str(error)
    except Exception as error:  # a job must never take the others down
        return student, f"{type(error).__name__}: {error}"


def _prepare_course(out: Path, assignments: set[str]) -> dict[str, Path]:
    """Templates for each assignment; the course gradebook created or brought up to date from them."""
    from nbgrader.api import Gradebook

    templates = {assignment: cached_template(assignment) for assignment in sorted(assignments)}
    db = out / "gradebook.db"
    if not db.exists() and templates:
        shutil.copyfile(next(iter(templates.values())), db)
    for assignment, template in templates.items():
        with Gradebook(f"sqlite:///{db}") as gb:
            known = {a.name for a in gb.assignments}
        if assignment not in known:
            from nbgrader.converters import GenerateAssignment
            _run(GenerateAssignment, out, assignment, force=True, create_assignment=True)
    return templates


def write_grades_csv(out: Path) -> Path:
    """One row per student: total, then per assignment its score and each test's score."""
    from nbgrader.api import Gradebook, MissingEntry

    path = out / "grades.csv"
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        columns = []
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            columns.append((assignment.name, None, None))
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    columns.append((assignment.name, notebook.name, cell.name))
        header = ["student_id", "total", "max_total"] + [
            a if cell is None else f"{a}/{cell}" for a, _, cell in columns]
        rows = []
        for student in sorted(gb.students, key=lambda s: s.id):
            row, total, max_total = [], 0.0, 0.0
            for assignment, notebook, cell in columns:
                try:
                    if cell is None:
                        submission = gb.find_submission(assignment, student.id)
                        value = submission.score
                        total += value
                        max_total += submission.max_score
                    else:
                        value = gb.find_grade(cell, notebook, assignment, student.id).score
                    row.append(f"{value:g}")
                except MissingEntry:
                    row.append("")
            rows.append([student.id, f"{total:g}", f"{max_total:g}"] + row)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _summary(results: list[tuple[str, str, Result | None, str]]) -> str:
    width = max([len(s) for s, *_ in results] + [7])
    lines = [f"{'student':<{width}}  {'assignment':<24} {'score':>13}  status"]
    for student, assignment, result, status in sorted(results, key=lambda r: (r[0], r[1])):
        score = f"{result.score:g} / {result.max_score:g}" if result else "-"
        lines.append(f"{student:<{width}}  {assignment:<24} {score:>13}  {status}")
    return "\n".join(lines)


def grade(source: str, out: Path, jobs: int = 1, force: bool = False, timeout: int | None = None) -> int:
    """Grade every submission under ``source`` into course folder ``out``; print a summary."""
    from tqdm import tqdm

    source_path = Path(source).expanduser()
    if not source_path.exists():
        print(f"grader grade: {source}: no such file or folder", file=sys.stderr)
        return 2
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cnn-course-unzip-") as unzipped:
        if source_path.is_file():
            if not zipfile.is_zipfile(source_path):
                print(f"grader grade: {source}: neither a folder nor a zip file", file=sys.stderr)
                return 2
            with zipfile.ZipFile(source_path) as archive:
                archive.extractall(unzipped)
            source_path = Path(unzipped)
        submissions = identify(find_submissions(source_path))
        results: list[tuple[str, str, Result | None, str]] = []
        todo = []
        for s in submissions:
            if s.problem:
                results.append((s.student, s.assignment or "?", None, f"NOT GRADED: {s.problem}"))
            elif not force and _already_graded(out, s.assignment, s.student):
                results.append((s.student, s.assignment, read_result(out / "gradebook.db", out, s.assignment, s.student),
                                "already graded (--force regrades)"))
            else:
                todo.append(s)
        seen = set()
        for s in list(todo):  # two notebooks of one student for one assignment: grade the first only
            if (s.student, s.assignment) in seen:
                todo.remove(s)
                results.append((s.student, s.assignment, None, f"NOT GRADED: second notebook {s.path.name}"))
            seen.add((s.student, s.assignment))
        templates = _prepare_course(out, {s.assignment for s in todo})
        shards = out / ".shards"
        for s in todo:  # keep a copy of what was graded, as nbgrader does
            copy = out / "submitted" / s.student / s.assignment / f"{s.assignment}.ipynb"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(s.path, copy)
        jobs_args = {s: (str(shards / f"{s.student}--{s.assignment}"), str(s.path), s.assignment, s.student,
                         str(templates[s.assignment]), timeout) for s in todo}
        for args in jobs_args.values():
            shutil.rmtree(args[0], ignore_errors=True)
        progress = tqdm(total=len(todo), desc="grading", unit="notebook", file=sys.stderr, disable=not todo)
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(_grade_job, *args): s for s, args in jobs_args.items()}
            for future in as_completed(futures):
                s = futures[future]
                try:
                    _, problem = future.result()
                except Exception as error:  # the worker process itself died
                    problem = f"grading process died: {type(error).__name__}: {error}"
                shard = Path(jobs_args[s][0])
                if problem is None:
                    merge_shard(shard, out, s.assignment, s.student)  # one writer: the main process
                    results.append((s.student, s.assignment, read_result(out / "gradebook.db", out, s.assignment,
                                                                         s.student), "graded"))
                else:
                    results.append((s.student, s.assignment, None, f"NOT GRADED: {problem}"))
                shutil.rmtree(shard, ignore_errors=True)
                progress.update(1)
        progress.close()
    shutil.rmtree(out / ".shards", ignore_errors=True)
    csv_path = write_grades_csv(out) if (out / "gradebook.db").exists() else None
    print(_summary(results))
    failed = sum(1 for *_, status in results if status.startswith("NOT GRADED"))
    print(f"\n{len(results) - failed} graded, {failed} not graded."
          + (f" Grades: {csv_path}; feedback: {out / 'feedback'}" if csv_path else ""))
    return 0
