"""Hostile submissions of the classes in issue 14 that its first tests did not try.

Each test here failed before its fix: one odd zip entry stopped the whole batch, zips written by
Windows, Java or Python were refused as "not a regular file", a student's name became a script in
formgrader's students page or an nbgrader path pattern, a hard link to the solution scored 20/20, and
one badly named folder in the exchange's inbound stopped collect for the whole class.
"""
from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path

import pytest

from grader.config import exchange_root
from grader.engine.batch import _unzip, find_submissions, identify
from tests.accounts import temporary_accounts, unused_names
from tests.test_submission_files import ASSIGNMENT, RELEASED, ROOT, SOLUTION, exchange_step, instructor_config, submit

NOTEBOOK = RELEASED.read_bytes()


def problems_of(folder: Path, refused: dict | None = None) -> dict[str, str | None]:
    return {s.student: s.problem for s in identify(find_submissions(folder, refused))}


def test_a_zip_entry_that_cannot_be_unzipped_costs_its_own_row_only_and_plain_zips_are_read(tmp_path):
    """A name too long for the disk, a file where a folder must be, a bad CRC: a named reason for that student,
    the others graded. Entries with no Unix file type (Windows, Java, Python's writestr) are regular files."""
    zipped, long_name = tmp_path / "class.zip", "b" * 300
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("alice__02.ipynb", NOTEBOOK)  # mode 0o600, no file type: how Python writes it
        windows = zipfile.ZipInfo("bob/02.ipynb")
        windows.create_system, windows.external_attr = 0, 0x20  # MS-DOS "archive" attribute only
        archive.writestr(windows, NOTEBOOK)
        archive.writestr(f"{long_name}__02.ipynb", NOTEBOOK)
        archive.writestr("carol", "a file where carol's folder must be")
        archive.writestr("carol/02.ipynb", NOTEBOOK)
        archive.writestr("dave__02.ipynb", NOTEBOOK)
    data = bytearray(zipped.read_bytes())
    at = data.rindex(b"dave__02.ipynb", 0, data.index(b"PK\x01\x02")) + len("dave__02.ipynb")
    data[at + 100] ^= 0xFF  # dave's entry no longer matches its CRC
    zipped.write_bytes(bytes(data))

    unzipped = tmp_path / "unzipped"
    problems = problems_of(unzipped, _unzip(zipped, unzipped))
    assert problems["alice"] is None and problems["bob"] is None
    assert problems[long_name].startswith(f"{long_name}__02.ipynb could not be unzipped (File name too long")
    assert problems["carol"] == "carol/02.ipynb could not be unzipped (Not a directory)"
    assert problems["dave"].startswith("dave__02.ipynb could not be unzipped (Bad CRC-32")


@pytest.mark.parametrize("name", ['x";alert(1);"', "<img src=x onerror=alert(1)>", "[x]", "a*", "eve\n20 of 20 graded",
                                  "\u202egnp.ipynb", "bob "])
def test_a_student_name_formgrader_would_run_or_nbgrader_would_glob_is_refused_by_name(tmp_path, name):
    """formgrader writes a student id unescaped into its pages (``var student_id = "{{ student_id }}"``)
    and nbgrader into its path patterns: such a name gets a reason, not a gradebook row."""
    (tmp_path / name).mkdir()
    (tmp_path / name / "02.ipynb").write_bytes(NOTEBOOK)
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "02.ipynb").write_bytes(NOTEBOOK)
    problems = problems_of(tmp_path)
    assert problems["alice"] is None
    assert problems[name].startswith("the student id ") and problems[name].endswith(
        ("rename the file or folder", "has a control character")), problems[name]


@pytest.mark.parametrize("name, why", [("g\u043e\u043ed", "mixes scripts whose letters look alike"),  # Cyrillic о
                                       ("good\u0301", "mixes scripts whose letters look alike"),  # a combining accent
                                       ("\uff47\uff4f\uff4fd", "not in Unicode's normal form (NFKC: 'good')"),  # full-width
                                       ("\ufb01sh", "not in Unicode's normal form (NFKC: 'fish')")])  # a ligature
def test_a_student_id_that_passes_for_anothers_is_refused_with_a_row(tmp_path, name, why):
    """``gооd`` (Cyrillic о), ``good`` with a combining accent and full-width ``ｇｏｏｄ`` made rows of their own that
    read as ``good``'s: in the grades, formgrader and every export. Refused, never mapped onto ``good`` (a forged
    id would then take a classmate's row); ordinary names in any one script are anyone's."""
    for student in (name, "good", "jos\u00e9", "\u674e\u96f7", "\u043f\u0451\u0442\u0440"):  # josé, 李雷, пётр
        (tmp_path / student).mkdir()
        (tmp_path / student / "02.ipynb").write_bytes(NOTEBOOK)
    problems = problems_of(tmp_path)
    assert why in problems[name] and problems[name].endswith("rename the file or folder")
    assert {student: problems[student] for student in problems if student != name} == dict.fromkeys(
        ("good", "jos\u00e9", "\u674e\u96f7", "\u043f\u0451\u0442\u0440"))


def test_a_zip_entry_whose_name_climbs_out_gets_a_row_naming_it(tmp_path):
    """``..\\..\\X__x.ipynb`` was extracted as a hidden file of that name and then dropped with no row."""
    zipped = tmp_path / "class.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("..\\..\\xavier__02.ipynb", NOTEBOOK)
        archive.writestr("../../yuri__02.ipynb", NOTEBOOK)
        archive.writestr("alice__02.ipynb", NOTEBOOK)
    (tmp_path / "out").mkdir()
    problems = problems_of(tmp_path / "out", _unzip(zipped, tmp_path / "out"))
    assert problems["alice"] is None
    assert problems["xavier"] == ("xavier__02.ipynb could not be unzipped (its name '..\\..\\xavier__02.ipynb' "
                                  "climbs out of its folder or uses '\\')")
    assert problems["yuri"].startswith("yuri__02.ipynb could not be unzipped (its name '../../yuri__02.ipynb'")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["alice__02.ipynb"]


def test_a_hard_link_to_another_file_is_not_a_students_notebook(tmp_path):
    """A hard link to the solution (one file, two names) scored 20/20 as the student's own."""
    solution = tmp_path / "instructor" / "solution.ipynb"  # (the course's solution, on this file system)
    solution.parent.mkdir()
    solution.write_bytes(SOLUTION.read_bytes())
    (tmp_path / "class" / "mallory").mkdir(parents=True)
    os.link(solution, tmp_path / "class" / "mallory" / "02.ipynb")
    assert problems_of(tmp_path / "class")["mallory"] == "mallory/02.ipynb is a hard link (the file has other names)"


def test_a_badly_named_folder_in_inbound_does_not_stop_collect_for_the_class(tmp_path, monkeypatch, caplog):
    """Inbound is writable by every student: a folder whose name nbgrader cannot parse aborted the whole collect."""
    course = tmp_path / "course"
    config = instructor_config(course, monkeypatch)
    inbound = exchange_root(course) / "cnn-course" / "inbound"
    alice, mallory = unused_names("alice", "mallory")  # ids of no account: root's folders are theirs
    submit(inbound, alice, {})
    (inbound / f"{mallory}+{ASSIGNMENT}+not a date+x").mkdir()
    (inbound / f"{mallory}+{ASSIGNMENT}+2026-13-45 99:99:99 UTC+x").mkdir()
    submit(inbound, "<img src=x onerror=alert(1)>", {})  # a student id with markup: formgrader would run it
    submit(inbound, "", {})  # no student: collected as a student called "02_padding_stride"
    caplog.set_level(logging.INFO, logger="traitlets")
    exchange_step("collect", config)
    assert (course / "submitted" / alice / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() == NOTEBOOK
    assert sorted(p.name for p in (course / "submitted").iterdir()) == [alice]
    assert f"Not collected: {mallory}+{ASSIGNMENT}+not a date+x (not a name nbgrader submit makes" in caplog.text
    assert f"Not collected: <img src=x onerror=alert(1)>+{ASSIGNMENT}+" in caplog.text
    assert f"Not collected: +{ASSIGNMENT}+2026-12-01 10:00:00.000000 UTC+abc123 (no student name)" in caplog.text


def test_formgrader_pages_escape_a_student_id_from_the_gradebook_or_the_url():
    """nbgrader renders its pages with autoescape off: ``/formgrader/manage_students/<id>`` wrote the id (from a
    link a student sends, or a gradebook row) into ``<script>var student_id = "..."</script>`` and the page."""
    from jinja2 import Environment, FileSystemLoader
    from nbgrader.server_extensions.formgrader import handlers
    from nbgrader.server_extensions.formgrader.base import BaseHandler

    from grader.formgrader_csp import protect_grading_view

    protect_grading_view()
    handler = BaseHandler.__new__(BaseHandler)  # render only: no request
    env = Environment(loader=FileSystemLoader([handlers.template_path]))  # as formgrader makes it
    handler.application = type("App", (), {"settings": {"nbgrader_jinja2_env": env}})()
    student = 'x";document.title="pwned";"<img src=x onerror=alert(1)>'
    page = handler.render("manage_students_assignments.tpl", student_id=student, base_url="", url_prefix="",
                          windows=False, mathjax_url="")
    assert 'var student_id = "x";' not in page and "<img src=x" not in page
    assert "x&#34;;document.title=&#34;pwned&#34;;&#34;&lt;img src=x onerror=alert(1)&gt;" in page
    # its score column says it is nbgrader's raw score, not the one grades.csv and the exports have
    assert "Overall Score<br><small>(before late penalties; grades.csv has the final score)</small>" in page
    students = handler.render("manage_students.tpl", base_url="", url_prefix="", windows=False, mathjax_url="")
    assert "Overall Score<br><small>(released assignments, before late penalties" in students


def test_markdown_too_big_to_render_is_shown_as_text_and_no_page_renders_more_than_its_budget(monkeypatch):
    """mistune takes 3-20 s and ~300 MB per MB of markdown (5 MB: 44 s, 1.7 GB): a submission of 100 MB of it
    would take formgrader's server (rendering in its own process, with no memory limit) down.
    The limits are made small here, to keep the test fast."""
    import nbformat
    from bs4 import BeautifulSoup
    from nbformat.v4 import new_markdown_cell, new_output

    import grader.engine.feedback as feedback
    from tests.test_html_safety import feedback_page, grading_view

    assert feedback.MARKDOWN_CELL_LIMIT <= 200_000 and feedback.MARKDOWN_PAGE_LIMIT <= 2_000_000
    monkeypatch.setattr(feedback, "MARKDOWN_CELL_LIMIT", 20_000)
    monkeypatch.setattr(feedback, "MARKDOWN_PAGE_LIMIT", 100_000)
    rendered = []
    plain = feedback.markdown_to_html
    monkeypatch.setattr(feedback, "markdown_to_html", lambda source, *a: rendered.append(len(source)) or plain(source, *a))
    nb = nbformat.read(RELEASED, as_version=4)
    big = "*a _b [c](d) <img src=x onerror=alert(1)> " * 2_000
    nb.cells.append(new_markdown_cell(big))
    nb.cells += [new_markdown_cell("*a* " * 4_000) for _ in range(10)]  # 16 kB each: the page's budget runs out
    output_cell = nbformat.v4.new_code_cell("1")
    output_cell.outputs = [new_output("display_data", data={"text/markdown": "**b** " * 10_000})]
    nb.cells.append(output_cell)
    for make_page in (grading_view, feedback_page):
        feedback._rendered_markdown.cache_clear()  # each page's own rendering counted (a process keeps the course's)
        page = make_page(nb)
        assert max(rendered) <= 20_000 and sum(rendered) <= 100_000
        rendered.clear()
        soup = BeautifulSoup(page, "html.parser")
        text = soup.get_text()
        assert f"{len(big):,} characters of markdown, shown as text" in text and "<img src=x onerror=alert(1)>" in text
        assert "60,000 characters of markdown, shown as text" in text and "16,000 characters of markdown, shown as text" in text
        assert not soup.find("img", onerror=True)
        assert soup.find("em"), "small cells are still rendered"


@pytest.mark.slow
def test_grading_a_zip_with_entries_that_cannot_be_unzipped_keeps_every_row(class_folder, graded_sequential, tmp_path,
                                                                            capsys):
    """The whole batch used to stop at the first such entry. Here nothing is executed: alice was graded already."""
    import shutil

    from grader.cli import main as grader_main
    from tests.test_pipeline import grades

    out = tmp_path / "course"
    shutil.copytree(graded_sequential, out)
    zipped, long_name = tmp_path / "class.zip", "b" * 300
    with zipfile.ZipFile(zipped, "w") as archive:  # writestr: entries with no Unix file type, as Python, Java write them
        archive.writestr("alice__02_padding_stride.ipynb", (class_folder / "alice__02_padding_stride.ipynb").read_bytes())
        archive.writestr(f"{long_name}__02.ipynb", NOTEBOOK)
        archive.writestr("carol", "a file where carol's folder must be")
        archive.writestr("carol/02.ipynb", NOTEBOOK)
        archive.writestr("x\";alert(1);\"__02.ipynb", NOTEBOOK)
    capsys.readouterr()
    assert grader_main(["grade", str(zipped), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "alice" in printed and "already graded" in printed.split("alice", 1)[1].splitlines()[0]
    table = grades(out)
    assert {table[name]["status"] for name in (long_name, "carol", 'x";alert(1);"')} == {"not_graded"}
    assert table[long_name]["reason"].startswith(f"{long_name}__02.ipynb could not be unzipped")
    assert table["carol"]["reason"] == "carol/02.ipynb could not be unzipped (Not a directory)"
    assert table['x";alert(1);"']["reason"].startswith('the student id \'x";alert(1);"\' (from ')
    assert "holds \", which formgrader's pages" in table['x";alert(1);"']["reason"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: the two folders are made as two accounts")
def test_a_later_folder_in_a_classmates_name_does_not_replace_her_submission(tmp_path, monkeypatch, caplog):
    """Eve makes ``inbound/<her classmate>+02+<later>+x``: nbgrader only warned about the owner and collected
    Eve's folder as the classmate's. Both are accounts made for this test."""
    import logging

    from tests.test_submission_files import ASSIGNMENT, exchange_step, instructor_config, submit

    with temporary_accounts("victim", "eve") as (victim, eve):
        course = tmp_path / "course"
        config = instructor_config(course, monkeypatch)
        inbound = exchange_root(course) / "cnn-course" / "inbound"
        hers = submit(inbound, victim.name, {})
        forged = hers.with_name(f"{victim.name}+{ASSIGNMENT}+2026-12-01 11:00:00.000000 UTC+eve")
        forged.mkdir()
        (forged / f"{ASSIGNMENT}.ipynb").write_text('{"forged": true}')
        for folder, owner in ((hers, victim), (forged, eve)):
            for path in (folder, *folder.iterdir()):
                os.chown(path, owner.uid, owner.gid)
        caplog.set_level(logging.INFO, logger="traitlets")
        exchange_step("collect", config)
        collected = course / "submitted" / victim.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert collected.read_bytes() == (hers / f"{ASSIGNMENT}.ipynb").read_bytes()
        assert f"it is in {victim.name}'s name but was made by {eve.name}" in caplog.text


def test_release_feedback_names_each_folder_it_cannot_release_and_releases_the_rest(tmp_path, monkeypatch, caplog):
    """A student deleted her ``timestamp.txt`` after submitting, or made it a link: nbgrader's release_feedback died
    with FileNotFoundError at her folder, and nobody's feedback was released."""
    from nbgrader.utils import notebook_hash

    course = tmp_path / "course"
    config = instructor_config(course, monkeypatch)
    students = {"amy": {"timestamp.txt": "2026-12-01 10:00:00.000000 UTC", "submission_secret.txt": "amy-secret"},
                "ben": {"submission_secret.txt": "ben-secret"},  # deleted her time
                "cat": {"timestamp.txt": "2026-12-01 10:00:00.000000 UTC"},  # no secret: nothing to name it by
                "dan": {"timestamp.txt": Path("/etc/passwd"), "submission_secret.txt": "dan-secret"},
                "eli": {"timestamp.txt": "2026-12-01 10:00:00.000000 UTC", "submission_secret.txt": "eli-secret"}}
    for student, files in students.items():
        folder = course / "feedback" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.html").write_text(f"<p>{student}'s feedback</p>")
        for name, content in files.items():
            (folder / name).symlink_to(content) if isinstance(content, Path) else (folder / name).write_text(content)
    caplog.set_level(logging.INFO, logger="traitlets")
    exchange_step("release_feedback", config)
    released = exchange_root(course) / "cnn-course" / "feedback"
    for student in ("amy", "eli"):
        page = released / (notebook_hash(secret=f"{student}-secret", notebook_id=ASSIGNMENT) + ".html")
        assert page.read_text() == f"<p>{student}'s feedback</p>"
    assert len(list(released.iterdir())) == 2
    assert "-tmp.html" not in caplog.text and f"Feedback released to: {page}" in caplog.text  # the name it has
    for student, problem in (("ben", "its timestamp.txt is missing"), ("cat", "its submission_secret.txt is missing"),
                             ("dan", "its timestamp.txt is a link")):
        assert f"Not released: {course / 'feedback' / student / ASSIGNMENT} ({problem}" in caplog.text, caplog.text


# --- notebooks built to exhaust memory when parsed (issue 26) ----------------------------------------------------


def _solved_02():
    import nbformat

    return nbformat.read(SOLUTION, as_version=4)


def test_a_notebook_of_millions_of_empty_objects_is_refused_by_its_json_before_it_is_parsed():
    """9 MB: the solved notebook, 3 million ``{}`` in its metadata and one emoji. Parsing it took 1.6 GB and 38 s."""
    import time

    from grader.benchmark import json_bomb
    from grader.engine.student_files import MAX_JSON_VALUES, notebook_json_problem

    bomb = json_bomb(_solved_02(), 9)
    started = time.perf_counter()
    why = notebook_json_problem(bomb)
    assert why and f"more than {MAX_JSON_VALUES:,} values" in why
    assert time.perf_counter() - started < 5  # stopped at the bound, not at the end (about 0.05 s)
    assert notebook_json_problem(b"[" * 101 + b"]" * 101).startswith("its JSON nests deeper than 100")
    wide = b'{"a": "' + b"x" * (40 * 2**20) + '\U0001F600"}'.encode()  # 40 MB, 160 MB as text
    assert "characters outside Unicode's first plane" in notebook_json_problem(wide)
    assert notebook_json_problem(wide.replace("\U0001F600".encode(), b"y")) is None  # 40 MB of ASCII: 40 MB of text
    for notebook in sorted(ROOT.glob("*/*/*.ipynb")):  # every notebook of the course, student and solution
        assert notebook_json_problem(notebook.read_bytes()) is None, notebook
    # What a streaming parser chokes on, and text that is no JSON: never a crash, never slower than linear
    started = time.perf_counter()
    assert notebook_json_problem(b'{"a": ' + b"9" * 100_000 + b"}") is None  # ijson's C parser crashed on this
    assert notebook_json_problem(b'["' + b'\\"' * 5_000_000) is None  # one quote that never closes: 10 MB
    assert notebook_json_problem(b'["a\nb", ' + b"{}," * 600_000 + b"{}]") is None  # the parser stops at the newline
    assert "more than 500,000 values" in notebook_json_problem(b'["\\"", ' + b"{}," * 600_000 + b"{}]")
    assert time.perf_counter() - started < 5


def test_each_way_a_submission_is_read_refuses_the_bomb_with_a_reason_under_500_mb(tmp_path):
    """grade and check (read_submission) and nbgrader's own autograde, formgrader's button (the guarded converters'
    notebook_problem): a named reason, and the process that read it stays far under the README's 500 MB."""
    import json
    import subprocess
    import sys

    from grader.benchmark import json_bomb

    bomb = tmp_path / "submitted" / "mallory" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    bomb.parent.mkdir(parents=True)
    bomb.write_bytes(json_bomb(_solved_02(), 9))
    probe = ("import json, sys\nfrom grader.engine.autograde import GradingError, read_submission\n"
             "from grader.engine.student_files import notebook_problem\n"
             "try:\n    read_submission(sys.argv[1])\n    said = None\nexcept GradingError as error:\n    said = str(error)\n"
             "peak = next(line for line in open('/proc/self/status') if line.startswith('VmHWM:'))\n"
             "print(json.dumps([said, notebook_problem(sys.argv[1], sys.argv[2]), int(peak.split()[1]) / 1024]))")
    done = subprocess.run([sys.executable, "-c", probe, str(bomb), str(tmp_path / "submitted")], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    grade_said, nbgrader_said, peak_mb = json.loads(done.stdout)
    assert "values (a course notebook has a few thousand" in grade_said
    assert nbgrader_said.startswith(f"{ASSIGNMENT}.ipynb: its JSON holds more than")
    assert peak_mb < 150, peak_mb  # (VmHWM: this process's own; ru_maxrss would count pytest's, kept over exec)


def test_a_hand_edited_cell_id_is_repaired_not_a_reason_to_refuse_the_notebook():
    """A malformed (``bad id!``), too long or repeated cell id made nbgrader refuse the student's whole notebook
    (``NotebookValidationError``: NOT GRADED). Each gets a fresh id; the others and every grade_id are kept."""
    import json

    import nbformat

    from grader.engine.autograde import parse_submission, repair_cell_ids

    nb = nbformat.reads(RELEASED.read_text(), as_version=4)
    kept = [cell.id for cell in nb.cells]
    nb.cells[1].id, nb.cells[2].id, nb.cells[3].id = "bad id!", "x" * 65, nb.cells[0].id
    notebook = parse_submission(Path("s.ipynb"), json.dumps(nb).encode())  # as handed in: nbformat.writes refuses it
    try:
        nbformat.validate(notebook)
        invalid = False
    except nbformat.ValidationError:
        invalid = True
    assert invalid, "the notebook as handed in is one nbgrader refuses"
    assert repair_cell_ids(notebook) is True
    nbformat.validate(notebook)
    ids = [cell.id for cell in notebook.cells]
    assert len(set(ids)) == len(ids) and ids[0] == kept[0] and ids[4:] == kept[4:]
    assert repair_cell_ids(notebook) is False  # nothing left to repair
