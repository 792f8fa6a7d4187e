"""Grading workers forked from the main process (grader/engine/workers.py: ForkedWorker) keep nothing of it.

A forked worker starts with nbgrader imported (0.8-0.9 CPU-s saved per worker), but must not hold the main
process's files or another worker's pipes (a worker holding another's job pipe would keep it open after that one's
end), nor reuse the main process's event loop, whose descriptors it closed.
"""
from __future__ import annotations

import asyncio
import os
import tempfile
import time

import pytest

from grader.engine import workers

pytestmark = pytest.mark.slow


def _descriptors(pid: int) -> set[str]:
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            found.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return found


def test_forked_workers_hold_no_descriptor_of_the_main_process_or_of_each_other(monkeypatch):
    monkeypatch.setenv(workers.WARM_POOL, "off")  # no kernel: only the workers themselves
    loop = asyncio.new_event_loop()  # as a long-lived process (a test run, the benchmark) has
    asyncio.set_event_loop(loop)
    pool = workers.Pool(2, limit=60)
    from grader.engine import feedback

    feedback._COMPILED_TEMPLATES.compiled.clear()
    with tempfile.NamedTemporaryFile() as marker:
        try:
            pool.start()
            assert pool.workers == []  # forked once the class's assignments are known
            pool.fill({"02_padding_stride"})
            assert [type(w.process) for w in pool.workers] == [workers.ForkedWorker] * 2
            # a feedback page was made before the fork: the workers' first pages find its templates compiled
            assert len(feedback._COMPILED_TEMPLATES.compiled) >= 5
            pipes = {w.process.pid: {f"pipe:[{os.fstat(s.fileno()).st_ino}]" for s in (w.process.stdin, w.process.stdout)}
                     for w in pool.workers}
            for pid in pipes:  # it names itself once it has closed what it inherited
                deadline = time.monotonic() + 60
                while open(f"/proc/{pid}/comm").read().strip() != "worker_main" and time.monotonic() < deadline:
                    time.sleep(0.01)
            for pid in pipes:
                held = _descriptors(pid)
                assert open(f"/proc/{pid}/comm").read().strip() == "worker_main"
                assert marker.name not in held
                others = set().union(*(p for other, p in pipes.items() if other != pid))
                assert not held & others, held & others
                assert not any("eventpoll" in link for link in held), held
        finally:
            pool.close()
            loop.close()
            asyncio.set_event_loop(None)
    assert pool.workers == []


def test_workers_are_spawned_when_the_main_process_has_threads_or_forking_is_off(monkeypatch):
    import threading

    monkeypatch.setenv(workers.WARM_POOL, "off")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not workers._may_fork()  # a lock the other thread holds would stay locked in the child
    finally:
        stop.set()
        other.join()
    monkeypatch.setenv(workers.FORKED_WORKERS, "off")
    assert not workers._may_fork()
