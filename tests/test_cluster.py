"""Grading on a Dask cluster (``grader grade --scheduler``): the same rows as local workers, a dead worker costs
nothing, and what crosses the wire is checked on both sides.

The slow test starts, on 127.0.0.1 with TLS (a CA and certificate made here with openssl), one scheduler and two
workers of one thread each, grades the small class of notebook 02, kills one worker while it grades, checks every
row against the class graded locally (``graded_sequential``, which ``test_pipeline`` holds equal to ``--jobs 2``),
then stops them all by their process ids.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.engine.cluster import (
    RESULT_NAME,
    checkout_fingerprint,
    fingerprint_difference,
    local_cluster,
    result_problem,
)
from tests.conftest import SMALL_CLASS, children_of
from tests.course_copies import grade_rows

ROOT = Path(__file__).resolve().parent.parent


# -- quick: what crosses the wire ------------------------------------------------------------------------------

def test_a_checkout_that_differs_in_anything_grading_uses_is_named():
    mine = checkout_fingerprint()
    assert set(mine) == {"commit", "grader", "solutions", "cnn_course", "locale"} and all(mine[p] for p in mine if p != "commit")
    assert fingerprint_difference(mine, dict(mine)) is None
    assert "solutions/" in fingerprint_difference(mine, {**mine, "solutions": "0" * 64})
    assert "grader/, cnn_course/" in fingerprint_difference(mine, {**mine, "grader": "", "cnn_course": ""})
    assert "commit" in fingerprint_difference({**mine, "commit": "a" * 40}, {**mine, "commit": "b" * 40})


def test_a_worker_refuses_a_submission_from_a_writer_whose_checkout_differs():
    from grader.engine.cluster import grade_remote

    theirs = {**checkout_fingerprint(), "solutions": "f" * 64}
    answer = grade_remote({"fingerprint": theirs, "assignment": "02_padding_stride", "student": "ada",
                           "notebook": b"{}", "record": {}, "timeout": None})
    assert answer == {"refused": "the worker refused it: its copy of solutions/ differs from the writer's"}


def test_a_worker_whose_sandbox_is_switched_off_refuses_rather_than_grade_unsandboxed(monkeypatch):
    from grader.engine import sandbox
    from grader.engine.cluster import grade_remote

    monkeypatch.setenv(sandbox.SWITCH, "off")
    answer = grade_remote({"fingerprint": checkout_fingerprint(), "assignment": "02_padding_stride", "student": "ada",
                           "notebook": b"{}", "record": {}, "timeout": None})
    assert "sandbox switched off" in answer["refused"]


@pytest.mark.parametrize("result, why", [
    (None, "no answer"),
    ({"answer": {}, "files": {"autograded/../../x.ipynb": b""}}, "a file named"),
    ({"answer": {}, "files": {"autograded/a/b.ipynb": b""}}, "a file named"),
    ({"answer": {}, "files": {"submitted/x.ipynb": b""}}, "a file named"),
    ({"answer": {}, "files": {"autograded/..": b""}}, "a file named"),
    ({"answer": {}, "files": {"feedback/x.html": b"<script>steal()</script>"}}, "a file named"),  # pages: the writer's
    ({"answer": {}, "files": {"autograded/x.ipynb": "text"}}, "other than bytes"),
    ({"answer": {}, "files": {f"autograded/{n}.txt": b"" for n in range(9)}}, "too many files"),
    ({"answer": {}, "files": {"autograded/x.ipynb": b"[" * 200}}, "deeper"),
    ({"answer": {}, "files": {}, "scores": {"x": {1, 2}}}, "not plain data"),
])
def test_a_workers_result_is_checked_before_anything_is_written(result, why):
    assert why in (result_problem(result) or ""), result_problem(result)


def test_a_good_result_passes_and_names_are_a_folder_and_a_file():
    assert result_problem({"answer": {"problem": None}, "files": {"autograded/02_padding_stride.ipynb": b"{}",
                                                                "autograded/timestamp.txt": b"2026"},
                           "scores": {"timestamp": None, "notebooks": {}}}) is None
    assert RESULT_NAME.fullmatch("autograded/timestamp.txt") and not RESULT_NAME.fullmatch("autograded/a b")


# -- slow: a real cluster on 127.0.0.1 -------------------------------------------------------------------------

def _tls(folder: Path) -> dict[str, str]:
    """A CA and one certificate for 127.0.0.1 signed by it; Dask's settings (environment) to require TLS."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)

    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test CA")
    openssl("req", *curve, "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=localhost")
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "node.pem", "-days", "2", "-extfile", "san.cnf")
    env = {"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
           "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": str(folder / "ca.pem")}
    for role in ("SCHEDULER", "WORKER", "CLIENT"):
        env[f"DASK_DISTRIBUTED__COMM__TLS__{role}__CERT"] = str(folder / "node.pem")
        env[f"DASK_DISTRIBUTED__COMM__TLS__{role}__KEY"] = str(folder / "node.key")
    return env


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds:.0f} s for {what}")


@pytest.mark.slow
@SMALL_CLASS
def test_a_tls_cluster_grades_like_local_workers_and_a_killed_worker_costs_nothing(class_folder, graded_sequential,
                                                                                   tmp_path):
    env = {**os.environ, **_tls(tmp_path)}
    with local_cluster(tmp_path, workers=2, env=env, protocol="tls") as (address, (scheduler, *workers)):
        assert address.startswith("tls://127.0.0.1:")
        out = tmp_path / "course"
        grade = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(class_folder), "--out", str(out),
                                  "--scheduler", address], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        # one worker is killed while it grades: its grading process is its child
        _wait_for(lambda: children_of(workers[0].pid) or grade.poll() is not None, 120, "worker w1's first submission")
        assert grade.poll() is None, "the class was graded before a worker could be killed"
        workers[0].send_signal(signal.SIGKILL)
        printed, warned = grade.communicate(timeout=300)
    # (every process of the cluster is stopped by its id on leaving local_cluster, whatever happened)
    assert grade.returncode == 1, warned[-3000:]  # some of the class cannot be graded, as locally
    assert grade_rows(out) == grade_rows(graded_sequential), printed
    page = out / "feedback" / "carol" / "02_padding_stride" / "02_padding_stride.html"  # made by the writer
    assert "pad2d" in page.read_text() and "Content-Security-Policy" in page.read_text()
    assert "graded" in printed and "not graded" in printed
