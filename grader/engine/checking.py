"""``grader check``, cold and warm: one learner's notebook graded with the hidden tests, hints included.

A *cold* check grades the notebook in a kernel it starts (:func:`run_check`). It then leaves a *check
server* behind (:func:`start_server`): a process of the learner's own that keeps one sandboxed kernel booted,
its imports done (:class:`grader.engine.execute.WarmKernel`, as a grading worker does), and waits
``CNN_COURSE_CHECK_WARM`` seconds (default 300; 0: no server) for the next check. A *warm* check
(:func:`ask_server`) hands the notebook's path to that server, which grades it in the waiting kernel
exactly as a cold check would, and starts the next kernel. A kernel serves one check only.

The server answers only its own user (the socket's folder is theirs alone, and the peer's uid is checked),
and only checks its own code would make: it refuses, and ends, when the course checkout
(:func:`grader.layout.checkout_fingerprint`) or the settings in the environment (:data:`SETTINGS`) differ
from those it started with; the check then runs cold and starts a fresh server.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cnn_course.i18n import notebook_language, speaking, tr

from ..layout import COURSE_ROOT, checkout_fingerprint
from .converters import GradingError

#: Seconds a check server waits for the next check before it ends (0: no server, every check is cold).
IDLE = "CNN_COURSE_CHECK_WARM"
DEFAULT_IDLE = 300
#: A waiting kernel older than this is replaced, so that a check never gets less than the wall cap it would get
#: cold: the kernel's launcher is given this much more wall time (``WarmKernel(spare_wall=...)``).
KERNEL_AGE = 240
#: Environment variables that change what a check does or says: a server started under other values refuses.
SETTINGS = ("CNN_COURSE_", "NBGRADER", "OPENBLAS", "OMP_", "MKL_", "PYTHON", "JUPYTER", "MPL", "PATH", "HOME",
            "LANG", "LC_", "TZ")
MAX_REQUEST = 64 * 1024
CONNECT_TIMEOUT = 2.0


def idle_seconds() -> int:
    try:
        return max(0, int(os.environ.get(IDLE, DEFAULT_IDLE)))
    except ValueError:
        return DEFAULT_IDLE


def settings_digest(environ: dict | None = None) -> str:
    """A digest of the environment variables a check depends on (:data:`SETTINGS`), the server's switch aside."""
    environ = os.environ if environ is None else environ
    chosen = sorted((k, v) for k, v in environ.items() if k.startswith(SETTINGS) and k != IDLE)
    return hashlib.sha256(json.dumps(chosen).encode()).hexdigest()


def socket_path(root: Path = COURSE_ROOT) -> Path | None:
    """This user's check server's socket for the checkout ``root``, in a folder only they can enter; or None when
    that folder is not theirs alone (then there is no warm check)."""
    folder = Path(tempfile.gettempdir()) / f"cnn-course-check-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return folder / f"{hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:16]}.sock"


# -- a check, as both sides run it ----------------------------------------------------------------------------

@contextlib.contextmanager
def _sandbox_or_say_why(err: io.StringIO):
    """Kernels in the sandbox where one can be made; elsewhere (macOS, no bubblewrap) with the learner's own rights,
    which is their own code on their own machine, said in one line."""
    from . import sandbox

    reason = sandbox.problem()
    saved = os.environ.get(sandbox.SWITCH)
    if reason:
        os.environ[sandbox.SWITCH] = "off"
        print(f"grader check: running your notebook without a sandbox ({reason})", file=err)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(sandbox.SWITCH, None)
        else:
            os.environ[sandbox.SWITCH] = saved


def run_check(path: str, as_json: bool = False, timeout: int | None = None,
              shown: str | None = None) -> tuple[int, str, str]:
    """Grade the notebook at ``path`` exactly as autograde would, never modifying it: (exit status, what to print
    on stdout, on stderr). Status 2 with the reason on stderr when it cannot be graded. ``shown``: the path as
    the learner typed it, for the table's title (default ``path``)."""
    from .autograde import LEARNER, assignment_of, grade_shard, read_submission
    from .gradebook import cached_template

    out, err = io.StringIO(), io.StringIO()
    try:
        with _sandbox_or_say_why(err):
            submission = Path(path).expanduser().resolve()
            notebook = read_submission(submission)
            assignment = assignment_of(notebook, submission.name)
            template = cached_template(assignment)
            with tempfile.TemporaryDirectory(prefix="cnn-course-check-") as shard:
                result = grade_shard(Path(shard), submission, assignment, LEARNER, template, timeout=timeout)
    except GradingError as error:
        print(f"grader check: {error}", file=err)
        return 2, out.getvalue(), err.getvalue()
    shown = str(path) if shown is None else shown
    with speaking(notebook_language(notebook.get("metadata"))):
        print(json.dumps(result.as_json(shown)) if as_json else format_table(result, shown), file=out)
    return 0, out.getvalue(), err.getvalue()


def format_table(result, notebook: str) -> str:
    """The table a learner reads: each test, points earned of possible, hints for failures; total last."""
    width = max([len(t.name) for t in result.tests] + [4])
    lines = [tr("{notebook}: graded with the hidden tests").format(notebook=notebook), ""]
    for test in result.tests:
        mark = "ok  " if test.score >= test.max_score else "FAIL"
        lines.append(f"  {mark} {test.name:<{width}}  {test.score:g} / {test.max_score:g}")
        if test.message and test.score < test.max_score:  # the summary and the failed cases, not the passed ones
            shown = [line for line in test.message.splitlines() if line.strip() and not line.lstrip().startswith("ok ")]
            lines += ["         " + line for line in shown]
    lines += ["", tr("  Total: {score} / {possible}").format(score=f"{result.score:g}", possible=f"{result.max_score:g}")]
    return "\n".join(lines)


# -- the learner's side -----------------------------------------------------------------------------------------

def _exchange(sock_path: Path, request: dict, timeout: float | None) -> dict | None:
    """Send one request to the server at ``sock_path`` and read its one answer; None when no server answers."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(CONNECT_TIMEOUT)
            conn.connect(str(sock_path))
            conn.settimeout(timeout)
            conn.sendall(json.dumps(request).encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)
            data = b"".join(iter(lambda: conn.recv(1 << 16), b""))
        answer = json.loads(data)
    except (OSError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


def ask_server(path: str, as_json: bool = False, timeout: int | None = None) -> tuple[int, str, str] | None:
    """The check of ``path`` from this user's check server, when one is waiting and may answer; else None."""
    sock_path = socket_path()
    if sock_path is None or not sock_path.exists():
        return None
    answer = _exchange(sock_path, {"path": str(Path(path).expanduser().resolve()), "shown_as": path,
                                   "json": as_json, "timeout": timeout, "settings": settings_digest()},
                        timeout=None)
    if not answer or "status" not in answer:
        return None
    return int(answer["status"]), str(answer.get("stdout", "")), str(answer.get("stderr", ""))


def start_server() -> None:
    """Leave a check server behind for the next check (its own session: it outlives this process), unless
    :data:`IDLE` is 0 or the socket's folder is not this user's alone."""
    if not idle_seconds() or socket_path() is None:
        return
    with contextlib.suppress(OSError):
        subprocess.Popen([sys.executable, "-I", "-m", "grader.engine.checking"], cwd=COURSE_ROOT,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)


def stop_server() -> bool:
    """Ask this user's check server to end now; True when one was there to ask."""
    sock_path = socket_path()
    return bool(sock_path and sock_path.exists() and _exchange(sock_path, {"stop": True}, timeout=30) is not None)


def check(path: str, as_json: bool = False, timeout: int | None = None) -> tuple[int, str, str]:
    """``grader check``: warm when a server waits, else cold, leaving a server behind for the next one."""
    answer = ask_server(path, as_json, timeout) if idle_seconds() else None
    if answer is None:
        answer = run_check(path, as_json, timeout)
        start_server()
    return answer


# -- the server ---------------------------------------------------------------------------------------------------

def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _read_request(conn: socket.socket) -> dict | None:
    data = b""
    while len(data) <= MAX_REQUEST:
        chunk = conn.recv(1 << 16)
        if not chunk:
            break
        data += chunk
    if len(data) > MAX_REQUEST:
        return None
    with contextlib.suppress(ValueError):
        request = json.loads(data)
        return request if isinstance(request, dict) else None
    return None


def _refusal(request: dict, checkout: dict, settings: str) -> str | None:
    """Why this server may not answer ``request`` (then it ends), or None."""
    if request.get("settings") != settings:
        return "the settings in the environment differ from the server's"
    if checkout_fingerprint() != checkout:
        return "the course checkout changed since the server started"
    return None


def _answer(request: dict) -> dict:
    path, shown = request.get("path"), request.get("shown_as")
    timeout = request.get("timeout")
    if not isinstance(path, str) or not isinstance(shown, str) or not (timeout is None or isinstance(timeout, int)):
        return {"refused": "a malformed request"}
    status, out, err = run_check(path, bool(request.get("json")), timeout, shown=shown)
    return {"status": status, "stdout": out, "stderr": err}


def serve(idle: int | None = None) -> None:
    """Run this user's check server for this checkout until ``idle`` seconds pass without a check (or it is told
    to stop, or a check it may not answer arrives). One server per checkout: a second one ends at once."""
    from . import execute

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped: the kernel and the socket cleaned up
    idle = idle_seconds() if idle is None else idle
    sock_path = socket_path()
    if not idle or sock_path is None:
        return
    lock = os.open(sock_path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another server is there
    os.ftruncate(lock, 0)
    os.write(lock, str(os.getpid()).encode())  # who holds it: for the tests and for whoever wonders
    checkout, settings = checkout_fingerprint(), settings_digest()
    with contextlib.suppress(FileNotFoundError):
        sock_path.unlink()  # a server that was killed left it
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(8)
    os.environ["NBGRADER_EXECUTION"] = "autograde"  # what the warm kernel runs as (nbgrader sets it while grading)
    from . import sandbox

    if sandbox.problem():  # no sandbox here (macOS, no bubblewrap): the waiting kernel is what a cold check starts
        os.environ[sandbox.SWITCH] = "off"
    execute.POOL = execute.WarmKernel(spare_wall=KERNEL_AGE)
    try:
        execute.POOL.start()
        born = last = time.monotonic()
        while True:
            now = time.monotonic()
            if now - last >= idle:
                return
            if now - born >= KERNEL_AGE:  # the waiting kernel's wall cap would run short: a fresh one
                execute.POOL.stop()
                execute.POOL.start()
                born = time.monotonic()
            listener.settimeout(max(0.1, min(idle - (now - last), KERNEL_AGE - (now - born))))
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            with conn:
                if _peer_uid(conn) != os.getuid():
                    continue
                conn.settimeout(10)
                try:
                    request = _read_request(conn)
                except OSError:
                    continue
                if request is None:
                    continue
                if request.get("stop"):
                    with contextlib.suppress(OSError):
                        conn.sendall(b'{"stopped": true}')
                    return
                why = _refusal(request, checkout, settings)
                answer = {"refused": why} if why else _answer(request)
                with contextlib.suppress(OSError):
                    conn.sendall(json.dumps(answer).encode())
                if why:
                    return
                if execute.POOL.km is None:  # the check found no live kernel waiting, and started its own
                    execute.POOL.start()
                born, last = time.monotonic(), time.monotonic()  # the kernel now waiting was started by this check
    finally:
        with contextlib.suppress(OSError):
            sock_path.unlink()
        listener.close()
        execute.POOL.stop()
        os.close(lock)


if __name__ == "__main__":
    serve()
