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
``autograded/``, ``feedback/<student>/<assignment>/<assignment>.html``, ``grades.csv`` and the other
grade tables (``grader.engine.grades``). nbgrader's record of a submission (``timestamp.txt``,
``submission_secret.txt``) goes with it into autograded/ and feedback/, its time into the gradebook.
A submission already graded, as formgrader tells it, keeps its results (and manual grades) unless
``--force``; a newer one is graded again (manual grades kept).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .. import permissions
from ..config import COURSE_ROOT
from ..text import printable
from .autograde import (
    MAX_SUBMISSION_BYTES,
    Result,
    assignment_of,
    late_rule,
    merge_shard,
    read_result,
    read_submission,
    submission_record,
    submission_time,
)
from .cluster import ClusterError, DaskPool
from .converters import GradingError, one_engine_per_gradebook
from .gradebook import cached_template, register_assignments
from .grades import record_replaced, write_tables
from .phases import phase, take
from .student_files import NBGRADER_FILES, RefusedFile, copy_regular, make_folder_private, read_regular, refusal
from .workers import Pool


@dataclass(eq=False)  # hashable by identity: one job per submission
class Submission:
    student: str
    path: Path
    assignment: str | None = None
    problem: str | None = None
    top: Path | None = None  #: the instructor's folder it was found in: nothing below it is followed


def _student_from_file(name: str) -> str:
    stem = Path(name).stem
    for separator in ("__", "_"):
        if separator in stem:
            return stem.split(separator, 1)[0]
    return stem


#: What a student's id (a file or folder name she chose) may not hold: formgrader writes it unescaped into
#: its pages (``<li>{{ student_id }}</li>``, ``var student_id = "{{ student_id }}"``), nbgrader into glob patterns.
_UNSAFE_IN_NAMES = frozenset('<>"\\[]*?')


def student_id_problem(student: str, name: str | None = None) -> str | None:
    """Why ``student``, the id read from the file or folder name ``name``, cannot be a student's, or None.

    The id names the student's folders (``autograded/<student>/``, ``feedback/<student>/``), her
    gradebook row and formgrader's pages about her: it must not be empty (``_x.ipynb``), hidden or a
    step up (a leading ``.``), a path (``/``, ``\\``), hold control characters (a newline in a folder
    name), markup, quotes or glob characters, or begin or end with a space (nbgrader strips it); and it must
    not pass for another's: not outside Unicode's normal form NFKC (full-width letters, ligatures), no mix of
    scripts with look-alike letters (``confusable-homoglyphs``: the Unicode consortium's confusables).
    """
    from confusable_homoglyphs import confusables

    name = student if name is None else name
    if not student:
        return f"cannot tell the student from the file name '{printable(name)}' (name it <student>__<anything>.ipynb)"
    named = f"the student id '{printable(student)}'" + (f" (from '{printable(name)}')" if student != name else "")
    if student.startswith("."):
        return f"{named} starts with '.'"
    if any(ch in "/\\" for ch in student):
        return f"{named} has a path separator"
    if any(unicodedata.category(ch)[0] == "C" for ch in student):
        return f"{named} has a control character"
    unsafe = sorted(set(student) & _UNSAFE_IN_NAMES)
    if unsafe:
        return (f"{named} holds {' '.join(unsafe)}, which formgrader's pages or nbgrader's file patterns would "
                f"misread; rename the file or folder")
    if student != student.strip():
        return f"{named} begins or ends with a space; rename the file or folder"
    # Refused, not normalised: mapped onto its normal form, a forged id would land in a classmate's row.
    normal = unicodedata.normalize("NFKC", student)
    if normal != student:
        return (f"{named} is not in Unicode's normal form (NFKC: '{printable(normal)}'), so it reads like another id; "
                f"rename the file or folder")
    if confusables.is_dangerous(student):
        return (f"{named} mixes scripts whose letters look alike (a Cyrillic о among Latin letters, a combining "
                f"accent), so it could pass for another student's id; rename the file or folder")
    return None


def find_submissions(folder: Path, refused: dict[Path, str] | None = None,
                     skip: Path | None = None) -> list[Submission]:
    """Every (student, notebook) in an nbgrader tree, per-student folders, or a flat folder.

    No student's link is followed, nor a FIFO or device file read: a notebook that is one, or is
    reached through a link (a student's folder that is a link, say), gets a problem naming it
    ("mallory/02_padding_stride is a symbolic link"). ``refused``: paths refused although they are
    files here, with the reason (zip entries that were links, :func:`_unzip`). ``folder`` is the instructor's.
    ``skip``: a folder below ``folder`` that holds no submission (the course folder ``grade --out`` writes).
    """
    refused = refused or {}
    skip = skip.resolve() if skip else None

    def reason(path: Path) -> str | None:
        return refused.get(path) or refusal(path.relative_to(folder).as_posix(), os.lstat(path).st_mode)

    found = []
    for path, why in sorted(refused.items()):
        if path.suffix == ".ipynb" and not os.path.lexists(path):  # a zip entry that could not be unzipped
            parts = path.relative_to(folder).parts
            found.append(Submission(parts[0] if len(parts) > 1 else _student_from_file(parts[0]), path, problem=why))
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "__MACOSX")) or (skip and entry.resolve() == skip):
            continue
        if not entry.is_dir() or entry.is_symlink() or entry in refused:
            if entry.suffix == ".ipynb":
                student = _student_from_file(entry.name)
                found.append(Submission(student or entry.name, entry, top=folder,
                                        problem=student_id_problem(student, entry.name) or reason(entry)))
            elif entry.is_dir() or entry in refused:  # a student's folder that is a link
                found.append(Submission(entry.name, entry, problem=reason(entry), top=folder))
            continue
        if student_id_problem(entry.name, entry.name):
            found.append(Submission(entry.name, entry, problem=student_id_problem(entry.name, entry.name)))
            continue
        notebooks, links = [], []
        for parent, folders, files in os.walk(entry):  # never descends through a link
            folders[:] = sorted(f for f in folders if f != ".ipynb_checkpoints"
                                and not (skip and (Path(parent) / f).resolve() == skip))
            for name in sorted(folders + files):
                path = Path(parent) / name
                if path.suffix == ".ipynb" and not (path.is_dir() and not path.is_symlink()):
                    notebooks.append(path)
                elif path.is_symlink() or path in refused:
                    links.append(path)
        if not notebooks and links:
            found.append(Submission(entry.name, entry, problem=reason(links[0]), top=folder))
        elif not notebooks:
            found.append(Submission(entry.name, entry, problem="no notebook in this student's folder"))
        found += [Submission(entry.name, p, problem=reason(p), top=folder) for p in sorted(notebooks)]
    return found


def identify(submissions: list[Submission]) -> list[Submission]:
    """Recognise each notebook's assignment; unreadable or unknown ones get a problem, not an exception."""
    for submission in submissions:
        submission.problem = submission.problem or student_id_problem(submission.student, submission.path.name)
        if submission.problem:
            continue
        try:
            notebook = read_submission(submission.path, below=submission.top)
            submission.assignment = assignment_of(notebook, submission.path.name)
        except GradingError as error:
            submission.problem = str(error).replace(str(submission.path), submission.path.name)
    return submissions


def _on_time_replaced(out: Path, s: Submission) -> str | None:
    """When ``s`` is late and ``out``'s gradebook holds the student's graded on-time submission of the assignment:
    what grading ``s`` replaces ("an on-time submission that scored 10 / 20"). Else None.

    nbgrader keeps one submission per student and assignment, the newest (``collect --update``, autograde):
    a resubmission after the due date replaces the on-time score, penalty and all.
    """
    from nbgrader.api import Gradebook, MissingEntry

    from .grades import final_score

    db = out / "gradebook.db"
    if not db.exists():
        return None
    new_time = submission_time(submission_record(s.path, s.top))
    with Gradebook(f"sqlite:///{db}") as gb:
        try:
            previous = gb.find_submission(s.assignment, s.student)
        except MissingEntry:
            return None
        due = previous.duedate
        if (due is None or new_time is None or new_time <= due or previous.timestamp is None
                or previous.timestamp > due or previous.timestamp == new_time):
            return None
        return f"an on-time submission that scored {final_score(previous):g} / {previous.max_score:g}"


def _already_graded(out: Path, s: Submission) -> bool:
    """Whether ``s`` is what the course folder ``out`` holds graded, as formgrader decides it.

    nbgrader (``get_autograded_students``): the student's ``autograded/`` folder exists, the gradebook has
    her submission, and its time is the submission's ``timestamp.txt`` (both may be absent). A submission
    with no time (an LMS's) is also compared by its bytes with the copy kept in ``submitted/``: a newer
    submission, one way or the other, is graded again.
    """
    from nbgrader.api import Gradebook, MissingEntry

    db = out / "gradebook.db"
    if not db.exists() or not (out / "autograded" / s.student / s.assignment).exists():
        return False
    with Gradebook(f"sqlite:///{db}") as gb:
        try:
            graded_at = gb.find_submission(s.assignment, s.student).timestamp
        except MissingEntry:
            return False
    record = submission_record(s.path, s.top)
    if submission_time(record) != graded_at:
        return False
    kept = out / "submitted" / s.student / s.assignment / f"{s.assignment}.ipynb"
    if "timestamp.txt" in record or not kept.is_file() or kept.is_symlink() or os.path.samefile(kept, s.path):
        return True
    try:
        return read_regular(s.path, s.top, limit=MAX_SUBMISSION_BYTES) == kept.read_bytes()
    except RefusedFile:
        return True  # reported when it is read to be graded


def _prepare_course(out: Path, assignments: set[str]) -> dict[str, Path]:
    """Templates for each assignment; the course gradebook created or brought up to date from them."""
    templates = {assignment: cached_template(assignment) for assignment in sorted(assignments)}
    register_assignments(out / "gradebook.db", assignments=assignments)  # as generate_assignment records them
    return templates




def _summary(results: list[tuple[str, str, Result | None, str]]) -> str:
    width = max([len(printable(s)) for s, *_ in results] + [7])
    lines = [f"{'student':<{width}}  {'assignment':<24} {'score':>13}  status"]
    for student, assignment, result, status in sorted(results, key=lambda r: (r[0], r[1])):
        score = f"{result.score:g} / {result.max_score:g}" if result else "-"
        lines.append(f"{printable(student):<{width}}  {printable(assignment):<24} {score:>13}  {printable(status)}")
    return "\n".join(lines)


def _problems(results: list[tuple[str, str, Result | None, str]]) -> dict[tuple[str, str], str]:
    """This run's submissions that could not be graded, for the grade tables: ``{(student, assignment): why}``."""
    problems: dict[tuple[str, str], str] = {}
    graded = {(student, assignment) for student, assignment, _, status in results if not status.startswith("NOT GRADED")}
    for student, assignment, _, status in results:
        if status.startswith("NOT GRADED: "):
            why = status.removeprefix("NOT GRADED: ")
            key = (student, "" if (student, assignment) in graded else assignment)  # her second notebook, say
            problems[key] = f"{problems[key]}; {why}" if key in problems else why
    return problems


@contextlib.contextmanager
def _stopped_by_signals():
    """SIGTERM and SIGHUP end grading like Ctrl-C does (KeyboardInterrupt), so clean-up runs."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    saved = {}
    try:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            saved[signum] = signal.signal(signum, interrupt)
    except ValueError:  # not the main thread: signals cannot be caught here
        pass
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


#: The grade tables are rebuilt from the whole gradebook, in a time that grows with the class: after a
#: student they are rewritten unless the last rewrite was less than this many times its own duration ago,
#: so that they take at most 1/TABLES_SHARE of the writer's time (a small class: after every student; a
#: class of hundreds: every few seconds). A finished run, or one stopped by Ctrl-C or SIGTERM, writes them.
TABLES_SHARE = 10


def grade(source: str, out: Path, jobs: int = 1, force: bool = False, timeout: int | None = None,
          formats: tuple[str, ...] = (), profile: list | None = None, keep_on_time: bool = False,
          scheduler: str | None = None) -> int:
    """Grade every submission under ``source`` into course folder ``out``; print a summary.

    Returns 0 when every submission was graded (or had been), 1 when some could not be (each
    has a row in grades.csv whose ``status`` is ``not_graded`` and whose ``reason`` says why), 2 when
    ``source`` is unusable. The grade tables (``grader.engine.grades``: grades.csv, grades-detail.csv, and
    grades-<format>.csv for each of ``formats``) are rewritten as students finish (:data:`TABLES_SHARE`) and
    at the end, so an interrupted run keeps every finished one. ``profile``: a list that gets, for each submission graded or tried, a dict
    ``{"student", "assignment", "graded", "phases": {phase: seconds}}`` (:mod:`grader.engine.phases`).

    Resubmissions: the newest counts, as in nbgrader; a late one that replaces a graded on-time one says so in
    the summary, ``grades.csv``'s reason and the report (``grader.engine.grades.RESUBMISSIONS``). ``keep_on_time``: such
    a late resubmission is not graded, and the on-time score stays. ``scheduler``: a Dask scheduler's address (or
    scheduler file) to grade on instead of ``jobs`` local workers (:mod:`grader.engine.cluster`); all else is the same.
    """
    from tqdm import tqdm

    from .sandbox import Limits

    tqdm.monitor_interval = 0  # no monitor thread: a process with one thread may fork its workers (workers.ForkedWorker)
    source_path = Path(source).expanduser()
    if not source_path.exists():
        print(f"grader grade: {source}: no such file or folder", file=sys.stderr)
        return 2
    out = out.resolve()
    if source_path.is_dir() and out == source_path.resolve():
        print(f"grader grade: --out {out} is the submissions folder: give the course folder that holds it, "
              f"or another", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    exposed = permissions.warning(out, COURSE_ROOT)  # the hidden tests and reference are the repository's
    if exposed:
        print(f"grader grade: {exposed}", file=sys.stderr)
    shards = out / ".shards"  # copies of submissions and gradebooks while grading: the instructor's alone
    shards.mkdir(mode=0o700, exist_ok=True)
    make_folder_private(shards)
    refused: dict[Path, str] = {}
    results: list[tuple[str, str, Result | None, str]] = []
    replaced: dict[Submission, str | None] = {}  # a late resubmission's: the on-time one it replaces
    if scheduler:
        pool = DaskPool(scheduler)
    else:
        pool = Pool(jobs, limit=Limits.from_env().wall + 120)
    interrupted = False
    with tempfile.TemporaryDirectory(prefix="cnn-course-unzip-") as unzipped, _stopped_by_signals():
        try:
            try:
                pool.start()
            except ClusterError as error:
                print(f"grader grade: {error}", file=sys.stderr)
                return 2
            if source_path.is_file():
                if not zipfile.is_zipfile(source_path):
                    print(f"grader grade: {source}: neither a folder nor a zip file", file=sys.stderr)
                    return 2
                try:
                    refused = _unzip(source_path, Path(unzipped))
                except (RefusedZip, zipfile.BadZipFile) as error:
                    print(f"grader grade: {source}: not extracted: {error}", file=sys.stderr)
                    return 2
                source_path = Path(unzipped)
            submissions = identify(find_submissions(source_path, refused, skip=out))
            todo = []
            for s in submissions:
                if s.problem:
                    results.append((s.student, s.assignment or "?", None, f"NOT GRADED: {s.problem}"))
                elif not force and _already_graded(out, s):
                    results.append((s.student, s.assignment, read_result(out / "gradebook.db", out, s.assignment,
                                                                         s.student), "already graded (--force regrades)"))
                elif (replacing := _on_time_replaced(out, s)) and keep_on_time:
                    results.append((s.student, s.assignment, read_result(out / "gradebook.db", out, s.assignment,
                                                                         s.student),
                                    f"kept {replacing}: the late resubmission is not graded (--keep-on-time)"))
                else:
                    todo.append(s)
                    replaced[s] = replacing
            seen = set()
            for s in list(todo):  # two notebooks of one student for one assignment: grade the first only
                if (s.student, s.assignment) in seen:
                    todo.remove(s)
                    results.append((s.student, s.assignment, None, f"NOT GRADED: second notebook {s.path.name}"))
                seen.add((s.student, s.assignment))
            templates = _prepare_course(out, {s.assignment for s in todo})
            # Shards by number: a student id may be as long as a file name may be (NAME_MAX), and longer with a suffix.
            from nbgrader.api import Gradebook

            with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
                jobs_args = {s: dict(shard=str(shards / str(number)), path=str(s.path),
                                     assignment=s.assignment, student=s.student, template=str(templates[s.assignment]),
                                     timeout=timeout, below=str(s.top) if s.top else None,
                                     late=late_rule(gb, out, s.assignment, s.student))
                             for number, s in enumerate(todo)}
            for args in jobs_args.values():
                shutil.rmtree(args["shard"], ignore_errors=True)
            tables_due = [0.0]  # when the grade tables are next rewritten
            progress = tqdm(total=len(todo), desc="grading", unit="notebook", file=sys.stderr, disable=not todo)

            def done(s: Submission, answer: dict) -> None:
                shard = Path(jobs_args[s]["shard"])
                take()  # the main process's phases of this student alone
                if answer["problem"] is None:
                    with phase("merge"):
                        try:  # one writer: the main process
                            merge_shard(shard, out, s.assignment, s.student)
                        except GradingError as error:
                            answer = {**answer, "problem": f"its result was refused: {error}"}
                if answer["problem"] is None:
                    with phase("submission copy"):
                        _keep_submission(s, out)
                    with phase("merge"):
                        result = read_result(out / "gradebook.db", out, s.assignment, s.student,
                                             messages=answer["messages"])
                        note = f"replaced {replaced[s]}" if replaced.get(s) else None
                        if note:  # kept across runs: a later regrade of the late one does not undo it
                            record_replaced(out, s.student, s.assignment, note)
                        results.append((s.student, s.assignment, result, "graded" + _late(result, note)))
                else:
                    results.append((s.student, s.assignment, None, f"NOT GRADED: {answer['problem']}"))
                with phase("merge"):
                    shutil.rmtree(shard, ignore_errors=True)
                if time.monotonic() >= tables_due[0]:  # every finished student is kept (see TABLES_SHARE)
                    with phase("tables"):
                        began = time.monotonic()
                        write_tables(out, _problems(results), formats)
                        tables_due[0] = time.monotonic() + (TABLES_SHARE - 1) * (time.monotonic() - began)
                if profile is not None:
                    profile.append({"student": s.student, "assignment": s.assignment, "graded": not answer["problem"],
                                    "phases": {**answer.get("phases", {}), **take()}})
                progress.update(1)

            with one_engine_per_gradebook():  # the course gradebook is opened two or three times per student
                pool.run(jobs_args, done)
            progress.close()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            pool.close()
            shutil.rmtree(shards, ignore_errors=True)
    csv_path = write_tables(out, _problems(results), formats)
    print(_summary(results))
    failed = sum(1 for *_, status in results if status.startswith("NOT GRADED"))
    print(f"\n{len(results) - failed} graded, {failed} not graded." + f" Grades: {csv_path}; feedback: {out / 'feedback'}")
    if interrupted:
        print("grader grade: interrupted; grades.csv has every student finished so far", file=sys.stderr)
        return 130
    return 1 if failed else 0


def _late(result: Result, replaced: str | None = None) -> str:
    """`` (late by 10 s, penalty 15: 15 before it; replaced an on-time submission that scored 10 / 20)`` for the
    summary when ``result`` is late, else ``""``."""
    if not result.late:
        return ""
    before = f": {result.raw_score:g} before it" if result.raw_score != result.score else ""
    return f" ({result.late}{before}" + (f"; {replaced}" if replaced else "") + ")"


def _keep_submission(s: Submission, out: Path) -> None:
    """Keep a copy of what was graded in ``out/submitted/``, as nbgrader does (not onto itself), the instructor's alone:
    the notebook, and nbgrader's files of it (:func:`~grader.engine.autograde.submission_record`).

    Copied as read for grading: a regular file, never through a link (a file swapped for one since is not kept).
    """
    copy = out / "submitted" / s.student / s.assignment / f"{s.assignment}.ipynb"
    if copy.exists() and not copy.is_symlink() and os.path.samefile(copy, s.path):
        return  # grading nbgrader's own submitted/ tree in place (its record is there)
    with contextlib.suppress(RefusedFile):
        copy_regular(s.path, copy, below=s.top)
    record = submission_record(s.path, s.top)
    for name in NBGRADER_FILES:  # the submission's record, and no older one's (formgrader compares its time)
        kept = copy.parent / name
        if kept.is_symlink() or kept.exists():
            kept.unlink()
        if name in record:
            with open(os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), "wb") as handle:
                handle.write(record[name])
    for folder in (copy.parent, copy.parent.parent, out / "submitted"):
        make_folder_private(folder)


#: What a zip of a class may hold, uncompressed, and its number of entries. A class of 1000 students
#: with a few files each is under 10 000 entries; 4 GB is 40 notebooks at the 100 MB a submission may be
#: (MAX_SUBMISSION_BYTES), or 1000 course notebooks with every output (a few MB each). Past either, it is
#: a zip bomb, not a class: extracting it would fill the temporary folder's disk or take hours of inodes.
MAX_ZIP_BYTES = 4 * 2**30
MAX_ZIP_ENTRIES = 10_000


class RefusedZip(Exception):
    """A zip of submissions that is not extracted; the message says why, in one line."""


def _unzip(archive_path: Path, folder: Path) -> dict[Path, str]:
    """Extract a zip of submissions into ``folder``; ``{path: reason}`` for its entries that are not regular files.

    zipfile never makes a link (an entry that is one becomes a file holding the link's target), but
    such an entry is a student's link all the same: find_submissions reports it by this reason, and
    nothing reads it. An entry's Unix mode is in the high 16 bits of its ``external_attr``.
    :class:`RefusedZip` before anything is extracted when the zip holds more than :data:`MAX_ZIP_ENTRIES`
    entries or :data:`MAX_ZIP_BYTES` uncompressed (as its entries declare it; zipfile never extracts
    more of an entry than it declares, it fails on the checksum instead).
    """
    refused = {}
    with zipfile.ZipFile(archive_path) as archive:
        entries = archive.infolist()
        size = sum(info.file_size for info in entries)
        if len(entries) > MAX_ZIP_ENTRIES:
            raise RefusedZip(f"{len(entries)} entries, more than the {MAX_ZIP_ENTRIES} a class's zip may have")
        if size > MAX_ZIP_BYTES:
            raise RefusedZip(f"{size / 2**20:.0f} MB uncompressed, more than the {MAX_ZIP_BYTES / 2**20:.0f} MB "
                             f"a class's zip may hold")
        for info in entries:
            try:
                if info.file_size > MAX_SUBMISSION_BYTES:  # the header's size is the most zipfile extracts
                    raise ValueError(f"{info.file_size / 2**20:.0f} MB, larger than a submitted notebook may be")
                if "\\" in info.filename or ".." in info.filename.split("/"):
                    # zipfile drops ".." (and keeps "\\" in a name, here): the entry would land under another
                    # name, or as a hidden file no row would name
                    raise ValueError(f"its name '{printable(info.filename)}' climbs out of its folder or uses '\\'")
                path = Path(archive.extract(info, folder))  # zipfile's own sanitising of names (no ../)
            except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError, EOFError) as error:
                # a name too long for the disk, a file where a folder should be, a bad CRC, a password ...
                name = _entry_path(info.filename)
                refused[folder / name] = f"{name} could not be unzipped ({getattr(error, 'strerror', None) or error})"
                continue
            mode = info.external_attr >> 16
            if stat.S_IFMT(mode) and not info.is_dir():  # no file type (Windows, Java, Python): a regular file
                reason = refusal(path.relative_to(folder).as_posix(), mode)
                if reason:
                    refused[path] = reason
    return refused


def _entry_path(name: str) -> str:
    """A zip entry's name as a relative path, roughly as zipfile extracts it (for naming it in a reason)."""
    return "/".join(part for part in name.replace("\\", "/").split("/") if part not in ("", ".", "..")) or "?"

