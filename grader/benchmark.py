"""``python -m grader benchmark``: where users wait, measured on this machine.

For every notebook, on a quiet machine and then beside a CPU hog the benchmark starts and stops itself
(:func:`main`): ``grader check`` of a solved copy, cold and warm, against a bare nbclient run of it (what a
self-study learner waits for), and ``grader grade --jobs 2`` of a class of copies (sandboxed, feedback pages
included) against plain ``nbgrader autograde`` of the same copies (nbgrader's default configuration:
unsandboxed, one process) and against the floor, the copies' own cells over the cores; then the widgets' time
per slider move (redraw, PNG, texts; the browser's own drawing excluded).

``--profile``, ``--scale``, ``--cluster``, ``--floods``: see their functions.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from .config import assignments
from .engine.gradebook import cached_template, solution_notebook

CLASS_SIZE = 8


def _timed(function, *args, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _check_command(path: Path, warm: bool = False) -> None:
    """``python -m grader check PATH`` as a learner runs it: a fresh process, start-up included; cold (no check
    server: ``CNN_COURSE_CHECK_WARM=0``), or answered by the check server a first check left behind."""
    from .engine.checking import IDLE

    env = {**os.environ, IDLE: "600" if warm else "0"}
    subprocess.run([sys.executable, "-m", "grader", "check", str(path)], check=True, capture_output=True, env=env)


def _warm_check(path: Path, repeat: int = 3) -> float:
    """Median seconds of ``repeat`` warm checks of ``path``: one cold check leaves a server, and each check comes
    a few seconds after the last (a learner edits in between: the next kernel has booted), then the server ends."""
    from .engine import checking

    checking.stop_server()
    _check_command(path, warm=True)
    times = []
    try:
        for _ in range(repeat):
            deadline = time.monotonic() + 60
            while not (checking.socket_path() and checking.socket_path().exists()) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(WARM_PAUSE)
            times.append(_timed(_check_command, path, True, repeat=1))
    finally:
        checking.stop_server()
    return statistics.median(times)


#: Seconds between two warm checks in the benchmark: a learner's edit.
WARM_PAUSE = 3


BARE = """import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
"""


def _bare_command(path: Path) -> None:
    """A minimal nbclient script executing the notebook, in a fresh process: what ``check`` adds to."""
    subprocess.run([sys.executable, "-c", BARE, str(path)], check=True, capture_output=True, cwd=path.parent)


def plain_autograde(assignment: str, work: Path, size: int) -> float:
    """Seconds ``nbgrader autograde`` takes for ``size`` solved copies, in nbgrader's default configuration.

    A course folder of its own (``source/``, ``submitted/``); ``generate_assignment`` is not timed.
    Its hidden tests score 0 there (nothing judges the records), which changes no time.
    """
    course = work / "plain"
    (course / "source" / assignment).mkdir(parents=True)
    shutil.copyfile(solution_notebook(assignment), course / "source" / assignment / f"{assignment}.ipynb")
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    for i in range(size):
        target = course / "submitted" / f"student{i}" / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copyfile(solution_notebook(assignment), target)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run(nbgrader + ["generate_assignment", assignment, "--force"], cwd=course, check=True,
                   capture_output=True)
    start = time.perf_counter()
    subprocess.run(nbgrader + ["autograde", assignment, "--create"], cwd=course, check=True, capture_output=True)
    return time.perf_counter() - start


def solved_copy(assignment: str, folder: Path, name: str) -> Path:
    """The solution notebook saved as a student's submission would be."""
    path = folder / name
    shutil.copyfile(solution_notebook(assignment), path)
    return path


#: The CPU hog the benchmarks run beside: one core kept busy.
HOG = "while True: pass"


@contextlib.contextmanager
def cpu_hog(busy: bool = True):
    """One core kept busy by a process of its own while the block runs (nothing when ``busy`` is False)."""
    hog = subprocess.Popen([sys.executable, "-c", HOG]) if busy else None
    try:
        yield
    finally:
        if hog:
            hog.kill()
            hog.wait()


#: Cores the grading floor divides the submissions' own work by (``grade --jobs 2``).
CORES = 2
#: The phases that are a submission's own work: its cells, run in its kernel.
OWN_WORK = ("imports", "execution", "test cells")


def measure(assignment: str) -> dict[str, float]:
    """One notebook's times, in seconds: a bare nbclient run, cold and warm ``check``, ``grade --jobs 2`` of a class of
    :data:`CLASS_SIZE` solved copies (with the floor: its cells' time over :data:`CORES` cores) and plain
    ``nbgrader autograde`` of the same copies."""
    from .engine.batch import grade

    cached_template(assignment)  # made once per notebook version, not part of a learner's wait
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        mine = solved_copy(assignment, work, f"{assignment}.ipynb")
        times = {"bare": _timed(_bare_command, mine), "check": _timed(_check_command, mine),
                 "warm": _warm_check(mine)}
        klass = work / "class"
        klass.mkdir()
        for i in range(CLASS_SIZE):
            solved_copy(assignment, klass, f"student{i}__{assignment}.ipynb")
        found: list[dict] = []
        times["grade"] = _timed(lambda: grade(str(klass), work / "out", jobs=CORES, profile=found), repeat=1)
        times["floor"] = sum(p["phases"].get(name, 0.0) for p in found for name in OWN_WORK) / CORES
        times["plain"] = plain_autograde(assignment, work, CLASS_SIZE)
    return times


def main(only: list[str] | None = None, busy: tuple[bool, ...] = (False, True)) -> int:
    """Time every notebook (or those in ``only``) on a quiet machine, then beside a CPU hog; then every widget."""
    from .engine.sandbox import problem

    where = "sandboxed" if not problem() else f"NOT sandboxed ({problem()})"
    print(f"grading kernels: {where}; a class is {CLASS_SIZE} solved copies")
    print(f"{'notebook':<24} {'machine':<14} {'bare':>6} {'check':>6} {'ratio':>6} {'warm':>6} "
          f"{'grade -j2':>9} {'floor':>6} {'of floor':>8} {'autograde':>9} {'speed-up':>8}")
    for hogged in busy:
        with cpu_hog(hogged):
            for assignment in only or assignments():
                t = measure(assignment)
                print(f"{assignment:<24} {'one core busy' if hogged else 'quiet':<14} {t['bare']:>5.2f}s "
                      f"{t['check']:>5.2f}s {t['check'] / t['bare']:>5.2f}x {t['warm']:>5.2f}s {t['grade']:>8.1f}s "
                      f"{t['floor']:>5.1f}s {t['floor'] / t['grade']:>7.0%} {t['plain']:>8.1f}s "
                      f"{t['plain'] / t['grade']:>7.2f}x", flush=True)
    print(f"\nbare: a minimal nbclient script executing a solved copy, a fresh process (median of 3). check: `python -m "
          f"grader check` on the same copy, a fresh process, no check server (median of 3); ratio: check / bare (aim: "
          f"at most 1.0x). warm: the same, answered by the check server a first check left behind, each check "
          f"{WARM_PAUSE} s after the last (median of 3; aim: under 1 s for 02). grade -j2: `grader grade --jobs 2` of "
          f"the class, wall time including the gradebook, feedback pages and grade tables; floor: the submissions' "
          f"own cells (setup, the rest, tests) as the grading timed them, over {CORES} cores: no grading of this "
          f"class on this machine can take less; of floor: floor / grade. autograde: plain `nbgrader autograde` of "
          f"the same copies, nbgrader's default configuration (one process, no sandbox, no feedback pages); "
          f"speed-up: autograde / grade -j2 (aim: at least 3x). one core busy: beside `python -c '{HOG}'`, started "
          f"and stopped by the benchmark.")
    print(widget_update_times())
    return 0


# --- profile: where a submission's grading time goes ---------------------------------------------------

def student_notebook(assignment: str) -> Path:
    """The released (unsolved) notebook: a submission whose every test fails."""
    from .config import COURSE_ROOT, RELEASE_DIRECTORY

    return COURSE_ROOT / RELEASE_DIRECTORY / assignment / f"{assignment}.ipynb"


def make_class(folder: Path, assignments: list[str], size: int, wrong_every: int = 0) -> Path:
    """A flat folder of ``size`` submissions cycling through ``assignments``: solved copies, and with
    ``wrong_every`` = n every n-th one the released notebook (every test fails)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(size):
        assignment = assignments[i % len(assignments)]
        wrong = wrong_every and i % wrong_every == wrong_every - 1
        source = student_notebook(assignment) if wrong else solution_notebook(assignment)
        shutil.copyfile(source, folder / f"student{i:04d}__{assignment}.ipynb")
    return folder


def profile_rows(profile: list[dict]) -> dict[str, dict[str, float]]:
    """{assignment: {phase: mean seconds per submission}} over the graded submissions of ``profile``."""
    from .engine.phases import PHASES

    rows: dict[str, dict[str, float]] = {}
    for assignment in sorted({p["assignment"] for p in profile}):
        mine = [p["phases"] for p in profile if p["assignment"] == assignment and p["graded"]]
        rows[assignment] = {name: statistics.mean(p.get(name, 0.0) for p in mine) for name in PHASES} if mine else {}
    return rows


def profile(only: list[str] | None = None, size: int = CLASS_SIZE) -> int:
    """Grade ``size`` solved copies of each notebook (or of ``only``), one worker, without and with the warm
    kernel pool (side by side, in this run), and print each phase's mean seconds per submission
    (:mod:`grader.engine.phases`): measured in the grading code itself."""
    from .engine.batch import grade
    from .engine.phases import PHASES
    from .engine.workers import WARM_POOL

    chosen = only or assignments()
    columns = [(assignment, pool) for assignment in chosen for pool in ("off", "on")]
    rows = {}
    saved = os.environ.get(WARM_POOL)
    try:
        with tempfile.TemporaryDirectory() as work:
            for assignment, pool in columns:
                cached_template(assignment)  # made once per notebook version, not part of a submission's cost
                klass = make_class(Path(work) / assignment, [assignment], size)
                found: list[dict] = []
                os.environ[WARM_POOL] = pool  # the workers' setting
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    grade(str(klass), Path(work) / f"out-{assignment}-{pool}", jobs=1, profile=found)
                rows[assignment, pool] = profile_rows(found)[assignment]
    finally:
        if saved is None:
            os.environ.pop(WARM_POOL, None)
        else:
            os.environ[WARM_POOL] = saved
    print(f"seconds per submission, mean of {size} solved copies, `grade --jobs 1` (one worker), "
          f"warm kernel pool off and on")
    print(f"{'phase':<16}" + "".join(f"{a[:2] + ' ' + pool:>8}" for a, pool in columns) + "  what")
    for name, what in PHASES.items():
        print(f"{name:<16}" + "".join(f"{rows[c].get(name, float('nan')):>8.2f}" for c in columns) + f"  {what}")
    print(f"{'total':<16}" + "".join(f"{sum(rows[c].values()):>8.2f}" for c in columns))
    return 0


#: The notebooks of a class graded by ``benchmark --scale``: the quickest, a middle one and the longest.
SCALE_NOTEBOOKS = ["02_padding_stride", "05_backprop", "07_tiny_cnn"]


def _graded_run(klass: Path, out: Path, jobs: int, scheduler: str | None = None) -> tuple[float, float, list[dict]]:
    """``grader grade klass --out out --jobs N`` (or ``--scheduler``) in a fresh process: (seconds, peak MB of the
    whole process tree's resident memory: with a scheduler, the writer's alone, the per-submission profile)."""
    code = ("import json, sys; from pathlib import Path; from grader.engine.batch import grade; found = []; "
            "grade(sys.argv[1], Path(sys.argv[2]), jobs=int(sys.argv[3]), profile=found, "
            "scheduler=sys.argv[5] or None); Path(sys.argv[4]).write_text(json.dumps(found))")
    saved = out.with_suffix(".profile.json")
    started = time.perf_counter()
    run = subprocess.Popen([sys.executable, "-c", code, str(klass), str(out), str(jobs), str(saved), scheduler or ""],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with PeakMemory(run.pid, interval=0.25) as peaks:
        run.wait()
    import json

    return time.perf_counter() - started, peaks.tree_peak, json.loads(saved.read_text())


def _grades_without_times(out: Path) -> list[list[str]]:
    """grades.csv's rows, without the columns of when each notebook was handed in."""
    import csv

    with (out / "grades.csv").open() as handle:
        rows = list(csv.reader(handle))
    keep = [i for i, name in enumerate(rows[0]) if not name.endswith("_submitted")]
    return [[row[i] for i in keep] for row in rows]


def cluster(size: int = 12, assignment: str = "02_padding_stride") -> int:
    """Grade ``size`` submissions of ``assignment`` (one in four unsolved) with ``--jobs 2``, then on a loopback
    Dask cluster of one scheduler and two one-thread workers (``--scheduler``); print both times, their ratio
    (the target: at most 1.2) and whether grades.csv is the same (times aside)."""
    from .engine.cluster import local_cluster

    cached_template(assignment)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        klass = make_class(work / "class", [assignment], size, wrong_every=4)
        local, local_peak, _ = _graded_run(klass, work / "local", 2)
        with local_cluster(work) as (address, _):
            remote, remote_peak, _ = _graded_run(klass, work / "remote", 2, scheduler=address)
        same = _grades_without_times(work / "local") == _grades_without_times(work / "remote")
    print(f"{size} submissions of {assignment} (one in four unsolved), measured side by side:")
    print(f"  grade --jobs 2:                                  {local:6.1f} s, peak memory {local_peak:.0f} MB")
    print(f"  grade --scheduler (1 scheduler, 2 workers x 1 thread, 127.0.0.1): {remote:6.1f} s, "
          f"the writer's peak {remote_peak:.0f} MB")
    print(f"  ratio --scheduler / --jobs 2: {remote / local:.2f} (target: at most 1.2); grades.csv "
          f"{'the same' if same else 'DIFFERS'} (times aside)")
    return 0 if same else 1


def scale(size: int = 200, jobs: int = 2, parts: int = 10, scheduler: str | None = None) -> int:
    """Grade a class of ``size`` submissions (02, 05 and 07 in turn, every fourth one the unsolved notebook)
    with ``--jobs``, then the same submissions as ``parts`` classes of ``size / parts``, each graded into a
    course folder of its own; print wall time, throughput, the peak resident memory of the whole process
    tree, the ratio of the two, and the per-student grade-table and merge time at the start and end."""
    from .engine.phases import PHASES

    for assignment in SCALE_NOTEBOOKS:
        cached_template(assignment)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        klass = make_class(work / "class", SCALE_NOTEBOOKS, size, wrong_every=4)
        whole, whole_peak, profile = _graded_run(klass, work / "whole", jobs, scheduler)
        if scheduler:
            print(f"{size} submissions ({', '.join(a[:2] for a in SCALE_NOTEBOOKS)} in turn, one in four "
                  f"unsolved), grade --scheduler {scheduler}: {whole:.0f} s, {size / whole * 60:.1f} "
                  f"submissions/min, the writer's peak resident memory {whole_peak:.0f} MB")
            return 0
        names = sorted(p.name for p in klass.iterdir())
        piece = size // parts
        split, split_peak = 0.0, 0.0
        for i in range(parts):
            part = work / f"part{i}"
            part.mkdir()
            for name in names[i * piece:(i + 1) * piece]:
                shutil.copyfile(klass / name, part / name)
            seconds, peak, _ = _graded_run(part, work / f"part{i}-out", jobs)
            split, split_peak = split + seconds, max(split_peak, peak)
    print(f"{size} submissions ({', '.join(a[:2] for a in SCALE_NOTEBOOKS)} in turn, one in four unsolved), "
          f"grade --jobs {jobs}:")
    print(f"  one class of {size}: {whole:.0f} s, {size / whole * 60:.1f} submissions/min, "
          f"peak resident memory of the process tree {whole_peak:.0f} MB")
    print(f"  {parts} classes of {piece}: {split:.0f} s, peak {split_peak:.0f} MB; "
          f"ratio {size} / {parts}x{piece}: {whole / split:.2f}")
    head, tail = profile[:piece], profile[-piece:]
    for name in ("tables", "merge"):
        first = statistics.mean(p["phases"].get(name, 0.0) for p in head)
        last = statistics.mean(p["phases"].get(name, 0.0) for p in tail)
        print(f"  {name} per student: {first:.3f} s for the first {piece}, {last:.3f} s for the last {piece} "
              f"({PHASES[name]})")
    return 0


def widget_update_times(moves_per_control: int = 12) -> str:
    """Median and 95th-percentile time of a control change, for every picture module's ``demo`` widget.

    Each slider of each widget is moved back and forth over its range (drawn with the reference
    implementations, so the widget does real work); the browser's own drawing is not included.
    """
    import importlib
    import pkgutil

    import matplotlib

    matplotlib.use("Agg")
    import cnn_course.widgets as package

    from .course import reference

    lines = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if not hasattr(module, "demo"):
            continue
        began = time.perf_counter()
        widget = module.demo(reference)
        build_ms = (time.perf_counter() - began) * 1000
        times = []
        for control in widget.controls.values():
            if not hasattr(control, "max") or control.disabled:
                continue
            for step in range(moves_per_control):
                low, high = control.min, control.max
                if high == low:
                    break
                value = low + (step * (high - low) // max(1, moves_per_control - 1) if step % 2 else high - step % 3)
                value = min(max(value, low), high)
                if value == control.value:
                    value = low if value != low else high
                start = time.perf_counter()
                control.value = value
                times.append((time.perf_counter() - start) * 1000)
        times.sort()
        if times:
            lines.append(f"{info.name}: built in {build_ms:.0f} ms; {len(times)} control changes: median "
                         f"{statistics.median(times):.0f} ms, 95th percentile {times[int(0.95 * (len(times) - 1))]:.0f} ms, "
                         f"max {times[-1]:.0f} ms")
    return "widgets (time per control change, the browser's drawing excluded):\n  " + "\n  ".join(lines)


# --- floods: what a submission can send the grader, and what that costs its memory ---------------------

#: Cells that send about ``mb`` MB to the grader, by class (issue 14): each is what the output caps
#: used to miss. ``{mb}`` and ``{RECORD_MIME}`` are filled in; a list is several cells.
FLOODS = {
    "print": ["import sys\nline = 'x' * 999 + '\\n'\nfor _ in range({mb} * 1000):\n    sys.stdout.write(line)\n"],
    "display metadata": ["from IPython.display import display\nfor _ in range({mb}):\n"
                         "    display({{'text/plain': 'x'}}, metadata={{'m': 'x' * 2**20}}, raw=True)\n"],
    "raw errors": ["kernel = get_ipython().kernel\nfor _ in range({mb}):\n    kernel.session.send(kernel.iopub_socket, "
                   "'error', {{'ename': 'E', 'evalue': 'x' * 2**20, 'traceback': []}}, parent=kernel.get_parent())\n"],
    "records past the cap": ["from IPython.display import display\nprint('x' * 1_000_000)\nfor _ in range(2):\n"
                             "    display({{'{RECORD_MIME}': {{'id': 'x', 'blob': 'x' * 2**20}}}}, raw=True)\n"],
    "display updates": ["from IPython.display import display\n"
                        "handles = [display({{'text/plain': str(i)}}, raw=True, display_id=True) for i in range({mb})]\n"
                        "for handle in handles:\n    handle.update({{'text/plain': 'x' * 2**20}}, raw=True)\n"],
    "cells under the cap": ["print('x' * 999_000)\n"],
    "widgets": ["import ipywidgets\nkeep = [ipywidgets.Text(value='x' * 2**17) for _ in range({mb} * 8)]\n"],
}
#: Classes whose cell is repeated to send ``mb`` MB (each copy sends about this many MB).
REPEATED = {"records past the cap": 3, "cells under the cap": 1}


def json_bomb(nb: nbformat.NotebookNode, mb: int) -> bytes:
    """``nb`` as a file of about ``mb`` MB (at most 90) whose notebook metadata is empty objects (``"y_pad": [{}, {},
    ...]``) and one emoji: cheap to write, each ``{}`` a Python object once parsed (9 MB took 1.6 GB to parse)."""
    text = json.dumps(nb, ensure_ascii=False)
    count = min(mb, 90) * 2**20 // 3
    return (text[:-1] + ', "y_pad": [' + ",".join(["{}"] * count) + '], "z": "\U0001F600"}').encode()


#: Submissions whose file itself is the flood: parsing it, not running it, is what would cost the memory.
FILE_FLOODS = {"JSON of empty objects": json_bomb}


def flood_cells(kind: str, mb: int) -> list[str]:
    """Sources of the cells that flood the grader with about ``mb`` MB of class ``kind``."""
    from cnn_course.record import RECORD_MIME

    cells = [source.format(mb=mb, RECORD_MIME=RECORD_MIME) for source in FLOODS[kind]]
    return cells * max(1, mb // REPEATED[kind]) if kind in REPEATED else cells


def flood_notebook(nb: nbformat.NotebookNode, kind: str, mb: int) -> nbformat.NotebookNode:
    """``nb`` (a solved notebook) with the flood cells of ``kind`` right after its imports (the setup cell)."""
    setup = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    nb.cells[setup + 1:setup + 1] = [nbformat.v4.new_code_cell(source) for source in flood_cells(kind, mb)]
    return nb


class PeakMemory:
    """Peak resident memory (VmHWM) of a process and of each of its descendants, sampled from /proc.

    ``with PeakMemory(pid) as peaks:`` samples every ``interval`` seconds in a thread until the
    block ends; ``peaks.of(pid)`` and ``peaks.largest(word)`` (the largest among processes whose
    command line or name holds ``word``) are in MB. A process's growth in its last ``interval`` is missed.
    """

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, tuple[str, float]] = {}
        self.tree_peak = 0.0  #: MB: the largest sum of the tree's resident memory (VmRSS) in one sample
        self._done = threading.Event()

    def __enter__(self) -> "PeakMemory":
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.is_set():
            try:
                self._sample_once()
            except OSError:  # a process that ended while /proc was read: the next round sees the rest
                pass
            self._done.wait(self.interval)

    def _sample_once(self) -> None:
        resident = 0.0
        for pid in self._tree():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                command += " " + Path(f"/proc/{pid}/comm").read_text().strip()  # a forked worker's name is there
            except OSError:
                continue
            kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
            resident += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0) / 1024
            known, peak = self.peaks.get(pid, ("", 0.0))
            self.peaks[pid] = (command or known, max(kb / 1024, peak))  # an exiting process has no command line
        self.tree_peak = max(self.tree_peak, resident)

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                children.setdefault(int(stat.read_text().rsplit(")", 1)[1].split()[1]), []).append(int(stat.parent.name))
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo += children.get(pid, [])
        return tree

    def of(self, pid: int) -> float:
        return self.peaks.get(pid, ("", 0.0))[1]

    def largest(self, word: str) -> float:
        return max([mb for command, mb in self.peaks.values() if word in command] or [0.0])


def flood_memory(mb: int = 600, assignment: str = "02_padding_stride", kinds: list | None = None) -> int:
    """Grade one submission of each flood class (about ``mb`` MB each; or of ``kinds``, None the solved
    notebook alone) and print the peak memory of each side."""
    from .engine.autograde import read_submission

    print(f"{'flood (' + str(mb) + ' MB sent)':<24} {'worker peak':>12} {'main peak':>10} {'seconds':>8}  status")
    kinds = [None, *FLOODS, *FILE_FLOODS] if kinds is None else kinds
    for kind in kinds:
        with tempfile.TemporaryDirectory() as work:
            klass = Path(work) / "class"
            klass.mkdir()
            nb = read_submission(solution_notebook(assignment))
            if kind in FILE_FLOODS:
                (klass / f"flooder__{assignment}.ipynb").write_bytes(FILE_FLOODS[kind](nb, mb))
            else:
                nbformat.write(flood_notebook(nb, kind, mb) if kind else nb, klass / f"flooder__{assignment}.ipynb")
            started = time.perf_counter()
            grade = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(klass), "--out", str(Path(work) / "out")],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            with PeakMemory(grade.pid) as peaks:
                printed, _ = grade.communicate()
            row = next((line for line in printed.splitlines() if line.startswith("flooder ")), "?")
            print(f"{kind or 'none (solved)':<24} {peaks.largest('worker_main'):>9.0f} MB {peaks.of(grade.pid):>7.0f} MB "
                  f"{time.perf_counter() - started:>8.1f}  {' '.join(row.split()[2:])}", flush=True)
    print(f"\nPeak resident memory (VmHWM, sampled every 0.1 s) of the grading worker and of `grader grade`'s main "
          f"process while grading one solved {assignment} with each flood's cells added (about {mb} MB sent); the "
          f"kernel's own memory is its sandbox's (--memory), not counted here.")
    return 0
