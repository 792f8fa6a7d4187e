"""A submission is its notebook, and only that; what grading keeps is the instructor's alone.

A student owns what she hands in and may put symbolic links (to ``/etc/shadow``, the solutions, a
classmate's notebook, the gradebook), FIFOs or extra files there. None of them is followed, read or
copied by ``grader grade``, by the course's collect, by nbgrader's autograde or by generate_feedback
(``grader/engine/student_files.py``, ``grader/instructor/exchange.py``). Folders that grading writes are 0700, their files
0600, and a check says which of the course's secrets other accounts can read, with the command that
fixes it (``grader/permissions.py``). The class graded by ``conftest.graded_sequential`` holds linked
notebooks too (``tests/test_pipeline.py``). The last test proves it with two unprivileged accounts.
"""
from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import tempfile
import zipfile
from contextlib import nullcontext
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from grader.config import configure, configure_instructor, exchange_root
from grader.engine.autograde import read_submission
from grader.engine.batch import find_submissions, identify
from grader.engine.converters import GradingError
from tests.accounts import temporary_accounts, unused_names
from tests.course_copies import fresh_copy

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "02_padding_stride"
SOLUTION = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
HIDDEN_TESTS = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.py"
RELEASED = ROOT / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
SECRET = "/etc/shadow" if os.path.exists("/etc/shadow") else "/etc/passwd"  # what a student must not read
AS_ROOT = os.geteuid() == 0


def modes(folder: Path) -> dict[str, str]:
    """``{path relative to folder: octal mode}`` of everything in it, ``folder`` itself as '.'."""
    found = {".": oct(stat.S_IMODE(folder.stat().st_mode))}
    for path in folder.rglob("*"):
        found[path.relative_to(folder).as_posix()] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def assert_private(folder: Path) -> None:
    """Nothing in ``folder`` (and not it) can be read, listed or entered by group or others."""
    exposed = {name: mode for name, mode in modes(folder).items() if int(mode, 8) & 0o077}
    assert not exposed, exposed


# --- grader grade: what it finds and reads ---------------------------------------------------------


def test_links_fifos_and_linked_folders_are_refused_by_name(tmp_path):
    classmate = tmp_path / "class" / "alice" / ASSIGNMENT
    classmate.mkdir(parents=True)
    (classmate / f"{ASSIGNMENT}.ipynb").write_bytes(SOLUTION.read_bytes())  # a classmate's (perfect) notebook
    folder = tmp_path / "class"
    for name, target in (("mallory", SOLUTION), ("oscar", classmate / f"{ASSIGNMENT}.ipynb"), ("peggy", SECRET)):
        (folder / name / ASSIGNMENT).mkdir(parents=True)
        (folder / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").symlink_to(target)
    (folder / "trent").symlink_to(folder / "alice")  # a student's folder that is a classmate's
    (folder / "walter").mkdir()
    (folder / "walter" / ASSIGNMENT).symlink_to(classmate)  # the assignment's folder is a link
    (folder / "victor__02_padding_stride.ipynb").symlink_to(SOLUTION)  # flat layout
    os.mkfifo(folder / "wendy__02_padding_stride.ipynb")  # would block whoever opens it

    problems = {s.student: s.problem for s in identify(find_submissions(folder))}
    notebook = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    assert problems == {
        "alice": None,
        "mallory": f"mallory/{notebook} is a symbolic link",
        "oscar": f"oscar/{notebook} is a symbolic link",
        "peggy": f"peggy/{notebook} is a symbolic link",
        "trent": "trent is a symbolic link",
        "walter": f"walter/{ASSIGNMENT} is a symbolic link",
        "victor": "victor__02_padding_stride.ipynb is a symbolic link",
        "wendy": "wendy__02_padding_stride.ipynb is a FIFO, not a regular file",
    }


def _class_with_its_course_folder_inside(tmp_path: Path) -> tuple[Path, Path]:
    """``class/`` and ``class/out/`` holding what an earlier ``grade class --out class/out`` kept."""
    folder = tmp_path / "class"
    out = folder / "out"
    kept = out / "submitted" / "alice" / ASSIGNMENT
    kept.mkdir(parents=True)
    (kept / f"{ASSIGNMENT}.ipynb").write_bytes(SOLUTION.read_bytes())
    return folder, out


def test_a_course_folder_inside_the_submissions_folder_is_no_student(tmp_path, capsys):
    from grader.engine.batch import grade

    folder, out = _class_with_its_course_folder_inside(tmp_path)
    assert [s.student for s in find_submissions(folder)] == ["out"]
    assert [s.student for s in find_submissions(folder, skip=out)] == []
    assert grade(str(folder), folder) == 2
    assert "is the submissions folder" in capsys.readouterr().err


@pytest.mark.slow
def test_grade_out_inside_the_submissions_folder_grades_no_phantom_student(tmp_path):
    from grader.engine.batch import grade

    folder, out = _class_with_its_course_folder_inside(tmp_path)
    import csv

    assert grade(str(folder), out) == 0  # nothing to grade
    with open(out / "grades.csv", newline="") as grades:
        assert [row[0] for row in csv.reader(grades)][1:] == []


def test_reading_a_submission_never_goes_through_a_link_below_the_instructors_folder(tmp_path):
    (tmp_path / "mallory").symlink_to(SOLUTION.parent)
    with pytest.raises(GradingError, match=r"^mallory is a symbolic link$"):
        read_submission(tmp_path / "mallory" / SOLUTION.name, below=tmp_path)
    (tmp_path / "link.ipynb").symlink_to(SOLUTION)
    with pytest.raises(GradingError, match=r"^link.ipynb is a symbolic link$"):
        read_submission(tmp_path / "link.ipynb")


def test_zip_entries_that_are_links_fifos_or_devices_are_refused_by_name(tmp_path):
    from grader.engine.batch import _unzip

    zipped = tmp_path / "class.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(RELEASED, "bob__02_padding_stride.ipynb")
        for name, kind, content in (("mallory__02_padding_stride.ipynb", stat.S_IFLNK, str(SOLUTION)),
                                    ("peggy/02_padding_stride.ipynb", stat.S_IFLNK, SECRET),
                                    ("wendy__02_padding_stride.ipynb", stat.S_IFIFO, ""),
                                    ("zoe__02_padding_stride.ipynb", stat.S_IFCHR, "")):
            entry = zipfile.ZipInfo(name)
            entry.external_attr = (kind | 0o777) << 16  # how zip records a Unix link or FIFO
            archive.writestr(entry, content)
    unzipped = tmp_path / "unzipped"
    problems = {s.student: s.problem for s in identify(find_submissions(unzipped, _unzip(zipped, unzipped)))}
    assert problems == {"bob": None,
                        "mallory": "mallory__02_padding_stride.ipynb is a symbolic link",
                        "peggy": "peggy/02_padding_stride.ipynb is a symbolic link",
                        "wendy": "wendy__02_padding_stride.ipynb is a FIFO, not a regular file",
                        "zoe": "zoe__02_padding_stride.ipynb is a device file, not a regular file"}
    assert not any(p.is_symlink() for p in unzipped.rglob("*"))


class ShardsOnly:
    """Stands in for grader.engine.workers.Pool: makes each job's shard as a worker would, grades nothing (fast tests)."""

    def __init__(self, *args, **kwargs):
        self.shards = []

    def start(self):
        pass

    def close(self):
        pass

    def run(self, jobs, on_done):
        for key, args in jobs.items():
            try:
                Path(args["shard"]).mkdir(parents=True)
                self.shards.append(args["shard"])
                on_done(key, {"problem": "not graded by this test"})
            except OSError as error:
                on_done(key, {"problem": f"{type(error).__name__}: {error}"})


def grade_without_workers(source: Path, out: Path, monkeypatch) -> tuple[int, dict[str, dict]]:
    """``grader grade source --out out`` with :class:`ShardsOnly` for its workers: its exit code and grades.csv rows."""
    import csv

    from grader.engine import batch

    monkeypatch.setattr(batch, "Pool", ShardsOnly)
    monkeypatch.setattr(batch, "_prepare_course", lambda out, assignments: {a: Path("template.db") for a in assignments})
    code = batch.grade(str(source), out)
    if not (out / "grades.csv").exists():
        return code, {}
    with (out / "grades.csv").open() as handle:
        return code, {row["student_id"]: row for row in csv.DictReader(handle)}


def test_a_student_id_that_is_empty_hidden_or_holds_control_characters_is_refused_by_name(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("_x.ipynb", "__y.ipynb", "alice__02.ipynb"):
        (folder / name).write_bytes(RELEASED.read_bytes())
    for name in ("eve\nmallory", "bell\x07", "back\\slash"):
        (folder / name).mkdir()
        (folder / name / f"{ASSIGNMENT}.ipynb").write_bytes(RELEASED.read_bytes())
    problems = {s.student: s.problem for s in identify(find_submissions(folder))}
    assert problems == {
        "_x.ipynb": "cannot tell the student from the file name '_x.ipynb' (name it <student>__<anything>.ipynb)",
        "__y.ipynb": "cannot tell the student from the file name '__y.ipynb' (name it <student>__<anything>.ipynb)",
        "alice": None,
        "eve\nmallory": "the student id 'eve\\nmallory' has a control character",
        "bell\x07": "the student id 'bell\\x07' has a control character",
        "back\\slash": "the student id 'back\\slash' has a path separator",
    }


def test_a_refused_student_id_is_a_row_not_an_autograded_folder_and_a_long_one_is_graded(tmp_path, monkeypatch):
    """An id as long as a file name may be gets a shard all the same (today: 'File name too long')."""
    folder = tmp_path / "class"
    folder.mkdir()
    long_id = "s" * 250  # a folder's name: up to NAME_MAX (255) bytes
    (folder / "_x.ipynb").write_bytes(RELEASED.read_bytes())
    (folder / long_id).mkdir()
    (folder / long_id / f"{ASSIGNMENT}.ipynb").write_bytes(RELEASED.read_bytes())
    code, rows = grade_without_workers(folder, tmp_path / "course", monkeypatch)
    assert code == 1
    assert "cannot tell the student from the file name '_x.ipynb'" in str(rows["_x.ipynb"])
    assert "not graded by this test" in str(rows[long_id]) and "too long" not in str(rows[long_id])
    assert not (tmp_path / "course" / "autograded").exists()


def test_a_zip_bomb_is_refused_before_anything_is_extracted(tmp_path, monkeypatch, capsys):
    """Bounds on the entries and the uncompressed bytes a class's zip may have (made small here)."""
    from grader.engine import batch

    monkeypatch.setattr(batch, "MAX_ZIP_BYTES", 2**20)
    monkeypatch.setattr(batch, "MAX_ZIP_ENTRIES", 5)
    extracted = []
    monkeypatch.setattr(zipfile.ZipFile, "extract", lambda self, *args: extracted.append(args))
    big, many = tmp_path / "big.zip", tmp_path / "many.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("alice__02_padding_stride.ipynb", b" " * (2 * 2**20))  # 2 MB, a few KB compressed
    with zipfile.ZipFile(many, "w") as archive:
        for number in range(6):
            archive.writestr(f"s{number}__02_padding_stride.ipynb", "{}")
    assert grade_without_workers(big, tmp_path / "course", monkeypatch)[0] == 2
    assert capsys.readouterr().err.strip().endswith(
        "big.zip: not extracted: 2 MB uncompressed, more than the 1 MB a class's zip may hold")
    assert grade_without_workers(many, tmp_path / "course", monkeypatch)[0] == 2
    assert capsys.readouterr().err.strip().endswith(
        "many.zip: not extracted: 6 entries, more than the 5 a class's zip may have")
    assert not extracted


# --- the exchange: collect ----------------------------------------------------------------------------


def instructor_config(course: Path, monkeypatch) -> Config:
    """The settings nbgrader_config.py gives nbgrader in ``course`` (the gradebook left empty: collect needs none)."""
    monkeypatch.setattr("grader.engine.gradebook.register_assignments", lambda *args: [])
    course.mkdir(parents=True, exist_ok=True)
    config = configure(Config(), course, source_root=ROOT)
    configure_instructor(config, course)
    return config


def exchange_step(step: str, config: Config, **settings) -> None:
    """Run nbgrader's exchange ``step`` (collect, release_assignment, release_feedback) as its commands do.

    ``settings``: of CourseDirectory (``assignment_id`` is 02 unless given, ``student_id``).
    """
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeFactory

    config = config.copy()
    config.CourseDirectory.assignment_id = ASSIGNMENT
    for name, value in settings.items():
        setattr(config.CourseDirectory, name, value)
    factory = ExchangeFactory(config=config)
    coursedir = CourseDirectory(config=config)
    getattr(factory, step)(coursedir=coursedir, authenticator=Authenticator(config=config), config=config).start()


def submit(inbound: Path, student: str, extras: dict[str, str | Path | None]) -> Path:
    """What ``nbgrader submit`` leaves in the exchange, then ``extras`` (name: link target, text, or None: a FIFO)."""
    submission = inbound / f"{student}+{ASSIGNMENT}+2026-12-01 10:00:00.000000 UTC+abc123"
    submission.mkdir(parents=True)
    (submission / f"{ASSIGNMENT}.ipynb").write_bytes(RELEASED.read_bytes())
    (submission / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    (submission / "submission_secret.txt").write_text(f"{student}-secret")
    for name, what in extras.items():
        path = submission / name
        if path.is_symlink() or path.exists():
            path.unlink()
        if what is None:
            os.mkfifo(path)
        elif isinstance(what, Path):
            path.symlink_to(what)
        else:
            path.write_text(what)
    return submission


def test_collect_copies_only_the_notebook_and_nbgraders_files_never_through_a_link(tmp_path, monkeypatch, caplog):
    course = tmp_path / "course"
    config = instructor_config(course, monkeypatch)
    inbound = exchange_root(course) / "cnn-course" / "inbound"
    mallory, trudy, walter = unused_names("mallory", "trudy", "walter")  # ids of no account: root's folders are theirs
    submit(inbound, mallory, {"loot": Path(SECRET), "answers.py": HIDDEN_TESTS, "grades": course / "gradebook.db",
                              "notes.txt": "my notes", "pipe": None, "01_local_connectivity.ipynb": "{}"})
    submit(inbound, trudy, {f"{ASSIGNMENT}.ipynb": SOLUTION, "timestamp.txt": Path(SECRET)})
    (inbound / f"{walter}+{ASSIGNMENT}+2026-12-01 11:00:00.000000 UTC+def456").symlink_to(
        next(inbound.glob(f"{mallory}+*")))  # a whole submission that is a link
    os.chmod(next(inbound.glob(f"{mallory}+*")), 0o777)  # as a student may leave it
    with temporary_accounts("heidi") if AS_ROOT else nullcontext([]) as accounts:
        for heidi in accounts:  # a hard link to a file of another account (here the instructor's) is not hers
            folder = submit(inbound, heidi.name, {})
            (tmp_path / "instructors-file").write_text("{}")
            (folder / f"{ASSIGNMENT}.ipynb").unlink()
            os.link(tmp_path / "instructors-file", folder / f"{ASSIGNMENT}.ipynb")
            for path in (folder, folder / "timestamp.txt", folder / "submission_secret.txt"):
                os.chown(path, heidi.uid, heidi.gid)
        caplog.set_level(logging.INFO, logger="traitlets")  # nbgrader's log (grading here may have quieted it)
        exchange_step("collect", config)

    submitted = course / "submitted"
    assert sorted(p.name for p in (submitted / mallory / ASSIGNMENT).iterdir()) == [
        f"{ASSIGNMENT}.ipynb", "submission_secret.txt", "timestamp.txt"]
    assert (submitted / mallory / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() == RELEASED.read_bytes()
    assert sorted(p.name for p in (submitted / trudy / ASSIGNMENT).iterdir()) == ["submission_secret.txt"]
    assert not (submitted / walter / ASSIGNMENT).exists()
    for heidi in accounts:
        assert sorted(p.name for p in (submitted / heidi.name / ASSIGNMENT).iterdir()) == [
            "submission_secret.txt", "timestamp.txt"]
        assert f"{heidi.name}'s {ASSIGNMENT}.ipynb belongs to another account" in caplog.text
    assert_private(submitted)
    for named in (f"{trudy}'s {ASSIGNMENT}.ipynb is a symbolic link", f"{trudy}'s timestamp.txt is a symbolic link",
                  f"{walter}'s submission {walter}+", f"{mallory}'s loot (not a file of the assignment)"):
        assert named in caplog.text, caplog.text


# --- nbgrader's own autograde and generate_feedback ----------------------------------------------------


@pytest.mark.slow
def test_nbgrader_autograde_and_feedback_get_only_the_notebook_and_never_a_linked_one(tmp_path):
    """In formgrader's or the shell's `nbgrader autograde` and `generate_feedback` (the same converters, in process)."""
    import shutil

    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.converters import Autograde, GenerateFeedback

    from grader.engine.converters import run_converter
    from grader.engine.gradebook import cached_template

    course = tmp_path / "course"
    course.mkdir()
    shutil.copyfile(cached_template(ASSIGNMENT), course / "gradebook.db")
    mallory = course / "submitted" / "mallory" / ASSIGNMENT
    mallory.mkdir(parents=True)
    nb = nbformat.read(RELEASED, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import os\nprint('LISTED', sorted(os.listdir('.')))"))
    nbformat.write(nb, mallory / f"{ASSIGNMENT}.ipynb")
    (mallory / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    (mallory / "submission_secret.txt").write_text("secret")
    (mallory / "notes.txt").write_text("an extra file")
    (mallory / "extra").mkdir()
    (mallory / "extra" / "data.csv").write_text("1,2")
    for name, target in (("loot", SECRET), ("answers.py", HIDDEN_TESTS), ("grades", course / "gradebook.db"),
                         ("zeros", "/dev/zero")):
        (mallory / name).symlink_to(target)
    os.mkfifo(mallory / "pipe")
    (course / "submitted" / "trudy" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "trudy" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").symlink_to(SOLUTION)
    (course / "submitted" / "walter").symlink_to(course / "submitted" / "mallory")

    run_converter(Autograde, course, ASSIGNMENT, "*", source_root=ROOT, force=True, create_student=True)
    run_converter(GenerateFeedback, course, ASSIGNMENT, "*", source_root=ROOT, force=True)

    nbgrader_files = ["submission_secret.txt", "timestamp.txt"]
    autograded = course / "autograded" / "mallory" / ASSIGNMENT
    assert sorted(p.name for p in autograded.iterdir()) == [f"{ASSIGNMENT}.ipynb"] + nbgrader_files
    feedback = course / "feedback" / "mallory" / ASSIGNMENT
    assert sorted(p.name for p in feedback.iterdir()) == [f"{ASSIGNMENT}.html"] + nbgrader_files
    listed = (autograded / f"{ASSIGNMENT}.ipynb").read_text()
    assert "LISTED" in listed and "loot" not in listed and "answers.py" not in listed  # what the sandbox saw
    assert sorted(p.name for p in (course / "autograded").iterdir()) == ["mallory"]  # not trudy, not walter
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in ("trudy", "walter"):
            with pytest.raises(MissingEntry):
                gb.find_submission(ASSIGNMENT, student)
    assert_private(course / "autograded")
    assert_private(course / "feedback")


# --- permissions ------------------------------------------------------------------------------------------


def reachable_folder() -> Path:
    """A new folder every account can reach (as the same-machine exchange needs), removed by the caller."""
    folder = Path(tempfile.mkdtemp(prefix="cnn-course-shared-"))
    folder.chmod(0o755)
    return folder


def test_the_permission_check_names_what_others_can_read_and_its_command_fixes_it(tmp_path, monkeypatch):
    """Everything that holds an answer is checked, git's objects, the tests and the tools included; the one command
    printed closes the course folder (the exchange is beside it), or each secret when the exchange is inside it."""
    import shutil

    from grader.permissions import warning

    for exchange_inside in (False, True):
        course = reachable_folder()
        if exchange_inside:
            monkeypatch.setenv("CNN_COURSE_EXCHANGE", str(course / "exchange"))
        try:
            secrets = ("solutions/02_padding_stride/02_padding_stride.py", "grader/course/reference.py", "gradebook.db",
                       ".git/objects/ab/cdef", "tests/oracle_naive.py", "tools/mutate.py", "report.html")
            for name in (*secrets, "notebooks/02_padding_stride/02_padding_stride.ipynb"):
                (course / name).parent.mkdir(parents=True, exist_ok=True)
                (course / name).write_text("secret")
                os.chmod(course / name, 0o644)
            for folder in ("grader", ".git", ".git/objects", ".git/objects/ab", "tests", "tools"):
                os.chmod(course / folder, 0o755)
            shown = subprocess.run([sys.executable, "-m", "grader.permissions", str(course)], capture_output=True,
                                   text=True)
            text = warning(course)
            assert shown.returncode == 0 and shown.stderr.strip() == text  # what `make instructor` prints first
            for name in secrets:
                assert f"{course}/{name.split('/')[0]} (everyone)" in text, text
            assert "notebooks" not in text
            command = text.split("run: ", 1)[1]
            if exchange_inside:  # students must still reach the exchange: each secret closed on its own
                assert command.startswith(f"chmod -R go-rwx {course}/"), command
            else:
                assert command == f"chmod go-rwx {course}", command
            subprocess.run(command, shell=True, check=True)
            assert warning(course) is None
            assert oct(stat.S_IMODE((course / "notebooks").stat().st_mode)) == "0o755"  # released notebooks untouched
        finally:
            shutil.rmtree(course)
            monkeypatch.delenv("CNN_COURSE_EXCHANGE", raising=False)
    recipe = subprocess.run(["make", "-n", "instructor"], cwd=ROOT, capture_output=True, text=True).stdout
    assert f'-m grader.permissions "{ROOT}"' in recipe, recipe


TRY = r"""
import json, os, sys
tried = {}
for action, path in json.loads(sys.stdin.read()):  # on stdin: a clone's every file is more than one argument holds
    try:
        if action == "read":
            with open(path, "rb") as handle:
                handle.read(1)
        elif action == "list":
            os.listdir(path)
        elif action == "write":
            with open(path, "r+b") as handle:
                handle.write(b"x")
        elif action == "replace":
            mine = os.path.join(os.environ["HOME"], "forged")
            with open(mine, "w") as handle:
                handle.write("{}")
            os.replace(mine, path)
        elif action == "remove":
            os.unlink(path)
        tried[f"{action} {path}"] = "allowed"
    except OSError as error:
        tried[f"{action} {path}"] = type(error).__name__
print(json.dumps(tried))
"""


def as_account(account, home: Path, attempts: list[tuple[str, Path]]) -> dict[str, str]:
    """Each ``(action, path)`` tried as ``account`` (a process of its own, its own group only): 'allowed' or the
    error's name."""
    home.mkdir(exist_ok=True)
    os.chown(home, account.uid, account.gid)
    done = subprocess.run(["setpriv", f"--reuid={account.uid}", f"--regid={account.gid}", "--clear-groups",
                           sys.executable, "-I", "-c", TRY], input=json.dumps([(a, str(p)) for a, p in attempts]),
                          capture_output=True, text=True, timeout=60, env={"HOME": str(home), "PATH": "/usr/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(not AS_ROOT and os.environ.get("CNN_COURSE_REQUIRE_SANDBOX") != "1",
                    reason="acting as two other accounts needs root")
def test_with_two_student_accounts_neither_reads_nor_replaces_what_grading_keeps(monkeypatch):
    """Student A submits through the exchange; the instructor collects, releases feedback and runs the check's command;
    student B can read or replace none of A's collected notebook, the hidden tests, the reference, the gradebook or
    A's feedback; A can still fetch her released feedback."""
    import shutil

    from nbgrader.api import Gradebook
    from nbgrader.utils import notebook_hash

    from grader.engine.student_files import make_private
    from grader.permissions import warning

    assert AS_ROOT, "CNN_COURSE_REQUIRE_SANDBOX=1: this test needs root"
    shared = reachable_folder()
    try:
        with temporary_accounts("alice", "bob") as (alice, bob):
            course = fresh_copy(shared / "course")
            os.chmod(course, 0o755)
            config = instructor_config(course, monkeypatch)
            with Gradebook(f"sqlite:///{course / 'gradebook.db'}"):
                pass  # as `make instructor` leaves it
            exchange_step("release_assignment", config)
            inbound = exchange_root(course) / "cnn-course" / "inbound"
            assert as_account(alice, shared / "alice", []) == {}  # A can reach the exchange ...
            submission = submit(inbound, alice.name, {})  # ... and submits: her own files, as nbgrader submit leaves them
            for path in [submission, *submission.iterdir()]:
                os.chown(path, alice.uid, alice.gid)
                os.chmod(path, 0o777 if path.is_dir() else 0o666)
            exchange_step("collect", config)
            collected = course / "submitted" / alice.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            feedback = course / "feedback" / alice.name / ASSIGNMENT
            feedback.mkdir(parents=True)
            (feedback / f"{ASSIGNMENT}.html").write_text("<p>A's feedback</p>")
            for name in ("timestamp.txt", "submission_secret.txt"):
                shutil.copyfile(collected.parent / name, feedback / name)
            make_private(course / "feedback")  # as generate_feedback leaves it
            exchange_step("release_feedback", config, student_id=alice.name)
            command = warning(course).split("run: ", 1)[1]
            subprocess.run(command, shell=True, check=True)

            secrets = [collected, HIDDEN_TESTS.relative_to(ROOT), SOLUTION.relative_to(ROOT),
                       Path("grader/course/notebooks/nb02_padding_stride/reference.py"), Path("gradebook.db"),
                       feedback.relative_to(course) / f"{ASSIGNMENT}.html"]
            attempts = [("read", course / p) for p in secrets] + [
                ("list", course / "submitted"), ("write", collected), ("replace", collected), ("remove", collected)]
            for account, home in ((bob, shared / "bob"), (alice, shared / "alice")):
                tried = as_account(account, home, attempts)
                assert set(tried.values()) == {"PermissionError"}, tried
            assert collected.read_bytes() == RELEASED.read_bytes()
            released = exchange_root(course) / "cnn-course" / "feedback" / (
                notebook_hash(secret=f"{alice.name}-secret", notebook_id=ASSIGNMENT) + ".html")
            assert as_account(alice, shared / "alice", [("read", released)]) == {f"read {released}": "allowed"}
    finally:
        shutil.rmtree(shared)


@pytest.mark.skipif(not AS_ROOT and os.environ.get("CNN_COURSE_REQUIRE_SANDBOX") != "1",
                    reason="acting as a student account needs root")
def test_a_student_account_reads_nothing_of_a_fresh_clone_set_up_as_the_readme_says(monkeypatch):
    """A fresh clone (umask 022: every file readable by all), set up as the README says: the instructor runs the
    command the permission check prints, releases 02 to the exchange. A student account can then read no file
    of the clone (hidden tests, reference, the tests' and tools' working answers, git's objects) and
    ``git show HEAD:solutions/...`` fails; she can still fetch the released notebook from the exchange."""
    import shutil

    from grader.permissions import warning

    assert AS_ROOT, "CNN_COURSE_REQUIRE_SANDBOX=1: this test needs root"
    shared = reachable_folder()
    hidden = f"HEAD:solutions/{ASSIGNMENT}/{ASSIGNMENT}.py"
    try:
        with temporary_accounts("student") as (student,):
            course = shared / "cnn-course"
            umask = os.umask(0o022)
            try:
                subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(course)], check=True)
            finally:
                os.umask(umask)
            config = instructor_config(course, monkeypatch)
            exchange_step("release_assignment", config)

            def git_show_as_student() -> subprocess.CompletedProcess:
                return subprocess.run(["setpriv", f"--reuid={student.uid}", f"--regid={student.gid}", "--clear-groups",
                                       "git", "-c", "safe.directory=*", f"--git-dir={course / '.git'}", "show", hidden],
                                      capture_output=True, text=True, env={"HOME": str(shared), "PATH": "/usr/bin"})

            assert "BEGIN HIDDEN TESTS" in git_show_as_student().stdout  # the hole, before the README's step
            command = warning(course).split("run: ", 1)[1]
            subprocess.run(command, shell=True, check=True)
            assert warning(course) is None

            every_file = [Path(folder) / name for folder, _, names in os.walk(course) for name in names]
            assert len(every_file) > 100 and any(".git/objects" in str(p) for p in every_file)
            tried = as_account(student, shared / "home", [("list", course)] + [("read", p) for p in every_file])
            assert set(tried.values()) == {"PermissionError"}, {k: v for k, v in tried.items() if v != "PermissionError"}
            shown = git_show_as_student()
            assert shown.returncode != 0 and "BEGIN HIDDEN TESTS" not in shown.stdout
            released = exchange_root(course) / "cnn-course" / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            assert as_account(student, shared / "home", [("read", released)]) == {f"read {released}": "allowed"}
    finally:
        shutil.rmtree(shared)


def test_release_hands_out_the_notebooks_of_the_language_the_instructor_sets(tmp_path, monkeypatch):
    """``make instructor LANGUAGE=zh`` (CNN_COURSE_LANGUAGE=zh): Release puts the Chinese notebook in the exchange."""
    monkeypatch.setenv("CNN_COURSE_LANGUAGE", "zh")
    course = tmp_path / "cnn-course"
    exchange_step("release_assignment", instructor_config(course, monkeypatch))
    released = exchange_root(course) / "cnn-course" / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert nbformat.read(released, as_version=4).metadata["cnn_course"]["language"] == "zh"
    monkeypatch.setenv("CNN_COURSE_LANGUAGE", "fr")
    with pytest.raises(ValueError, match="CNN_COURSE_LANGUAGE must be en or one of the course's translations"):
        instructor_config(tmp_path / "other", monkeypatch)
