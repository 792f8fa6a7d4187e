"""Grading worker processes: each grades one submission at a time, in a shard, and answers in one JSON line.

:class:`Pool` keeps ``--jobs`` of them (``grader grade``), and a Dask worker keeps one (``grade --scheduler``,
:mod:`grader.engine.cluster`): a worker that dies costs only the submission it was grading. :func:`grade_job` is
what a worker does for one submission: autograde it in its shard, give the late penalty, make the feedback.
"""
from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from .autograde import give_late_penalty, grade_shard
from .converters import GradingError, one_engine_per_gradebook, run_converter
from .phases import phase, take


def grade_job(shard: str, path: str, assignment: str, student: str, template: str,
              timeout: int | None, below: str | None = None, late: dict | None = None, feedback: bool = True) -> dict:
    """Autograde and make feedback in a shard (in a worker process).

    Returns the answer line's content: ``{"problem": why it could not be graded, or None,
    "messages": {test: its message}}`` (bounded: the main process never reads the notebook).
    The worker adds the seconds it spent per phase (:mod:`grader.engine.phases`). ``feedback``: False leaves
    the page to the writer (a Dask worker's result: the writer makes every page a student sees).
    """
    try:
        with one_engine_per_gradebook(scratch=True):  # the shard's gradebook: merged into the course's, then removed
            result = grade_shard(Path(shard), Path(path), assignment, student, Path(template), timeout=timeout,
                                 below=Path(below) if below else None)
            if feedback:
                make_feedback(Path(shard), assignment, student, late)
        return {"problem": None, "messages": {t.name: t.message[:MESSAGE_CHARS] for t in result.tests}}
    except GradingError as error:
        return {"problem": str(error)}
    except MemoryError:  # RLIMIT_AS, where no cgroup could be made
        return {"problem": _memory_problem(_worker_memory())}
    except Exception as error:  # a job must never take the others down
        return {"problem": f"{type(error).__name__}: {error}"}


def make_feedback(shard: Path, assignment: str, student: str, late: dict | None) -> None:
    """The late penalty in a graded shard's gradebook, then its feedback page (which shows the score after it)."""
    from nbgrader.converters import GenerateFeedback

    with phase("feedback"):
        give_late_penalty(shard, assignment, student, late)
        run_converter(GenerateFeedback, shard, assignment, student, force=True)


#: Characters of each test's message a worker sends back (a course verdict is a few hundred).
MESSAGE_CHARS = 10_000
#: Memory each grading worker may use (``CNN_COURSE_WORKER_MEMORY``, e.g. 1G, 768M): a cgroup, or
#: RLIMIT_AS where none can be made. Its kernel has a limit of its own (``--memory``).
WORKER_MEMORY = "CNN_COURSE_WORKER_MEMORY"


def _worker_memory() -> int:
    from .sandbox import _size

    return _size(os.environ.get(WORKER_MEMORY, "1G"))


def _memory_problem(limit: int) -> str:
    return f"grading it took more memory than a grading process may use ({limit >> 20} MB)"


def worker_main(parent: int | None = None) -> None:
    """A grading worker: one JSON job per line on stdin, one JSON answer per line on the original stdout.

    It dies with the main process ``parent`` (SIGTERM on parent death, then it removes the shard it was
    grading); kernels it started die with it (the launcher's parent-death signal, bwrap's
    --die-with-parent). stdout is kept for answers: whatever else prints goes to stderr.
    """
    import ctypes
    import signal

    if parent is None:
        parent = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()
    current = {}

    def stop(signum, frame):  # also the last finished shard: the main process may have died merging it
        _leave_cgroups()
        pool = getattr(sys.modules.get("grader.engine.execute"), "POOL", None)
        if pool:  # its launcher would wait for our death, and we for its end (_release_cgroups)
            pool.terminate()
        if current.get("shard"):
            shard = Path(current["shard"])
            for _ in range(20):  # a file still being written (by a dying child) makes one pass fail
                shutil.rmtree(shard, ignore_errors=True)
                if not shard.exists():
                    break
                time.sleep(0.1)
            with contextlib.suppress(OSError):
                os.rmdir(shard.parent)  # .shards/, once empty (the last worker to finish removes it)
        _release_cgroups(_own_cgroups())
        os._exit(143)

    signal.signal(signal.SIGTERM, stop)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the main process died before we asked
        return
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    from nbgrader.converters import Autograde, GenerateFeedback  # noqa: F401 - imported while the main process prepares

    from . import execute, preprocessors  # noqa: F401
    from .sandbox import FORKED_KERNELS

    shared = os.environ.get(_SHARED_ZYGOTE) == "1"  # the pool's zygote: its address is the first line we read
    if os.environ.get(WARM_POOL, "on") != "off":
        execute.POOL = execute.WarmKernel(forked=not shared and os.environ.get(FORKED_KERNELS, "on") != "off")
        if not shared:
            execute.POOL.start()  # the first submission's kernel boots while the main process prepares
    for line in sys.stdin:
        job = json.loads(line)
        if "zygote" in job:  # None: it could not start (kernels boot)
            if execute.POOL:
                execute.POOL.shared_zygote = job["zygote"]
                execute.POOL.start()  # forked while the main process prepares and sends the first job
            continue
        current["shard"] = job["shard"]
        with phase("worker"):
            answer = grade_job(**job)
        answers.write(json.dumps({**answer, "phases": take()}) + "\n")
        answers.flush()
    if execute.POOL:
        execute.POOL.stop()


#: ``CNN_COURSE_WARM_POOL=off``: a worker starts each kernel when its submission needs it (no warm kernel).
WARM_POOL = "CNN_COURSE_WARM_POOL"
_CGROUPS = "CNN_COURSE_WORKER_CGROUPS"  # the worker's own cgroups, for it to leave and remove when it is stopped
_SHARED_ZYGOTE = "CNN_COURSE_SHARED_ZYGOTE"  # "1": the worker's kernels come from its pool's zygote
#: ``CNN_COURSE_FORKED_WORKERS=off``: workers are spawned (each imports nbgrader itself), never forked.
FORKED_WORKERS = "CNN_COURSE_FORKED_WORKERS"


def _own_cgroups() -> list[Path]:
    """In a worker: the cgroups it was started in."""
    return [Path(group) for group in os.environ.get(_CGROUPS, "").split(":") if group]


def _leave_cgroups() -> None:
    """Move this process to the groups that hold its own (a group with a process in it cannot be removed)."""
    for group in _own_cgroups():
        with contextlib.suppress(OSError):
            (group.parent / "cgroup.procs").write_text(str(os.getpid()))


def _release_cgroups(groups: list[Path]) -> None:
    """Remove a worker's groups once its kernel's launcher (still in them) has cleaned up and gone (10 s at most)."""
    from .sandbox import _remove_cgroup

    deadline = time.monotonic() + 10
    for group in groups:
        while time.monotonic() < deadline:
            try:
                if not (group / "cgroup.procs").read_text().split():
                    break
            except OSError:
                break
            time.sleep(0.01)  # the launcher is usually gone within 20 ms: the last worker's end waits on this
        _remove_cgroup(group)  # whatever is still in it is killed


#: What the course's kernel (ipykernel) says of its language in a notebook it ran: its code's highlighting follows it.
KERNEL_LANGUAGE = {"name": "python", "pygments_lexer": "ipython3", "codemirror_mode": {"name": "ipython", "version": 3}}


def warm_up(assignments: Iterable[str]) -> None:
    """Make here what each worker's first submission of ``assignments`` made for itself; a worker forked after it
    starts with it: a feedback page of each assignment's own cells (its templates compiled, their libraries loaded,
    the cells' HTML remembered by :mod:`~grader.engine.feedback`) and the judging of each of its case sets kept
    (:func:`~grader.course.verdict.prepare`): 0.3-0.4 CPU-s of each worker's first 07, 0.3 s once here."""
    import nbformat

    from ..config import course_config
    from ..course import verdict
    from .feedback import FeedbackExporter
    from .gradebook import solution_notebook
    from .preprocessors import ClearHiddenTestsQuietly

    config = course_config()
    for assignment in sorted(set(assignments)):
        verdict.prepare(assignment)
        page = nbformat.read(solution_notebook(assignment), as_version=4)
        # the cells every student's page shows as the course wrote them: not its answers
        page.cells = [cell for cell in page.cells if not cell.metadata.get("nbgrader", {}).get("solution")]
        page.metadata.language_info = KERNEL_LANGUAGE  # the highlighting is the graded notebook's
        page, _ = ClearHiddenTestsQuietly(config=config).preprocess(page, {})  # as GenerateFeedback shows them
        for cell in page.cells:
            if cell.metadata.get("nbgrader", {}).get("grade"):
                cell.metadata.nbgrader.score = 0  # as autograde leaves it
        FeedbackExporter(config=config).from_notebook_node(
            page, resources={"nbgrader": {"notebook": "warm-up", "score": 0, "max_score": 0, "late_penalty": 0}})


#: What a grading worker imports before its first job: imported once by the main process, its workers are forked.
WORKER_MODULES = ("nbgrader.converters", "grader.engine.execute", "grader.engine.preprocessors")
_KEPT: list = []  # a forked worker's copies of the main process's standard streams: never freed (freeing one would
#                   close a descriptor that is no longer its own)


def _may_fork(imported: bool = True) -> bool:
    """A worker may be forked from this process: it has one thread (a fork copies only the calling one, and a
    lock another thread held would stay locked) and, with ``imported``, has imported what a worker needs (else
    forking saves nothing)."""
    import threading

    return os.environ.get(FORKED_WORKERS, "on") != "off" and threading.active_count() == 1 and \
        (not imported or all(name in sys.modules for name in WORKER_MODULES))


def _forget_event_loops() -> None:
    """In a forked worker: no event loop of the main process (its selector's descriptor is closed here) is reused."""
    import asyncio

    asyncio.set_event_loop_policy(None)
    utils = sys.modules.get("jupyter_core.utils")
    if utils is not None and hasattr(utils, "_loop"):
        utils._loop.set(None)  # jupyter_core's run_sync (nbclient's too) keeps the loop it made


class ForkedWorker:
    """A worker forked from the main process, with the part of :class:`subprocess.Popen` the pool uses.

    A spawned worker imports nbgrader, nbconvert and the engine (0.8-0.9 CPU-s); a forked one starts with them
    imported. The child keeps only its pipes (stdin: jobs; stdout: answers) and standard error (fresh stream
    objects on descriptors 0-2), puts back the default signal handlers, names itself ``worker_main``
    (``/proc/<pid>/comm``) and never returns into the main process's code.
    """

    def __init__(self, env: dict[str, str], prepare):
        jobs_read, jobs_write = os.pipe()
        answers_read, answers_write = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()  # else the child would write the main process's buffered lines once more
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:
                import gc
                gc.freeze()  # the main process's objects are never collected here
                os.dup2(jobs_read, 0)
                os.dup2(answers_write, 1)
                os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # no other worker's pipe, nothing of the main process
                _KEPT.extend([sys.stdin, sys.stdout, sys.stderr])
                sys.stdin = open(0, closefd=False)
                sys.stdout = open(1, "w", buffering=1, closefd=False)
                sys.stderr = open(2, "w", buffering=1, closefd=False)
                for signum in (signal.SIGTERM, signal.SIGHUP):
                    signal.signal(signum, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                _forget_event_loops()
                import ctypes
                ctypes.CDLL(None).prctl(15, b"worker_main", 0, 0, 0)  # PR_SET_NAME
                os.environ.update(env)
                prepare()
                worker_main(parent)
                code = 0
            except BaseException:  # noqa: BLE001 - said on stderr, if it can be
                with contextlib.suppress(BaseException):
                    import traceback
                    traceback.print_exc()
            finally:
                os._exit(code)
        os.close(jobs_read)
        os.close(answers_write)
        self.stdin = os.fdopen(jobs_write, "wb", buffering=0)
        self.stdout = os.fdopen(answers_read, "rb", buffering=0)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("worker_main", timeout)
            time.sleep(0.01)
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Worker:
    """One worker process of :class:`Pool` and the job it is grading.

    It runs under a memory limit (:data:`WORKER_MEMORY`): its own cgroups (made beside the main
    process's, removed after it), or RLIMIT_AS where none can be made here.
    """

    _made = 0

    def __init__(self, zygote: bool = False):
        """``zygote``: its pool keeps one, whose address it sends before any job (:meth:`Pool.run`)."""
        from .sandbox import WORKER_CGROUP_PREFIX, Limits, make_cgroups

        self.memory = _worker_memory()
        Worker._made += 1
        self.cgroups = make_cgroups(f"{WORKER_CGROUP_PREFIX}{os.getpid()}-{Worker._made}",
                                    Limits(memory=self.memory, processes=512))
        env = {_CGROUPS: ":".join(map(str, self.cgroups)), _SHARED_ZYGOTE: "1" if zygote else ""}
        self.told_zygote = not zygote
        if _may_fork():
            self.process = ForkedWorker(env, self._limit)
        else:
            code = "import sys; from grader.engine.workers import worker_main; worker_main()"
            self.process = subprocess.Popen([sys.executable, "-I", "-c", code, str(os.getpid())], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, bufsize=0, env={**os.environ, **env},
                                            preexec_fn=self._limit)
        self.buffer = b""
        self.job = None
        self.started = 0.0
        self.reason = None  # why we killed it, if we did

    def _limit(self) -> None:
        """In the forked child, before exec: join the cgroups, or limit the address space."""
        for group in self.cgroups:
            (group / "cgroup.procs").write_text(str(os.getpid()))
        if not self.cgroups:  # address space, not memory used: numpy and threads reserve more than they use
            import resource
            hard = resource.getrlimit(resource.RLIMIT_AS)[1]  # kept: the kernel's launcher raises its own soft limit
            space = max(4 * self.memory, 4 << 30)
            resource.setrlimit(resource.RLIMIT_AS, (space if hard == resource.RLIM_INFINITY else min(space, hard), hard))

    def send(self, job, args: dict) -> None:
        self.job, self.started = job, time.monotonic()
        self.process.stdin.write((json.dumps(args) + "\n").encode())

    def tell_zygote(self, address: str | None) -> None:
        self.told_zygote = True
        with contextlib.suppress(OSError):  # it died: found on the next round
            self.process.stdin.write((json.dumps({"zygote": address}) + "\n").encode())

    def death(self) -> str:
        """Why it died (once it has): killed by us, by its memory limit, or else its exit code."""
        code = self.process.wait()
        if self.reason:
            return self.reason
        if self._out_of_memory():
            return _memory_problem(self.memory)
        return f"the grading process died (exit code {code})"

    def _out_of_memory(self) -> bool:
        if self.process.returncode != -signal.SIGKILL:  # the OOM killer's signal
            return False
        for group in self.cgroups:  # v1 memory.oom_control and v2 memory.events count the OOM killer's kills
            for name in ("memory.oom_control", "memory.events"):
                with contextlib.suppress(OSError, ValueError):
                    counts = dict(line.split() for line in (group / name).read_text().splitlines())
                    if int(counts.get("oom_kill", 0)) > 0:
                        return True
        return False

    def release(self) -> None:
        """Remove its cgroups, once it and its kernel's launcher are gone."""
        _release_cgroups(self.cgroups)
        self.cgroups = []

    def ask_to_stop(self) -> None:
        """Ask it to end (it removes its shard and stops its kernels); :meth:`wait_stopped` makes sure it does."""
        with contextlib.suppress(OSError):
            self.process.terminate()

    def wait_stopped(self) -> None:
        """Wait for it to end (15 s at most, then it is killed), then release its groups."""
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.release()


class Pool:
    """Grading worker processes that survive their own deaths.

    Unlike ProcessPoolExecutor, a worker that dies (killed, out of memory, a crash in a library)
    costs only the submission it was grading: that job gets a problem saying so, the worker is
    replaced, and every other job goes on. ``limit`` seconds after a job started, its worker is
    killed (a last resort: the sandbox's own wall-clock cap normally ends a notebook first).
    """

    def __init__(self, size: int, limit: float):
        self.size, self.limit = max(1, size), limit
        self.workers: list[Worker] = []
        self.zygote = None  # made by start(): one for all workers (grader.engine.zygote)
        self.warmed: set[str] = set()  # assignments whose first submission's making the main process made (warm_up)

    def run(self, jobs: dict, on_done) -> None:
        """Run every job (``{key: kwargs of grade_job}``); call ``on_done(key, answer)`` as each ends.

        ``answer``: what :func:`grade_job` returned, or ``{"problem": why the worker died}``.
        """
        pending = list(jobs)
        while pending or any(w.job is not None for w in self.workers):
            for worker in [w for w in self.workers if w.job is None and w.process.poll() is not None]:
                worker.release()
                self.workers.remove(worker)
            if pending:
                self.fill({jobs[key]["assignment"] for key in pending})
            for worker in self.workers:
                if not worker.told_zygote:
                    worker.tell_zygote(self.zygote.address())
                self._give_next(worker, pending, jobs)
            busy = {w.process.stdout.fileno(): w for w in self.workers if w.job is not None}
            ready = select.select(list(busy), [], [], 1.0)[0] if busy else []
            for fd in ready:
                worker = busy[fd]
                chunk = os.read(fd, 65536)
                if not chunk:  # the worker died: only its own submission is lost
                    why = worker.death()
                    shutil.rmtree(jobs[worker.job]["shard"], ignore_errors=True)
                    worker.release()
                    on_done(worker.job, {"problem": why})
                    worker.job = None
                    self.workers.remove(worker)
                    continue
                worker.buffer += chunk
                if b"\n" in worker.buffer:
                    line, worker.buffer = worker.buffer.split(b"\n", 1)
                    key, worker.job = worker.job, None
                    self._give_next(worker, pending, jobs)  # its next submission runs while this one is merged
                    on_done(key, json.loads(line))
            for worker in self.workers:
                if worker.job is not None and not worker.reason and time.monotonic() - worker.started > self.limit:
                    worker.reason = f"grading took longer than {self.limit:.0f} s and was stopped"
                    worker.process.kill()  # its stdout ends: reported on the next round

    def fill(self, assignments: set[str]) -> None:
        """Start workers up to the pool's size, for jobs of ``assignments``. Forked ones start with what each one's
        first submission of them would make for itself, made once here (:func:`warm_up`)."""
        if len(self.workers) >= self.size:
            return
        if _may_fork() and not assignments <= self.warmed:
            with contextlib.suppress(Exception):  # (a page that cannot be made says so for each student)
                warm_up(assignments - self.warmed)
            self.warmed |= assignments
        while len(self.workers) < self.size:
            self.workers.append(Worker(zygote=self.zygote is not None))

    @staticmethod
    def _give_next(worker: Worker, pending: list, jobs: dict) -> None:
        """Send an idle worker the next pending job, if any."""
        if worker.job is None and pending and worker.process.poll() is None:
            key = pending.pop(0)
            try:
                worker.send(key, jobs[key])
            except OSError:  # it died while idle: a new worker takes the job
                pending.insert(0, key)
                worker.job = None
                worker.process.kill()
                worker.process.wait()  # released on the next round

    def start(self) -> None:
        """Start the zygote now, before the main process's preparations, and the workers when they are spawned.

        The zygote boots while this process imports what every worker needs and prepares the class; when it may fork
        the workers (:func:`_may_fork`), :meth:`fill` forks them once the class's assignments are known (:meth:`run`).
        """
        import importlib

        from .sandbox import FORKED_KERNELS, Zygote

        if self.zygote is None and os.environ.get(WARM_POOL, "on") != "off" and \
                os.environ.get(FORKED_KERNELS, "on") != "off":
            self.zygote = Zygote()
            self.zygote.launch()
        if _may_fork(imported=False):
            for name in WORKER_MODULES:
                importlib.import_module(name)
            return  # forked by fill(), once the class's assignments are known (warm_up)
        self.fill(set())  # spawned: each starts while this process prepares

    def close(self) -> None:
        for worker in self.workers:  # all at once: each stops its warm kernel
            worker.ask_to_stop()
        for worker in self.workers:
            worker.wait_stopped()
        self.workers = []
        if self.zygote is not None:
            self.zygote.stop()
            self.zygote = None
