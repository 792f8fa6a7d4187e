"""Grading on a Dask cluster: ``grader grade SUBMISSIONS --scheduler tls://HOST:PORT``.

The instructor's machine (the *writer*) keeps everything but the grading itself: it finds and reads the
submissions, and it alone writes the gradebook, the feedback and the grade tables, as with ``--jobs``. Each
submission goes to a Dask worker as data (its bytes, nbgrader's record of it, the late rule), and comes back as
data (the autograded notebook and the scores), checked on both sides as ``grade`` checks a student's files:
sizes, names, links, JSON bounds. The writer makes the feedback page itself, from the autograded notebook as it
makes a student's: no page a student is sent comes from a worker.

A worker grades exactly as ``--jobs`` does (:func:`grade_remote`): in a grading process of its own
(``workers.Pool``, one per worker, its warm kernel kept between submissions), in the bubblewrap sandbox, with the
templates and hidden tests of its own course checkout. It refuses a submission, with the reason, when its
checkout differs from the writer's in anything grading uses (:func:`checkout_fingerprint`) or when it cannot
make a sandbox; the writer then sends it to another worker, or reports it NOT GRADED. A worker that dies costs
nothing (Dask runs its submission elsewhere); a submission that kills two workers is reported NOT GRADED. A
scheduler that goes away ends the run: every finished row is kept, and a rerun grades the rest.

Dask (``distributed``) is installed by ``pip install -e ".[cluster]"``; students never need it.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from .. import layout
from ..layout import GRADING_PARTS
from .converters import GradingError
from .student_files import MAX_SUBMISSION_BYTES, NBGRADER_FILES, make_folder_private, make_private, notebook_json_problem
from .workers import Pool, make_feedback

#: Files of a result a worker may send back: the autograded notebook and nbgrader's record of it (never a page).
RESULT_NAME = re.compile(r"autograded/[A-Za-z0-9._-]{1,200}")
MAX_RESULT_FILES = 8
MAX_RESULT_BYTES = 4 * MAX_SUBMISSION_BYTES
MAX_COMMENT_CHARS = 100_000
#: Worker deaths a submission may cause before it is reported NOT GRADED (Dask's ``allowed-failures``).
ALLOWED_WORKER_DEATHS = 1



class ClusterError(Exception):
    """A Dask cluster cannot be used (Dask missing, no scheduler there): one line for the instructor."""


# -- both sides ------------------------------------------------------------------------------------------------

#: The checkout's fingerprint, made once: a worker's checkout does not change under it while it runs.
checkout_fingerprint = lru_cache(maxsize=1)(layout.checkout_fingerprint)


def fingerprint_difference(mine: dict[str, str], theirs: dict[str, str]) -> str | None:
    """What differs between two checkouts (one line), or None when they grade alike."""
    if mine.get("commit") and theirs.get("commit") and mine["commit"] != theirs["commit"]:
        return f"its checkout is at commit {mine['commit'][:12]}, the writer's at {theirs['commit'][:12]}"
    differ = [f"{part}/" for part in GRADING_PARTS if mine.get(part) != theirs.get(part)]
    return f"its copy of {', '.join(differ)} differs from the writer's" if differ else None


# -- the worker's side -----------------------------------------------------------------------------------------

_LOCAL_POOL = []  # the grading process of this Dask worker: one, kept (its warm kernel) between submissions


def grade_remote(task: dict) -> dict:
    """Run on a Dask worker: grade one submission, sent as data, in this worker's own checkout.

    ``task``: ``{"fingerprint", "assignment", "student", "notebook" (bytes), "record" ({name: bytes}),
    "timeout"}`` (the late rule stays with the writer, which makes the feedback page). Returns
    ``{"refused": why}`` when this worker may not grade it; else ``{"answer": what workers.grade_job returned,
    "files": {"autograded/NAME": bytes}, "scores": ...}`` (:func:`grader.engine.autograde.shard_scores`).
    """
    from .autograde import shard_scores
    from .gradebook import cached_template
    from .sandbox import SWITCH, Limits, problem

    why = (fingerprint_difference(checkout_fingerprint(), task["fingerprint"])
           or (os.environ.get(SWITCH) == "off" and f"it was started with the sandbox switched off ({SWITCH}=off)")
           or problem())
    if why:
        return {"refused": f"{_worker_name()} refused it: {why}"}
    assignment, student = task["assignment"], task["student"]
    work = Path(tempfile.mkdtemp(prefix="cnn-course-remote-"))
    try:
        make_folder_private(work)
        folder = work / "in" / student / assignment
        folder.mkdir(parents=True)
        notebook = folder / f"{assignment}.ipynb"
        notebook.write_bytes(task["notebook"])
        for name in NBGRADER_FILES:  # read back by grade_shard, bounded, as on the writer's side
            if isinstance(task["record"].get(name), bytes):
                (folder / name).write_bytes(task["record"][name])
        shard = work / "shard"
        if not _LOCAL_POOL:
            _LOCAL_POOL.append(Pool(1, limit=Limits.from_env().wall + 120))
        answers = {}
        _LOCAL_POOL[0].run({"job": dict(shard=str(shard), path=str(notebook), assignment=assignment, student=student,
                                         template=str(cached_template(assignment)), timeout=task["timeout"],
                                         below=str(work / "in"), feedback=False)},
                           lambda key, answer: answers.update(answer=answer))
        answer = answers["answer"]
        if answer["problem"] is not None:
            return {"answer": answer}
        files = {}
        for path in sorted((shard / "autograded" / student / assignment).glob("*")):
            if path.is_file() and not path.is_symlink():
                files[f"autograded/{path.name}"] = path.read_bytes()
        return {"answer": answer, "files": files, "scores": shard_scores(shard, assignment, student)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return f"worker {get_worker().address}"
    except (ImportError, ValueError):
        return "the worker"


# -- the writer's side -----------------------------------------------------------------------------------------

def result_problem(result: dict) -> str | None:
    """Why a worker's result is refused (one line), or None: the writer's own checks of what comes back."""
    if not isinstance(result, dict) or not isinstance(result.get("answer"), dict):
        return "the worker sent no answer"
    files = result.get("files", {})
    if not isinstance(files, dict) or len(files) > MAX_RESULT_FILES:
        return "the worker sent too many files"
    total = 0
    for name, content in files.items():
        if not isinstance(name, str) or not RESULT_NAME.fullmatch(name) or name.split("/")[1] in (".", ".."):
            return f"the worker sent a file named {name!r:.80}"
        if not isinstance(content, bytes):
            return f"the worker sent {name} as something other than bytes"
        total += len(content)
        if total > MAX_RESULT_BYTES:
            return f"the worker sent more than {MAX_RESULT_BYTES >> 20} MB"
        if name.endswith(".ipynb"):
            too_big = notebook_json_problem(content)
            if too_big:
                return f"the worker's {name}: {too_big}"
    scores = result.get("scores")
    if scores is not None:
        try:
            json.dumps(scores)
        except (TypeError, ValueError):
            return "the worker's scores are not plain data"
        if len(json.dumps(scores)) > MAX_COMMENT_CHARS * 20:
            return "the worker's scores are too large"
    return None


def rebuild_shard(result: dict, job: dict) -> None:
    """A checked result, made into the shard a local grading worker leaves (``job``: its ``workers.grade_job``
    arguments): the autograded notebook, a gradebook from the writer's own template holding the worker's scores
    (checked against it: :func:`~grader.engine.autograde.merge_scores`), the late penalty and the feedback page,
    made here. A :class:`GradingError` when the scores do not fit."""
    from .autograde import merge_scores

    shard, assignment, student = Path(job["shard"]), job["assignment"], job["student"]
    shard.mkdir(parents=True, exist_ok=True)
    make_folder_private(shard)
    for name, content in result.get("files", {}).items():
        target = shard / "autograded" / student / assignment / name.split("/")[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        make_private(target)
    shutil.copyfile(job["template"], shard / "gradebook.db")
    merge_scores(result["scores"], shard, assignment, student)
    make_feedback(shard, assignment, student, job["late"])


class DaskPool:
    """``workers.Pool``'s interface over a Dask cluster: ``start``, ``run(jobs, on_done)``, ``close``.

    ``scheduler``: its address (``tls://host:port``, ``tcp://...``), or a scheduler file (JSON). Dask's own
    settings give the TLS credentials (``distributed.comm.tls.*``, e.g. ``DASK_DISTRIBUTED__COMM__TLS__CA_FILE``).
    """

    def __init__(self, scheduler: str, connect_timeout: float = 30.0):
        self.scheduler, self.connect_timeout = scheduler, connect_timeout
        self.client = None

    def start(self) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ClusterError('grading on a cluster needs Dask: pip install -e ".[cluster]"') from None
        target = dict(scheduler_file=self.scheduler) if os.path.isfile(self.scheduler) else dict(
            address=self.scheduler)
        try:
            self.client = Client(**target, timeout=self.connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"no Dask scheduler answers at {self.scheduler}: {error}") from None
        # a submission that kills two workers is reported, not retried forever (a scheduler that runs no
        # client's function keeps its own distributed.scheduler.allowed-failures, 3 by default)
        try:
            self.client.run_on_scheduler(_allow_failures, count=ALLOWED_WORKER_DEATHS)
        except Exception as error:  # noqa: BLE001 - whatever the scheduler refuses with
            print(f"grader grade: the scheduler keeps its own allowed-failures ({type(error).__name__})",
                  file=sys.stderr)

    def run(self, jobs: dict, on_done) -> None:
        """Grade every job (``{key: kwargs of workers.grade_job}``) on the cluster; ``on_done(key, answer)`` as
        each ends, after its result is written into the job's shard (its ``scores`` in ``answer``)."""
        from distributed import as_completed
        from distributed.client import FutureCancelledError

        from .autograde import submission_bytes, submission_record

        fingerprint = checkout_fingerprint()
        futures, refusals = {}, {}
        for key, job in jobs.items():
            path, below = Path(job["path"]), Path(job["below"]) if job["below"] else None
            try:
                task = {"fingerprint": fingerprint, "assignment": job["assignment"], "student": job["student"],
                        "notebook": submission_bytes(path, below), "record": submission_record(path, below),
                        "timeout": job["timeout"]}
            except GradingError as error:
                on_done(key, {"problem": str(error)})
                continue
            futures[self._submit(task, exclude=())] = (key, task)
        queue = as_completed(list(futures), loop=self.client.loop, with_results=False)
        lost = "the scheduler went away before it was graded (a rerun grades it)"
        try:
            for future in queue:
                key, task = futures.pop(future)
                try:
                    result = future.result()
                except FutureCancelledError:
                    on_done(key, {"problem": lost})
                    continue
                except Exception as error:  # KilledWorker, or a failure of Dask itself
                    name = type(error).__name__
                    why = (f"it killed {ALLOWED_WORKER_DEATHS + 1} workers" if name == "KilledWorker"
                           else f"{name}: {error}")
                    on_done(key, {"problem": f"not graded on the cluster: {why}"})
                    continue
                if isinstance(result, dict) and "refused" in result:
                    refusals.setdefault(key, []).append(str(result["refused"])[:300])
                    others = self._workers() - {_address(r) for r in refusals[key]}
                    if others:
                        again = self._submit(task, exclude=tuple(_address(r) for r in refusals[key]))
                        futures[again] = (key, task)
                        queue.add(again)
                    else:
                        on_done(key, {"problem": "no worker may grade it: " + "; ".join(refusals[key])})
                    continue
                why = result_problem(result)
                if why:
                    on_done(key, {"problem": why})
                    continue
                answer = dict(result["answer"])
                if answer.get("problem") is None:
                    try:
                        rebuild_shard(result, jobs[key])
                    except GradingError as error:
                        answer = {"problem": f"its result was refused: {error}"}
                on_done(key, answer)
        except (OSError, TimeoutError) as error:  # the scheduler went away: what is finished is kept
            lost = f"the scheduler went away ({type(error).__name__}) before it was graded (a rerun grades it)"
        for future, (key, _) in futures.items():
            future.cancel()
            on_done(key, {"problem": lost})

    def _submit(self, task: dict, exclude: tuple):
        workers = sorted(self._workers() - set(exclude)) if exclude else None
        return self.client.submit(grade_remote, task, pure=False, workers=workers, allow_other_workers=False,
                                  key=f"grade-{task['student']}-{task['assignment']}-{time.monotonic_ns()}")

    def _workers(self) -> set[str]:
        return set(self.client.scheduler_info(n_workers=-1)["workers"])

    def close(self) -> None:
        if self.client is not None:
            if self.client.status != "running":  # the scheduler went away: the summary says so, not a traceback
                import logging
                logging.getLogger("distributed").setLevel(logging.CRITICAL)
            with contextlib.suppress(Exception):
                self.client.close(timeout=10)
            self.client = None


def _address(refusal: str) -> str:
    match = re.match(r"worker (\S+) refused", refusal)
    return match.group(1) if match else ""


def _allow_failures(count: int, dask_scheduler=None) -> None:
    dask_scheduler.allowed_failures = count


def _written_address(scheduler_file: Path) -> str | None:
    """The address in a scheduler file, once the scheduler has written it whole."""
    try:
        return json.loads(scheduler_file.read_text())["address"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def local_cluster(folder: Path, workers: int = 2, env: dict | None = None, protocol: str = "tcp"):
    """A Dask scheduler and ``workers`` one-thread workers on 127.0.0.1, as processes started from this checkout
    (``make cluster-demo``'s, for the benchmark and the tests). Yields ``(address, [scheduler, *workers])``;
    every process is stopped by its id on the way out. ``env``: their environment (TLS settings, say)."""
    env = dict(os.environ if env is None else env)
    scheduler_file, started = Path(folder) / "scheduler.json", []

    def start(*args: str) -> subprocess.Popen:
        log = (Path(folder) / f"dask-{len(started)}.log").open("w")
        process = subprocess.Popen([sys.executable, "-m", *args], env=env, cwd=layout.COURSE_ROOT,
                                   stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        started.append(process)
        return process

    try:
        start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--protocol", protocol,
              "--no-dashboard", "--scheduler-file", str(scheduler_file))
        deadline = time.monotonic() + 60
        while (address := _written_address(scheduler_file)) is None:  # the file exists a moment before it is written
            if time.monotonic() > deadline or started[0].poll() is not None:
                raise ClusterError(f"the scheduler did not start: {Path(folder) / 'dask-0.log'}")
            time.sleep(0.05)
        for n in range(workers):
            start("distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                  "--name", f"w{n + 1}")
        logs = [Path(folder) / f"dask-{n + 1}.log" for n in range(workers)]
        while not all("Registered to" in log.read_text(errors="replace") for log in logs):
            if time.monotonic() > deadline + 60 or any(p.poll() is not None for p in started):
                raise ClusterError(f"a worker did not start: {', '.join(map(str, logs))}")
            time.sleep(0.05)
        yield address, started
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
