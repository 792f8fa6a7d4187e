"""Where grading spends its time: named phases timed in the grading code itself (``benchmark --profile``).

``with phase("feedback"):`` adds the seconds the block took to this process's tally under that name,
*exclusive* of any phase nested in it (a nested phase's time is its own): the phases of one submission
therefore add up to the time it took, and :func:`take` hands over (and clears) the tally. A worker sends
its tally back with its answer; the main process adds the phases it runs itself (merge, tables).
Cheap enough to be always on (a clock read and a dict update per phase).
"""
from __future__ import annotations

import contextlib
import time
from collections import defaultdict

#: The phases, in the order a submission goes through them, with what each covers.
PHASES = {
    "shard": "read the submission, write it and its record into a shard (file copies)",
    "template copy": "copy the assignment's template gradebook into the shard",
    "kernel start": "launcher, bwrap and ipykernel until the kernel answers (no warm kernel ready)",
    "kernel handover": "connecting to the worker's warm kernel, started ahead of time (grader.engine.execute.WarmKernel)",
    "imports": "the notebook's setup cell (numpy, matplotlib, cnn_course)",
    "execution": "the student's other cells",
    "test cells": "the hidden and visible test cells, run in the kernel (records made)",
    "judging": "records judged against grader.course.reference (JudgeRecords, in the grader)",
    "kernel stop": "kernel shutdown and clean-up (with a warm pool: its launcher told to stop, reaped later)",
    "next kernel launch": "with a warm pool: asking for the next submission's kernel (forked by the zygote, or booted)",
    "nbgrader": "the rest of nbgrader's Autograde: its config, sanitising, its own gradebook writes",
    "feedback": "GenerateFeedback: the feedback HTML",
    "worker": "the worker's own overhead: job parsing, answer (the rest of its time per job)",
    "merge": "merge the shard into the course: autograded/ and feedback/ copies, gradebook writes",
    "submission copy": "keep the submission in the course's submitted/",
    "tables": "rewrite grades.csv and the other grade tables",
}

_spent: dict[str, float] = defaultdict(float)
_nested: list[float] = []  # for each phase running, the seconds its nested phases took so far


@contextlib.contextmanager
def phase(name: str):
    """Time the block under ``name`` (minus the phases nested in it)."""
    start = time.perf_counter()
    _nested.append(0.0)
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        inner = _nested.pop()
        _spent[name] += elapsed - inner
        if _nested:
            _nested[-1] += elapsed


def take() -> dict[str, float]:
    """This process's seconds per phase since the last call; the tally starts again from zero."""
    spent = dict(_spent)
    _spent.clear()
    return spent
