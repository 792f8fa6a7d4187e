"""A warm ``grader check``: the server a cold check leaves behind answers the next check, exactly as cold.

One server per module (its kernel boots once); its socket folder is in this module's own temporary folder.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from grader.course.catalogue import wrong_for
from grader.engine import checking
from tests.conftest import ROOT
from tests.course_copies import solved_notebook, with_sources

pytestmark = pytest.mark.xdist_group("warm-check")



def alive(pid: int) -> bool:
    """A process that has not ended (a server started from this process is its child: a zombie once it ends)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def server_pid(sock: Path) -> int | None:
    text = sock.with_suffix(".lock").read_text() if sock.with_suffix(".lock").exists() else ""
    return int(text) if text.isdigit() and alive(int(text)) else None


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def private_tmp():
    """A temporary folder for the server's socket and its kernels' folders, set for this process and its children.

    Not pytest's: the sandbox's unprivileged user must be able to pass through it to a kernel's folder."""
    folder = Path(tempfile.mkdtemp(prefix="cnn-course-warm-test-"))
    folder.chmod(0o711)
    saved = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = str(folder), None
    os.environ[checking.IDLE] = "120"
    yield folder
    checking.stop_server()
    os.environ[checking.IDLE] = "0"
    tempfile.tempdir = saved[1]
    if saved[0] is None:
        os.environ.pop("TMPDIR")
    else:
        os.environ["TMPDIR"] = saved[0]
    shutil.rmtree(folder, ignore_errors=True)


def cli_check(path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "check", str(path.name), *extra], cwd=path.parent,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_cold_check_leaves_a_server_that_answers_the_next_checks_as_a_cold_one_would(private_tmp, tmp_path,
                                                                                         built_course):
    rounded_up, perfect, broken = tmp_path / "rounded.ipynb", tmp_path / "perfect.ipynb", tmp_path / "broken.ipynb"
    rounded = next(w.source for w in wrong_for("conv_output_size") if w.label == "ceil instead of floor")
    nbformat.write(with_sources(solved_notebook(built_course, "02_padding_stride"), {"conv_output_size": rounded}),
                   rounded_up)
    nbformat.write(solved_notebook(built_course, "02_padding_stride"), perfect)
    broken.write_text("{ not json")
    sock = checking.socket_path()
    assert sock is not None and not sock.exists()

    first = cli_check(rounded_up)  # cold: no server yet
    assert first.returncode == 0, first.stderr
    assert "FAIL" in first.stdout and "ceil" in first.stdout
    assert wait_for(lambda: sock.exists() and server_pid(sock)), "the cold check left no server"
    assert oct(sock.parent.stat().st_mode & 0o777) == "0o700"

    status, out, err = checking.ask_server(str(perfect), True)
    assert status == 0 and '"score": 20.0, "max_score": 20.0' in out, err
    blank = built_course / "notebooks" / "02_padding_stride" / "02_padding_stride.ipynb"
    status, out, err = checking.ask_server(str(blank))
    assert status == 0 and "NotImplementedError" in out and out.strip().endswith("Total: 0 / 20"), out
    assert checking.ask_server(str(broken)) == checking.run_check(str(broken))
    assert checking.ask_server(str(broken))[0] == 2

    again = cli_check(rounded_up)  # the command line, answered by the server: the same words as the cold check
    assert (again.returncode, again.stdout, again.stderr) == (first.returncode, first.stdout, first.stderr)


@pytest.mark.slow
def test_the_server_refuses_other_settings_and_ends(private_tmp, tmp_path, monkeypatch, built_course):
    path = tmp_path / "perfect.ipynb"
    nbformat.write(solved_notebook(built_course, "02_padding_stride"), path)
    sock = checking.socket_path()
    if not server_pid(sock):
        checking.start_server()
        assert wait_for(lambda: sock.exists() and server_pid(sock))
    pid = server_pid(sock)
    monkeypatch.setenv("CNN_COURSE_KERNEL_MEMORY", "1G")  # a check under other limits must not get the old ones
    assert checking.ask_server(str(path)) is None
    assert wait_for(lambda: not alive(pid) and not sock.exists(), 30)


@pytest.mark.slow
def test_an_idle_server_ends_and_leaves_nothing_behind(private_tmp, monkeypatch):
    sock = checking.socket_path()
    checking.stop_server()
    assert wait_for(lambda: not server_pid(sock), 30)
    monkeypatch.setenv(checking.IDLE, "2")
    checking.start_server()
    assert wait_for(lambda: sock.exists() and server_pid(sock))
    pid = server_pid(sock)
    assert wait_for(lambda: not alive(pid), 30), "the idle server did not end"
    assert not sock.exists()
    assert not list(private_tmp.glob("cnn-course-sandbox-*")), "its kernel's folder was left"


def test_no_server_where_the_socket_folder_is_not_the_users_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = tmp_path / f"cnn-course-check-{os.getuid()}"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    assert checking.socket_path() is None
    folder.chmod(0o700)
    assert checking.socket_path() == folder / checking.socket_path().name
    folder.rmdir()
    folder.symlink_to(tmp_path)
    assert checking.socket_path() is None


def test_without_a_server_setting_nothing_is_left_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv(checking.IDLE, "0")
    checking.start_server()
    assert checking.ask_server(str(ROOT / "nothing.ipynb")) is None
    assert not list(tmp_path.rglob("*.sock"))


def test_asking_the_check_server_imports_no_grading_machinery():
    """A warm check is the command line asking its server: importing nbgrader or nbconvert there (half a second)
    would cost every warm check that much (it did once, unseen by the other tests)."""
    import subprocess
    import sys

    code = ("import sys, grader.cli, grader.engine.checking; "
            "print(sorted(m for m in ('nbgrader', 'nbconvert', 'jsonschema') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "[]", run.stdout + run.stderr
