"""Kernels forked by the zygote (grader/engine/zygote.py): each one student's, as a kernel bwrap boots is.

Two forked kernels alive at once attack each other and the zygote, as a student's code could: files in every
place a kernel may write, System V shared memory, abstract sockets, processes, the random state a fork copies,
capabilities, the zygote's own socket, the mounts below a kernel's fresh ones. A launcher whose zygote is gone, or
whose address now names another process, boots its kernel itself.
"""
from __future__ import annotations

import json
import os

import pytest

from grader.engine import execute, sandbox

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sandbox.problem() is not None, reason=f"no sandbox here: {sandbox.problem()}")]


def run(km, code: str) -> str:
    """What ``code`` prints in the kernel of ``km`` (errors as ``ERROR name: value``)."""
    from nbclient.util import run_sync

    client = km.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        printed = []

        def keep(message):
            content = message["content"]
            if message["msg_type"] == "stream":
                printed.append(content["text"])
            elif message["msg_type"] == "error":
                printed.append(f"ERROR {content['ename']}: {content['evalue']}\n")

        run_sync(client.execute_interactive)(code, timeout=60, output_hook=keep)
        return "".join(printed)
    finally:
        client.stop_channels()


def facts(km, code: str) -> dict:
    """The dict ``code`` leaves in ``found``, printed as JSON by the kernel."""
    text = run(km, code + "\nimport json\nprint('FOUND' + json.dumps(found))\n")
    assert "FOUND" in text, text
    return json.loads(text.split("FOUND", 1)[1])


@pytest.fixture
def two_kernels():
    """Two forked kernels of one worker's zygote, both alive: the one graded now and the next, started ahead."""
    warm = execute.WarmKernel(forked=True)
    warm.start()
    first = warm.take()
    warm.start()
    second = warm.take()
    try:
        assert warm.zygote.address(), "the zygote did not start"
        yield first[0], second[0]
    finally:
        for km, folder in (first, second):
            execute._stop_kernel(km, folder)
        warm.stop()


LEAVE = r"""
import ctypes, os, random, socket, subprocess, numpy
found = {"pid": os.getpid(), "cwd": os.getcwd(), "random": [random.getrandbits(64), int(numpy.random.randint(2**62))]}
written = []
for path in ("/tmp/amy", "/tmp/home/amy", "/dev/shm/amy", "amy", "/run/cnn-course-ipc/amy"):
    with open(path, "w") as handle:
        handle.write("amy")
    written.append(os.path.abspath(path))
found["written"] = written
libc = ctypes.CDLL(None, use_errno=True)
found["shm"] = libc.shmget(0x5eed, 4096, 0o1666)  # IPC_CREAT, readable by all
listener = socket.socket(socket.AF_UNIX)
listener.bind("\0cnn-course-amy")
listener.listen(1)
subprocess.Popen(["sleep", "300"], start_new_session=True)
"""

LOOK = r"""
import ctypes, os, random, socket, numpy
found = {"random": [random.getrandbits(64), int(numpy.random.randint(2**62))], "seen": []}
found["seen"] += [path for path in WRITTEN + ["amy"] if os.path.exists(path)]
libc = ctypes.CDLL(None, use_errno=True)
if libc.shmget(0x5eed, 0, 0) != -1:
    found["seen"].append("shared memory")
try:
    socket.socket(socket.AF_UNIX).connect("\0cnn-course-amy")
    found["seen"].append("abstract socket")
except OSError:
    pass
found["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
import sys, ipywidgets.comm
found["not preloaded"] = [name for name in PRELOADED if name not in sys.modules]
found["targets"] = sorted(ipywidgets.comm.get_comm_manager().targets)
found["commands"] = [open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")[0].decode()
                     for p in found["processes"] if os.path.exists(f"/proc/{p}/cmdline")]
"""


def test_two_forked_kernels_alive_at_once_see_nothing_of_each_other(two_kernels):
    amy, ben = two_kernels
    left = facts(amy, LEAVE)
    seen = facts(ben, LOOK.replace("WRITTEN", repr(left["written"])).replace("PRELOADED", repr(sandbox.PRELOADED)))
    assert seen["seen"] == [], seen
    # what the notebooks import came with the fork, and ipywidgets answers a browser as in a booted kernel
    assert seen["not preloaded"] == [] and {"jupyter.widget", "jupyter.widget.control"} <= set(seen["targets"])
    for mine, theirs in zip(seen["random"], left["random"]):  # a fork copies random states: each kernel reseeds
        assert mine != theirs, "random" if mine == seen["random"][0] else "numpy.random"
    assert left["pid"] == 2 and seen["processes"] == [1, 2], seen  # its own PID namespace: itself and its init
    assert not any("sleep" in command for command in seen["commands"])


ATTACK = r"""
import errno, os, socket, subprocess
found = {"status": [line.split()[:2] for line in open("/proc/self/status") if line.startswith(("Cap", "NoNewPrivs"))]}
found["wrote"] = []
for path in ("/x", "/dev/x", "/run/x", "/run/cnn-course/x", "/etc/x", "/usr/x", "/run/cnn-course/lib/x"):
    try:
        open(path, "w").close()
        found["wrote"].append(path)
    except OSError:
        pass
try:
    socket.socket(socket.AF_UNIX).connect("/run/cnn-course-ipc/zygote")
    found["zygote"] = "reached"
except OSError as error:
    found["zygote"] = errno.errorcode[error.errno]
# What lies below the fresh mounts, from a user namespace of the student's own (mounts there are locked).
below = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                        "umount -l /tmp; umount -l /proc; umount -l /run/cnn-course-ipc; ls /tmp /run/cnn-course-ipc"],
                       capture_output=True, text=True)
found["below"] = below.stdout
found["mount"] = subprocess.run(["mount", "-t", "tmpfs", "none", "/tmp"], capture_output=True, text=True).returncode
"""


def test_a_forked_kernel_has_no_capability_and_cannot_reach_the_zygote_or_what_lies_below(two_kernels):
    kernel, _ = two_kernels
    found = facts(kernel, ATTACK)
    assert all(value.strip("0") == "" for name, value in found["status"] if name.startswith("Cap")), found["status"]
    assert ["NoNewPrivs:", "1"] in found["status"]
    assert found["wrote"] == []
    assert found["zygote"] == "ENOENT"  # the kernel's own IPC folder hides it
    assert "home" in found["below"] and "zygote" not in found["below"], found["below"]  # the zygote's folder, socket
    assert found["mount"] != 0


def test_a_launcher_whose_zygote_is_gone_or_replaced_boots_its_kernel(monkeypatch):
    """A dead zygote, or its pid now another process's (the start time differs): the kernel boots in bwrap."""
    zygote = execute.Zygote()
    pid, start = zygote.address().split()
    zygote_gone = f"{2**22 + 12345} {start}"  # above any pid_max
    pid_reused = f"{pid} {int(start) + 1}"  # the zygote answers there, but is not the process named
    for address in (zygote_gone, pid_reused):
        warm = execute.WarmKernel()
        monkeypatch.setenv(sandbox.ZYGOTE, address)
        warm.start()
        taken = warm.take()
        assert taken is not None
        try:
            found = facts(taken[0], "import os\nfound = {'pid': os.getpid(), 'init': open('/proc/1/cmdline').read()}")
            assert "bwrap" in found["init"], found  # bwrap's init, not the zygote's fork
        finally:
            execute._stop_kernel(*taken)
            warm.stop()
    zygote.stop()


def test_forked_kernels_leave_no_process_folder_or_cgroup():
    from tests.test_sandbox import _lasting_leftovers, _leftovers, descendants_seen

    before = _leftovers()
    with descendants_seen() as mine:
        warm = execute.WarmKernel(forked=True)
        warm.start()
        km, folder = warm.take()
        assert "ok" in run(km, "print('ok')")
        warm.start()  # a kernel started ahead, never used
        warm.end(km, folder)
        warm.stop()
    assert _lasting_leftovers(mine, before) == set()
    assert [state for pid in mine - {os.getpid()} if (state := _running(pid))] == []


def _running(pid: int) -> str | None:
    """``name state`` of a process that still runs (a zombie waiting for the machine's init is not running)."""
    try:
        status = dict(line.split(":\t", 1) for line in open(f"/proc/{pid}/status").read().splitlines() if ":\t" in line)
    except OSError:
        return None
    return None if status.get("State", "").startswith("Z") else f"{status.get('Name')} {status.get('State')}"


LOOK_AT_DATA = """
import os
folder = os.environ["CNN_COURSE_DATA"]
found = {"read": open(folder + "/digits.txt").read(), "init": "zygote" in open("/proc/1/cmdline").read()}
try:
    open(folder + "/x", "w")
    found["wrote"] = True
except OSError:
    found["wrote"] = False
"""


def test_what_the_sandbox_binds_below_the_temporary_folder_stays_readable_in_a_forked_kernel(monkeypatch, tmp_path):
    """A checkout (its venv, ``cnn_course``, ``data/``) under /tmp, as in a CI clone: the fresh /tmp of a forked kernel
    must not hide it (each read-only bind below is bound again on top), nor let the kernel write there."""
    import tempfile

    data = tmp_path / "data"  # under the temporary folder, as a clone's data/ would be
    assert str(data).startswith(tempfile.gettempdir())
    data.mkdir()
    (data / "digits.txt").write_text("seven")
    monkeypatch.setenv("CNN_COURSE_DATA", str(data))
    warm = execute.WarmKernel(forked=True)
    warm.start()
    taken = warm.take()
    try:
        assert warm.zygote.address()
        found = facts(taken[0], LOOK_AT_DATA)
        assert found == {"read": "seven", "init": True, "wrote": False}  # forked (its init is the zygote's), not booted
    finally:
        execute._stop_kernel(*taken)
        warm.stop()


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "booted"])
def test_a_kernel_still_running_past_its_wall_is_killed_by_its_launcher(monkeypatch, forked):
    """The launcher's last resort, whoever started the kernel (the zygote or bwrap): a notebook that outlives its wall
    (grading stops it there itself, unless the grader is stuck) is killed ``Limits.kill_after`` seconds after the
    kernel's start, here 5 + 5 s, and its launcher ends."""
    import time

    from nbclient.util import run_sync

    monkeypatch.setenv("CNN_COURSE_NOTEBOOK_WALL", "5")  # a booted kernel is ready in 1-3 s
    assert sandbox.Limits.from_env().kill_after == 10
    warm = execute.WarmKernel(forked=forked)
    began = time.monotonic()
    warm.start()
    taken = warm.take()
    assert taken is not None
    km, folder = taken
    try:
        client = km.client()
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=30)
        client.execute("import time\nwhile True:\n    time.sleep(0.1)\n")
        while run_sync(km.is_alive)() and time.monotonic() - began < 60:
            time.sleep(0.1)
        ended = time.monotonic() - began
        client.stop_channels()
        assert not run_sync(km.is_alive)()
        assert 10 <= ended < 40, ended  # not before the wall and its grace; not at nbclient's or a test's timeout
    finally:
        execute._stop_kernel(km, folder)
        warm.stop()
