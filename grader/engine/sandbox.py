"""The sandbox every kernel that runs student code during grading starts in (bubblewrap).

The kernelspec ``grader/kernelspec/cnn-course-sandbox`` starts ``python -I -m grader.engine.sandbox
CONNECTION_FILE`` instead of a kernel: this *launcher* runs in the grading process's place
(as the instructor, or root) and starts the real kernel inside ``bwrap``:

* as uid/gid 65534 (``setpriv`` *before* bwrap) when the launcher is root; otherwise as the
  instructor's own user, whose files are then hidden by the mount namespace only;
* ``--unshare-all`` (no network, own PID/IPC/UTS namespaces), ``--die-with-parent``,
  ``--new-session``; when the kernel exits, the PID namespace ends and every process it
  started dies with it;
* read-only: ``/usr``, a few files of ``/etc``, the Python installation and the venv, the
  student package ``cnn_course`` (and ``data/``), a copy of the *kernel-side* modules of
  ``grader`` (:func:`kernel_side_files`: ``hidden.py`` and ``cases/``), on ``PYTHONPATH``; the notebook's folder is a
  size-limited tmpfs holding read-only binds of what nbgrader put there, so nothing the
  kernel writes reaches a file the grader reads back; ``/tmp`` (``HOME``, ``MPLCONFIGDIR``)
  and ``/dev/shm`` are size-limited tmpfs; the kernel makes its IPC sockets in a tiny tmpfs of its
  own (:data:`INSIDE_IPC`), which the grader reaches through symbolic links in a host folder the
  kernel cannot see (:meth:`Launch.link_sockets`): it can write no host folder at all;
* memory and process count limited by a cgroup (v1 ``memory``/``pids``, or v2 ``memory.max``
  and ``pids.max`` where delegated); without either, by ``RLIMIT_AS`` and ``RLIMIT_NPROC``
  (coarser: address space, not memory used); a hard wall-clock cap kills the kernel.

Root cannot hand its own paths to bwrap running as 65534 (bwrap resolves bind sources as the
user it runs as, and ``/root`` is not searchable): the launcher's child therefore enters a
private mount namespace and bind-mounts each source onto an empty folder 65534 can reach,
before it drops privileges. Those mounts exist only in that namespace and end with it.

This module uses the standard library only: the launcher starts once per kernel.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .zygote import GO
from .zygote import SOCKET as ZYGOTE_SOCKET

KERNEL_NAME = "cnn-course-sandbox"
GRADER_ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC_DIR = GRADER_ROOT / "kernelspec"
#: ``CNN_COURSE_SANDBOX=off`` starts kernels unsandboxed (``check`` without bubblewrap, ``grade --no-sandbox``).
SWITCH = "CNN_COURSE_SANDBOX"
#: The pid of the process that started the launcher (jupyter_client sets it, and ipykernel watches it
#: too): a launcher whose parent died before it could ask to follow it sees another parent, and stops.
PARENT = "JPY_PARENT_PID"
NOBODY = 65534
#: Where the kernel finds the kernel-side copy of ``grader`` and its connection file.
INSIDE = "/run/cnn-course"
#: Where the kernel makes its IPC sockets: a tmpfs of its own (a host folder it could write would be
#: scratch space without a size limit, charged to its memory until the kernel is killed).
INSIDE_IPC = "/run/cnn-course-ipc"
PREFIX = "cnn-course-sandbox-"      # per-kernel work folders in the temporary folder
IPC_PREFIX = "cnn-course-ipc-"      # per-kernel IPC socket folders (see ipc_prefix)
CGROUP_PREFIX = "cnn-course-"
#: Cgroups of grading workers (``grader.engine.batch``): ``cnn-course-worker-<pid of grade>-<n>``. A kernel's
#: groups are made beside its worker's, not inside: the worker's limit counts the worker alone.
WORKER_CGROUP_PREFIX = f"{CGROUP_PREFIX}worker-"
MPL_INSIDE = "/tmp/home/.matplotlib"
#: ``"<pid> <start time>"`` of the zygote (:mod:`grader.engine.zygote`) a kernel's launcher asks for its kernel, set
#: by a grading worker (from :class:`Zygote`); unset, the launcher starts a kernel in bwrap itself.
ZYGOTE = "CNN_COURSE_ZYGOTE"
ZYGOTE_FILE = Path(__file__).with_name("zygote.py")
#: What a kernel started ahead of time imports before its student's code comes (the zygote: once for all): what the
#: notebooks import from the course, every picture module included (ipywidgets alone is 60 ms of a kernel's CPU).
PRELOADED = ("numpy", "numpy.random", "matplotlib.pyplot", "ipywidgets", "cnn_course", "cnn_course.checks",
             "cnn_course.data", *(f"cnn_course.widgets.{name}" for name in (
                 "checkerboard", "conv_arithmetic", "correlation", "gradient_routing", "local_connectivity", "picture",
                 "pooling", "tiny_cnn")))


def _size(text: str) -> int:
    """``"2G"``, ``"512M"``, ``"64k"`` or a number of bytes -> bytes."""
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    factor = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


@dataclass(frozen=True)
class Limits:
    """Per-kernel limits; each can be set by an environment variable (inherited by the launcher).

    memory: bytes of memory (``CNN_COURSE_KERNEL_MEMORY``, default 2G); processes: tasks, threads
    included (``CNN_COURSE_KERNEL_PROCESSES``, 128); scratch: bytes of each tmpfs
    (``CNN_COURSE_KERNEL_SCRATCH``, 256M); wall: seconds a whole notebook may run
    (``CNN_COURSE_NOTEBOOK_WALL``, 300; its launcher kills the kernel :attr:`kill_after` seconds after its start).
    """
    memory: int = 2 << 30
    processes: int = 128
    scratch: int = 256 << 20
    wall: int = 300

    @property
    def kill_after(self) -> int:
        """Seconds from a kernel's start to its launcher's kill: the wall, plus 30 s or the wall again if shorter
        (grading stops the notebook at the wall itself and says which cell ran on; the kill is the last resort)."""
        return self.wall + min(30, self.wall)

    @classmethod
    def from_env(cls) -> "Limits":
        env = os.environ
        return cls(memory=_size(env.get("CNN_COURSE_KERNEL_MEMORY", "2G")),
                   processes=int(env.get("CNN_COURSE_KERNEL_PROCESSES", "128")),
                   scratch=_size(env.get("CNN_COURSE_KERNEL_SCRATCH", "256M")),
                   wall=int(env.get("CNN_COURSE_NOTEBOOK_WALL", "300")))


def kernel_side_files(grader_root: Path = GRADER_ROOT) -> list[Path]:
    """The files of ``grader`` that hidden test cells import, and nothing else.

    Input: the ``grader`` package folder. Output: existing files, in a stable order: ``__init__.py``,
    ``hidden.py`` and the folder ``cases/`` whole. Never the reference, mistakes, catalogue, verdicts or
    solutions: they live elsewhere, and a case module that imported them would fail to import when graded.
    """
    root = Path(grader_root)
    files = [root / "__init__.py", root / "hidden.py", *sorted((root / "cases").rglob("*.py"))]
    return [f for f in files if f.is_file()]


def ipc_prefix() -> str:
    """A fresh path prefix for one kernel's IPC sockets (``KernelManager.ip``); the launcher makes the folder.

    On ``/dev/shm`` when there is one, so what a kernel writes there counts against its memory limit.
    """
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
    return os.path.join(base, f"{IPC_PREFIX}{os.getpid()}-{os.urandom(4).hex()}", "kernel")


_PROBLEM: list[str | None] = []


def problem() -> str | None:
    """Why a sandbox cannot be made on this machine (one line), or None when it can (tried once per process)."""
    if not _PROBLEM:
        _PROBLEM.append(_probe())
    return _PROBLEM[0]


def _probe() -> str | None:
    if not sys.platform.startswith("linux"):
        return f"bubblewrap sandboxes need Linux (this is {sys.platform})"
    if not shutil.which("bwrap"):
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        return "setpriv (util-linux) is missing"
    command = _drop() + ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
                         *_system_links(), "--", "true"]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return f"bubblewrap cannot run: {error}"
    if run.returncode:
        return "bubblewrap cannot create a sandbox here: " + (run.stderr.strip().splitlines() or ["?"])[-1]
    return None


def _drop() -> list[str]:
    """The command prefix that drops root to uid/gid 65534 before bwrap (nothing when not root)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]


def _system_links() -> list[str]:
    """``/bin``, ``/lib``... as the host has them: symlinks into /usr (merged /usr) or read-only binds."""
    args = []
    for path in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _font_list() -> Path | None:
    """The grading user's matplotlib font cache (``fontlist-v*.json``), if matplotlib has made one."""
    home = Path.home()
    folders = [os.environ.get("MPLCONFIGDIR"), Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "matplotlib",
               home / ".matplotlib"]
    for folder in folders:
        found = sorted(Path(folder).glob("fontlist-v*.json")) if folder and Path(folder).is_dir() else []
        if found:
            return found[-1]
    return None


# --- cgroups -----------------------------------------------------------------------------------------


def _own_cgroup(controller: str) -> str | None:
    """This process's cgroup path for a v1 ``controller`` ("" for v2), from /proc/self/cgroup.

    Inside a grading worker's group, the group that holds it: where the worker's own group was made.
    """
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                parent, _, name = path.rpartition("/")
                return (parent or "/") if name.startswith(WORKER_CGROUP_PREFIX) else path
    except OSError:
        return None
    return None


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def make_cgroups(name: str, limits: Limits) -> list[Path]:
    """Cgroups limiting memory and process count for one kernel; [] when none can be made here.

    cgroup v1: one group under this process's ``memory`` and one under its ``pids`` group.
    cgroup v2: one group with ``memory.max`` and ``pids.max`` (needs those controllers
    delegated to this process's group). The caller puts the kernel in every returned group.
    """
    made = []
    base = Path("/sys/fs/cgroup")
    for controller, settings in (("memory", [("memory.limit_in_bytes", limits.memory),
                                             ("memory.memsw.limit_in_bytes", limits.memory)]),
                                 ("pids", [("pids.max", limits.processes)])):
        own = _own_cgroup(controller)
        root = base / controller
        if own is None or not (root / "cgroup.procs").exists():
            continue
        group = root / own.lstrip("/") / name
        try:
            group.mkdir()
        except OSError:
            continue
        if _write(group / settings[0][0], str(settings[0][1])):
            for file, value in settings[1:]:
                _write(group / file, str(value))  # swap accounting may be off: then memory alone
            made.append(group)
        else:
            _remove_cgroup(group)
    if len(made) == 2:
        return made
    for group in made:
        _remove_cgroup(group)
    own = _own_cgroup("")
    if own is not None and (base / "cgroup.controllers").exists():
        group = base / own.lstrip("/") / name
        try:
            group.mkdir()
        except OSError:
            return []
        if _write(group / "memory.max", str(limits.memory)) and _write(group / "pids.max", str(limits.processes)):
            _write(group / "memory.swap.max", "0")
            return [group]
        _remove_cgroup(group)
    return []


def _remove_cgroup(group: Path) -> None:
    """Kill whatever is left in ``group`` and remove it."""
    for _ in range(50):
        try:
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except OSError:
            pids = []
        for pid in pids:
            with contextlib.suppress(OSError):  # already gone
                os.kill(pid, signal.SIGKILL)
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def sweep() -> None:
    """Remove work folders, IPC folders and cgroups left by launchers or graders that were killed."""
    for folder in ({Path(tempfile.gettempdir()), Path("/dev/shm")}):
        for path in folder.glob(f"{PREFIX}*") if folder.is_dir() else []:
            _remove_if_orphan(path, path.name[len(PREFIX):])
        for path in folder.glob(f"{IPC_PREFIX}*") if folder.is_dir() else []:
            _remove_if_orphan(path, path.name[len(IPC_PREFIX):])
    for controller in ("memory", "pids", ""):
        own = _own_cgroup(controller)
        if own is None:
            continue
        parent = Path("/sys/fs/cgroup") / controller / own.lstrip("/")
        for group in parent.glob(f"{CGROUP_PREFIX}*") if parent.is_dir() else []:
            pid = group.name.removeprefix(WORKER_CGROUP_PREFIX).removeprefix(CGROUP_PREFIX).split("-")[0]
            if pid.isdigit() and not _alive(int(pid)):
                _remove_cgroup(group)


def _remove_if_orphan(path: Path, rest: str) -> None:
    pid = rest.split("-", 1)[0]
    if pid.isdigit() and not _alive(int(pid)):
        shutil.rmtree(path, ignore_errors=True)  # host mount namespace: staging folders are empty here


#: ``CNN_COURSE_FORKED_KERNELS=off``: a grading worker boots each kernel (no zygote, :mod:`grader.engine.zygote`).
FORKED_KERNELS = "CNN_COURSE_FORKED_KERNELS"
#: Seconds the zygote may take to import what kernels preload (about 0.6 s quiet).
ZYGOTE_START = 120


class Zygote:
    """A grading run's zygote: a sandboxed process that imported a kernel's modules and forks one per kernel.

    :meth:`launch` starts its launcher (``python -I -m grader.engine.sandbox --zygote``, in a folder of its own) and
    returns at once; :meth:`address` (launching it first if needed) waits until it listens and gives what a kernel's
    launcher needs to reach it (:data:`ZYGOTE`), or None when it cannot start or has died and cannot start again
    (kernels then boot as without it). One zygote may serve many grading workers: every kernel is one student's.
    """

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.folder: Path | None = None
        self._address: str | None = None
        self.failed = False

    def launch(self) -> None:
        if os.environ.get(SWITCH) == "off":  # kernels unsandboxed (``grade --no-sandbox``): none is forked
            self.failed = True
        if self.process is not None or self.failed:
            return
        self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-zygote-"))  # swept if we die
        env = {**os.environ, "NBGRADER_EXECUTION": "autograde", PARENT: str(os.getpid())}
        self.process = subprocess.Popen([sys.executable, "-I", "-m", "grader.engine.sandbox", "--zygote"],
                                        cwd=self.folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)

    def address(self) -> str | None:
        if self._address and self.process is not None and self.process.poll() is None:
            return self._address
        if self._address:  # it died: once more
            self.stop()
        self.launch()
        if self.process is None:
            return None
        import select

        line = b""
        if select.select([self.process.stdout], [], [], ZYGOTE_START)[0]:
            line = self.process.stdout.readline()
        if not line.startswith(b"READY "):
            self.failed = True  # e.g. no user namespaces inside the sandbox: boot every kernel
            self.stop()
            return None
        self._address = line.decode().split(maxsplit=1)[1].strip()
        return self._address

    def stop(self) -> None:
        process, folder, self.process, self.folder, self._address = self.process, self.folder, None, None, None
        if process is not None:
            with contextlib.suppress(OSError):
                process.terminate()  # its launcher kills the sandbox (and every kernel still in it), then cleans up
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def terminate(self) -> None:
        """In a signal handler: its launcher told to stop, its folder removed."""
        if self.process is not None:
            with contextlib.suppress(OSError):
                self.process.terminate()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


# --- the launcher ------------------------------------------------------------------------------------

_libc = None


def _prctl_parent_death(sig: int) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux)."""
    global _libc
    try:
        _libc = _libc or ctypes.CDLL(None, use_errno=True)
        _libc.prctl(1, sig, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stage(sources: list[Path], stage: Path) -> None:
    """In a child about to exec bwrap as 65534: bind each source onto ``stage/<i>`` in a private mount namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    if libc.mount(b"none", b"/", None, (1 << 14) | (1 << 18), None) != 0:  # MS_REC | MS_PRIVATE
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
    for index, source in enumerate(sources):
        target = str(stage / str(index)).encode()
        if libc.mount(str(source).encode(), target, None, 4096 | (1 << 14), None) != 0:  # MS_BIND | MS_REC
            raise OSError(ctypes.get_errno(), f"bind {source}")


def kernel_environment() -> dict[str, str]:
    """The whole environment of a sandboxed kernel (and of the zygote): never the grader's secrets."""
    env = {"PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin", "HOME": "/tmp/home", "TMPDIR": "/tmp",
           "MPLCONFIGDIR": MPL_INSIDE, "PYTHONPATH": f"{INSIDE}/lib", "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1", "VIRTUAL_ENV": sys.prefix,
           # Figures are demos, never graded: Agg skips drawing and encoding a PNG for every
           # plt.show() (0.3-1 s per notebook); feedback then has no pictures.
           "MPLBACKEND": "agg",
           # One BLAS thread per kernel: grading runs a kernel per core, and two kernels' BLAS threads fighting
           # for two cores made 07's cells 25 % slower (4.55 s instead of 3.6 s; alone, 3.5 s either way).
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    # Only what the kernel needs from the grader's environment: never its secrets.
    for name in ("NBGRADER_EXECUTION", "PYDEVD_DISABLE_FILE_VALIDATION", "TZ", "CNN_COURSE_DATA"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


class Launch:
    """Everything one sandboxed kernel needs, made by the launcher and removed after the kernel ends."""

    def __init__(self, connection_file: str | None, extra: list[str]):
        """``connection_file`` None: the zygote (:mod:`grader.engine.zygote`), which starts kernels when asked."""
        self.limits = Limits.from_env()
        self.zygote = connection_file is None
        info = {"transport": "ipc", "ip": f"{INSIDE_IPC}/kernel"} if self.zygote else \
            json.loads(Path(connection_file).read_bytes())
        if info.get("transport") != "ipc":
            raise RuntimeError("the sandboxed kernel needs KernelManager.transport = 'ipc' (TCP cannot cross "
                               "the network namespace); use grader.engine.execute.SandboxKernelManager")
        self.ipc = None if self.zygote else Path(info["ip"]).parent
        self.ports = [value for key, value in info.items() if key.endswith("_port")]
        # The kernel's copy names its sockets inside the sandbox; the grader's keeps the host paths.
        self.inside = {**info, "ip": f"{INSIDE_IPC}/kernel"}
        self.extra = extra
        self.root = os.geteuid() == 0
        self.work = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
        self.cgroups: list[Path] = []
        self.sources: list[Path] = []  # staged (root) or bound directly

    def _source(self, path: Path, is_dir: bool = True) -> str:
        """Where bwrap finds ``path``: itself, or (root) its staging mount point."""
        if not self.root:
            return str(path)
        stage = self.work / "stage" / str(len(self.sources))
        if is_dir:
            stage.mkdir(parents=True)
        else:
            stage.parent.mkdir(parents=True, exist_ok=True)
            stage.touch()
        self.sources.append(path)
        return str(stage)

    def command(self) -> tuple[list[str], dict, list[int]]:
        """(argv, environment, file descriptors to pass) of setpriv + bwrap + the kernel (or the zygote)."""
        limits = self.limits
        if not self.zygote:
            self.ipc.mkdir(parents=True, exist_ok=True)
            os.chmod(self.ipc, 0o700)
        if self.root:
            os.chmod(self.work, 0o711)
        lib = self.work / "lib"
        for file in kernel_side_files():
            target = lib / "grader" / file.relative_to(GRADER_ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
        for folder in [lib, *lib.rglob("*")]:
            os.chmod(folder, 0o755 if folder.is_dir() else 0o644)
        cwd = Path.cwd()
        # The zygote keeps CAP_SYS_ADMIN in the sandbox's user namespace (it mounts each kernel's private view) and
        # CAP_SETPCAP (to empty the bounding set); every kernel it forks drops both, as bwrap drops all for a kernel.
        args = _drop() + ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
                          *(["--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP"] if self.zygote else []),
                          "--proc", "/proc", "--dev", "/dev", "--size", str(limits.scratch), "--tmpfs", "/dev/shm",
                          "--ro-bind", "/usr", "/usr", *_system_links()]
        for file in ("ld.so.cache", "ld.so.conf", "localtime", "passwd", "group", "nsswitch.conf", "mime.types"):
            if os.path.isfile(f"/etc/{file}"):
                args += ["--ro-bind", f"/etc/{file}", f"/etc/{file}"]
        args += ["--size", str(limits.scratch), "--tmpfs", "/tmp", "--dir", "/tmp/home", "--dir", f"{MPL_INSIDE}"]
        temporary = tempfile.gettempdir()
        if self.zygote and not temporary.startswith("/tmp/") and temporary != "/tmp":  # where kernels' folders are
            args += ["--size", str(limits.scratch), "--tmpfs", temporary]
        fds = []
        font_list = _font_list()
        if font_list:  # matplotlib's font cache, copied in: building it costs every kernel 0.4 s
            fds.append(os.open(font_list, os.O_RDONLY))
            args += ["--file", str(fds[-1]), f"{MPL_INSIDE}/{font_list.name}"]
        import importlib.util
        student = Path(importlib.util.find_spec("cnn_course").origin).parent
        readable = [Path(sys.base_prefix).resolve(), Path(sys.prefix), student]
        data = Path(os.environ.get("CNN_COURSE_DATA") or student.parent / "data")
        readable += [data] if data.is_dir() else []
        for path in dict.fromkeys(readable):
            args += ["--ro-bind", self._source(path), str(path)]
        args += ["--ro-bind", self._source(lib), f"{INSIDE}/lib"]
        if self.zygote:
            args += ["--ro-bind", self._source(ZYGOTE_FILE, is_dir=False), f"{INSIDE}/zygote.py"]
        else:
            read, write = os.pipe()
            os.write(write, json.dumps(self.inside).encode())  # a few hundred bytes: fits the pipe
            os.close(write)
            fds.append(read)
            args += ["--ro-bind-data", str(read), f"{INSIDE}/connection.json"]
        # The notebook's folder: a fresh tmpfs, with what nbgrader put there bound read-only
        # (symlinks left out: they would be followed on the host).
        args += ["--size", str(limits.scratch), "--tmpfs", str(cwd)]
        for entry in sorted(cwd.iterdir()):
            if not entry.is_symlink() and (entry.is_file() or entry.is_dir()):
                args += ["--ro-bind", self._source(entry, entry.is_dir()), str(entry)]
        args += ["--size", str(1 << 20), "--tmpfs", INSIDE_IPC, "--chdir", str(cwd)]
        python = str(Path(sys.prefix) / "bin" / "python")
        if self.zygote:
            args += ["--", python, f"{INSIDE}/zygote.py", *PRELOADED]
        else:
            args += ["--", python, "-m", "ipykernel_launcher", "-f", f"{INSIDE}/connection.json", *self.kernel_arguments()]
        return args, kernel_environment(), fds

    def kernel_arguments(self) -> list[str]:
        # Minimal tracebacks: the grader keeps only an error's last line, and IPython's coloured
        # context (pygments, reading sources) costs 0.1-0.2 s per failing test cell.
        return ["--InteractiveShell.xmode=Minimal", *self.extra]

    def _prepare_child(self) -> None:
        """In the forked child, before exec: cgroups, resource limits, staging (root), parent-death signal."""
        for group in self.cgroups:
            (group / "cgroup.procs").write_text(str(os.getpid()))
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))  # a grading worker's own soft limit is not the kernel's
        if not self.cgroups:  # coarser fallback: address space and (as 65534 only) a per-user process count
            space = max(2 * self.limits.memory, 4 << 30)
            resource.setrlimit(resource.RLIMIT_AS, (space, space))
            if self.root:
                resource.setrlimit(resource.RLIMIT_NPROC, (self.limits.processes, self.limits.processes))
        if self.root:
            _stage(self.sources, self.work / "stage")
        _prctl_parent_death(signal.SIGKILL)

    def _start(self) -> subprocess.Popen:
        """setpriv + bwrap + the kernel (or the zygote), in its cgroups."""
        args, env, fds = self.command()
        self.cgroups = make_cgroups(f"{CGROUP_PREFIX}{os.getpid()}", self.limits)
        child = subprocess.Popen(args, env=env, pass_fds=fds, preexec_fn=self._prepare_child,
                                 stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno())
        for fd in fds:
            os.close(fd)
        return child

    def run(self) -> int:
        """Start the kernel in the sandbox, wait for it (at most the wall cap), clean up; its exit code."""
        child = self._start()
        try:
            self.link_sockets(child)
            return child.wait(timeout=self.limits.kill_after)
        except subprocess.TimeoutExpired:
            print(f"cnn-course sandbox: the notebook ran longer than {self.limits.wall} s: kernel stopped",
                  file=sys.stderr)
            child.kill()
            return child.wait()
        except _Stop:  # jupyter_client's terminate, or our parent died: end the sandbox now
            child.kill()
            child.wait()
            raise

    def link_sockets(self, child: subprocess.Popen) -> None:
        """Link ``<host IPC folder>/kernel-<port>`` to the socket the kernel makes inside the sandbox.

        ``/proc/<pid>/root`` of a process in the sandbox is the sandbox's root as seen from the host;
        ``child`` is setpriv become bwrap, whose first child is the sandbox's first process. ZeroMQ
        connects through the links (and retries until the kernel has bound its sockets).
        """
        inner = _first_child(child.pid, deadline=time.monotonic() + 30)
        if inner is None:
            return  # bwrap failed at once: the kernel never starts, and jupyter_client says so
        self._link_sockets_of(inner)

    def _link_sockets_of(self, inner: int) -> None:
        for port in self.ports:
            (self.ipc / f"kernel-{port}").symlink_to(f"/proc/{inner}/root{INSIDE_IPC}/kernel-{port}")

    def serve_zygote(self) -> int:
        """The zygote: start it in the sandbox, print ``READY <pid> <start time>`` once it listens, wait for its end."""
        child = self._start()
        try:
            inner = _first_child(child.pid, deadline=time.monotonic() + 30)
            deadline = time.monotonic() + 120
            while inner is not None and child.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(OSError), _unix_socket() as probe:
                    probe.connect(f"/proc/{inner}/root{ZYGOTE_SOCKET}")
                    pid = _peer_pid(probe)
                    break
                time.sleep(0.01)
            else:
                child.kill()
                return child.wait() or 1
            print(f"READY {pid} {_start_time(pid)}", flush=True)
            return child.wait()
        except _Stop:
            child.kill()
            child.wait()
            raise

    def run_forked(self, zygote: str) -> int:
        """A kernel forked by the zygote ``zygote`` (``"<pid> <start time>"``), then as :meth:`run`.

        Raises :class:`ZygoteGone` before anything started when the zygote does not answer (the caller then starts
        the kernel itself). The kernel is put in its cgroups before it goes on (the zygote's child waits for that).
        """
        import select
        import socket
        import struct

        pid, start = (int(part) for part in zygote.split())
        self.ipc.mkdir(parents=True, exist_ok=True)
        os.chmod(self.ipc, 0o700)
        with _unix_socket() as channel:
            channel.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            try:
                channel.connect(f"/proc/{pid}/root{ZYGOTE_SOCKET}")
                if _peer_pid(channel) != pid or _start_time(pid) != start:  # not the zygote: its pid was reused
                    raise OSError("another process answers at the zygote's address")
                request = {"connection": self.inside, "argv": self.kernel_arguments(), "env": kernel_environment(),
                           "cwd": str(Path.cwd()), "tempdir": tempfile.gettempdir(), "mplconfigdir": MPL_INSIDE,
                           "scratch": self.limits.scratch}
                data = json.dumps(request).encode()
                channel.sendall(struct.pack("I", len(data)) + data)
                _, ancillary, _, _ = channel.recvmsg(1, socket.CMSG_SPACE(12))
                kernel = next(struct.unpack("3i", body[:12])[0] for level, kind, body in ancillary
                              if (level, kind) == (socket.SOL_SOCKET, socket.SCM_CREDENTIALS))
                handle = os.pidfd_open(kernel)
            except (OSError, StopIteration, ValueError) as error:
                raise ZygoteGone(str(error) or type(error).__name__) from error
            try:
                self.cgroups = make_cgroups(f"{CGROUP_PREFIX}{os.getpid()}", self.limits)
                for group in self.cgroups:
                    (group / "cgroup.procs").write_text(str(kernel))
                channel.sendall(GO)
                self._link_sockets_of(kernel)
                if not select.select([handle], [], [], self.limits.kill_after)[0]:
                    print(f"cnn-course sandbox: the notebook ran longer than {self.limits.wall} s: kernel stopped",
                          file=sys.stderr)
                    signal.pidfd_send_signal(handle, signal.SIGKILL)
                    return -signal.SIGKILL
                status = channel.recv(4, socket.MSG_DONTWAIT) if select.select([channel], [], [], 1)[0] else b""
                return struct.unpack("i", status)[0] if len(status) == 4 else -signal.SIGKILL
            except BaseException:  # _Stop (jupyter_client's terminate, our parent's death) or a failure: end it now
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(handle, signal.SIGKILL)
                select.select([handle], [], [], 10)
                raise
            finally:
                os.close(handle)

    def cleanup(self) -> None:
        for group in self.cgroups:
            _remove_cgroup(group)
        # Host mount namespace: the staging folders are empty mount points here, safe to remove.
        shutil.rmtree(self.work, ignore_errors=True)
        if self.ipc:
            shutil.rmtree(self.ipc, ignore_errors=True)


class ZygoteGone(OSError):
    """The zygote did not answer: nothing was started."""


def _unix_socket():
    import socket

    return socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)


def _peer_pid(channel) -> int:
    """The pid of a Unix socket's peer, as this process's PID namespace sees it (0: one it cannot see)."""
    import socket
    import struct

    return struct.unpack("3i", channel.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]


def _start_time(pid: int) -> int:
    """When process ``pid`` started (clock ticks since boot): with its pid, names one process for ever."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[19])


def _first_child(pid: int, deadline: float) -> int | None:
    """The first child process of ``pid`` (waiting for it until ``deadline``), or None once ``pid`` has ended."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    while time.monotonic() < deadline:
        try:
            found = children.read_text().split()
        except OSError:
            return None
        if found:
            return int(found[0])
        time.sleep(0.002)
    return None


class _Stop(Exception):
    """SIGTERM: stop the kernel and clean up (raised from the signal handler, so ``finally`` runs)."""


def _stop(signum, frame):
    raise _Stop


def main(argv: list[str] | None = None) -> int:
    """The kernelspec's command: ``python -I -m grader.engine.sandbox CONNECTION_FILE [kernel arguments]``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m grader.engine.sandbox CONNECTION_FILE [kernel arguments] | --zygote", file=sys.stderr)
        return 2
    zygote = argv == ["--zygote"]
    if os.environ.get(SWITCH) == "off" and not zygote:  # explicitly unsandboxed: the plain kernel, in this process
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", *argv])
    # First of all: a SIGTERM at any later point (our parent died, or jupyter_client stops us)
    # unwinds through the clean-up below instead of leaving folders and cgroups behind.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts reach the kernel as messages
    _prctl_parent_death(signal.SIGTERM)
    if os.environ.get(PARENT, str(os.getppid())) != str(os.getppid()):
        # Our parent died while Python started, before the line above: no signal will ever come,
        # and a kernel started now would wait the whole wall time for a client that is gone.
        print("cnn-course sandbox: the process that started this kernel is gone; not starting it", file=sys.stderr)
        return 143
    reason = problem()
    if reason:
        print(f"cnn-course sandbox: {reason}; refusing to run student code unsandboxed "
              f"(set {SWITCH}=off to run trusted notebooks without it)", file=sys.stderr)
        return 1
    sweep()
    launch = None
    try:
        if zygote:
            launch = Launch(None, [])
            return launch.serve_zygote()
        launch = Launch(argv[0], argv[1:])
        if os.environ.get(ZYGOTE):
            try:
                return launch.run_forked(os.environ[ZYGOTE])
            except ZygoteGone as error:  # nothing started: this kernel boots as it would without a zygote
                print(f"cnn-course sandbox: the zygote did not answer ({error}); starting the kernel itself",
                      file=sys.stderr)
        return launch.run()
    except _Stop:
        return 143
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        print(f"cnn-course sandbox: {error}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
        if launch:
            launch.cleanup()


if __name__ == "__main__":
    sys.exit(main())
