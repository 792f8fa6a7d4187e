"""The forked kernels' parent: one sandboxed process per grading run that imported a kernel's modules once.

A kernel's boot (Python, ipykernel, numpy, matplotlib, ``cnn_course``) costs about 0.5 CPU-seconds, paid again for
every submission. The *zygote* pays it once: the launcher (``python -I -m grader.engine.sandbox --zygote``) starts
this file in the same bubblewrap sandbox as a kernel, with ``CAP_SYS_ADMIN`` and ``CAP_SETPCAP`` in the sandbox's
user namespace only.
It imports, then listens on :data:`SOCKET` (which the host reaches through ``/proc/<pid>/root``, as it reaches a
kernel's sockets) and answers each request of a kernel's launcher by forking one kernel:

1. a child enters namespaces of its own (mount, PID, IPC, network, UTS) and forks again: that grandchild, PID 1
   of its PID namespace, sends its pid to the launcher (``SCM_CREDENTIALS``: the system gives the launcher its host
   pid), which puts it in the kernel's cgroups, and waits for the go;
2. it makes every mount it inherited read-only, mounts a fresh ``/proc`` (only its own processes), and fresh
   size-limited tmpfs over ``/tmp``, the temporary folder, ``/dev/shm``, the kernel's folder and its IPC folder
   (what the sandbox bound read-only below them is bound again on top), and a new ``/dev/pts``: nothing one kernel
   writes is seen by another;
3. it drops every capability (bounding and ambient sets included; ``no_new_privs`` is bwrap's), then forks the
   kernel as PID 2, as bwrap does, and reaps until it ends (its exit status goes back to the launcher);
4. the kernel starts a new session, closes every inherited descriptor, reseeds ``random`` and numpy's global
   generator (a fork copies their state), takes the environment the launcher sent, and runs ipykernel.

The zygote itself runs no student code, holds no student's file, never reads a request (its child does: no
kernel's key or folder is in the memory later kernels copy), and keeps one thread (a fork copies only the calling
one). A request is accepted only from outside the sandbox (a peer a PID namespace away has pid 0 here):
the kernels it forked, in namespaces below it, cannot ask it for anything.

This file runs inside the sandbox: the standard library only, and nothing of ``grader`` (the launcher,
:mod:`grader.engine.sandbox`, imports its constants).
"""
from __future__ import annotations

import ctypes
import importlib
import json
import os
import signal
import socket
import struct
import sys

#: Where the zygote listens (inside its own IPC tmpfs; each kernel mounts a fresh one over it).
SOCKET = "/run/cnn-course-ipc/zygote"
IPC_FOLDER = "/run/cnn-course-ipc"
#: Bytes of one request (a connection file, a few arguments, an environment).
REQUEST_LIMIT = 64 * 1024
GO = b"G"

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE = 1024, 2048, 4096, 1 << 14, 1 << 18
MS_RELATIME, MS_STRICTATIME = 1 << 21, 1 << 24
MOUNT_OPTIONS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
                 "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def mount(source: str | None, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    def encode(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    _check(libc.mount(encode(source), encode(target), encode(kind), flags, encode(data)), f"mount {target}")


def _unescape(path: str) -> str:
    """A mount point as /proc/self/mountinfo writes it (space, tab, newline, backslash as octal escapes)."""
    for code in ("\\040", "\\011", "\\012", "\\134"):
        path = path.replace(code, chr(int(code[1:], 8)))
    return path


def mounts() -> list[tuple[str, list[str], str]]:
    """(mount point, per-mount options, file system type) of every mount this process sees, in mount order."""
    with open("/proc/self/mountinfo") as table:
        lines = table.read().splitlines()
    found = []
    for line in lines:
        fields, _, rest = line.partition(" - ")
        parts = fields.split()
        found.append((_unescape(parts[4]), parts[5].split(","), rest.split()[0]))
    return found


def _read_only(target: str, options: list[str]) -> None:
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY
    for option in options:
        flags |= MOUNT_OPTIONS.get(option, 0)
    mount(None, target, None, flags)


def read_only_everywhere() -> None:
    """Every mount this process sees, but ``/proc``'s, made read-only (in its own mount namespace only)."""
    for target, options, kind in mounts():
        if kind != "proc" and not target.startswith("/proc/") and "ro" not in options:
            _read_only(target, options)


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")


def held_below(covered: list[str]) -> list[tuple[int, str, list[str]]]:
    """The read-only binds below the folders about to be covered by fresh tmpfs (a checkout, its venv or ``data/``
    under ``/tmp``): an ``O_PATH`` descriptor of each, to bind it again on top (:func:`bind_again`)."""
    held: list[tuple[int, str, list[str]]] = []
    for target, options, _ in mounts():
        if "ro" in options and any(_inside(target, folder) for folder in covered) and \
                not any(_inside(target, other) or target == other for _, other, _ in held):
            held.append((os.open(target, os.O_PATH | os.O_CLOEXEC), target, options))
    return held


def bind_again(held: list[tuple[int, str, list[str]]]) -> None:
    for fd, target, options in held:
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "a").close()
        mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
        _read_only(target, options)
        os.close(fd)


def fresh_mounts(request: dict) -> None:
    """A private view: everything read-only, then fresh /proc and scratch space (steps 2 of the module)."""
    scratch = int(request["scratch"])
    temporary, cwd = request["tempdir"], request["cwd"]
    covered = list(dict.fromkeys(["/tmp", temporary, "/dev/shm"]))
    mount("none", "/", None, MS_REC | MS_PRIVATE)  # nothing below propagates back to the zygote
    held = held_below(covered)  # before anything is covered, and before all is read-only (theirs are already)
    read_only_everywhere()
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for path in ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"):  # as bwrap leaves them
        if os.path.exists(path):
            mount(path, path, None, MS_BIND | MS_REC)
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    tmpfs = f"size={scratch},mode=0755"
    for path in covered:
        os.makedirs(path, exist_ok=True)  # the temporary folder may be inside the fresh /tmp
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, tmpfs)
    bind_again(held)
    os.makedirs(request["mplconfigdir"], exist_ok=True)
    os.makedirs(cwd, exist_ok=True)
    mount("tmpfs", cwd, "tmpfs", MS_NOSUID | MS_NODEV, tmpfs)
    mount("tmpfs", IPC_FOLDER, "tmpfs", MS_NOSUID | MS_NODEV, f"size={1 << 20},mode=0755")
    if os.path.isdir("/dev/pts"):
        mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")


def drop_capabilities() -> None:
    """No capability left in any set; fails (the kernel never starts) if one is."""
    with open("/proc/sys/kernel/cap_last_cap") as last:
        for capability in range(int(last.read()) + 1):
            _check(libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0), "drop a bounding capability")
    _check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities")
    header = struct.pack("Ii", _LINUX_CAPABILITY_VERSION_3, 0)
    _check(libc.capset(ctypes.c_char_p(header), ctypes.create_string_buffer(24)), "capset")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    with open("/proc/self/status") as status:
        left = [line for line in status if line.startswith("Cap") and int(line.split()[1], 16)]
    if left:
        raise OSError(f"capabilities left: {left}")


def run_kernel(request: dict) -> None:
    """In the kernel's process (PID 2 of its namespace): step 4 of the module; never returns."""
    os.setsid()
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    import random
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()  # from the system's entropy, as at import
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in request["env"].items()})
    os.chdir(request["cwd"])
    connection = os.path.join(IPC_FOLDER, "connection.json")
    with open(connection, "w") as handle:
        json.dump(request["connection"], handle)
    sys.argv = ["ipykernel_launcher", "-f", connection, *map(str, request["argv"])]
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()
    sys.stdout.flush()
    os._exit(0)


def serve_kernel(connection: socket.socket, request: dict) -> None:
    """In the first child: steps 1-3 of the module; never returns."""
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS), "unshare")
    if os.fork():
        os._exit(0)  # the grandchild is PID 1 of the new namespace (reaped by the sandbox's init)
    credentials = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
    connection.sendmsg([b"P"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, credentials)])
    if connection.recv(1) != GO:  # the launcher went away, or could not place it in its cgroups
        os._exit(1)
    fresh_mounts(request)
    drop_capabilities()
    kernel = os.fork()
    if kernel == 0:
        connection.close()
        run_kernel(request)
    while True:  # PID 1: reap everything; end with the kernel (the namespace's processes die with it)
        pid, status = os.wait()
        if pid == kernel:
            code = os.waitstatus_to_exitcode(status)
            try:
                connection.sendall(struct.pack("i", code))
            except OSError:
                pass
            os._exit(code if 0 <= code < 256 else 1)


def read_request(connection: socket.socket) -> dict | None:
    """One JSON request, its length first (4 bytes); None for anything else."""
    connection.settimeout(10)
    try:
        head = connection.recv(4, socket.MSG_WAITALL)
        if len(head) != 4:
            return None
        size = struct.unpack("I", head)[0]
        if size > REQUEST_LIMIT:
            return None
        request = json.loads(connection.recv(size, socket.MSG_WAITALL))
    except (OSError, ValueError):
        return None
    connection.settimeout(None)
    needed = {"connection": dict, "argv": list, "env": dict, "cwd": str, "tempdir": str, "mplconfigdir": str,
              "scratch": int}
    if not isinstance(request, dict) or any(not isinstance(request.get(k), t) for k, t in needed.items()):
        return None
    return request


def from_outside(connection: socket.socket) -> bool:
    """True when the peer is outside this sandbox's PID namespace (the host's launcher), never a kernel of ours."""
    pid, _, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    return pid == 0


#: What ipykernel imports while a kernel starts (its debugger's debugpy above all): imported here, once for all.
KERNEL_START = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "sqlite3",
                "pdb", "tornado.queues", "tornado.locks", "http.client", "xmlrpc.client")


def main(modules: list[str]) -> None:
    for name in [*modules, *KERNEL_START]:
        importlib.import_module(name)
    if len(os.listdir("/proc/self/task")) != 1:  # a fork copies one thread: a module that started another breaks
        raise SystemExit("cnn-course zygote: an import started a thread; kernels are booted instead")
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the first children end at once: no zombies
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(SOCKET)
    listener.listen(16)
    while True:
        connection, _ = listener.accept()
        # The child reads the request: the zygote never holds a kernel's connection key or folder, which every
        # later fork would copy.
        if from_outside(connection) and os.fork() == 0:
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                listener.close()
                libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                request = read_request(connection)
                if request is not None:
                    serve_kernel(connection, request)
            except BaseException as error:  # noqa: BLE001 - whatever happens, the child never returns here
                print(f"cnn-course zygote: {error}", file=sys.stderr, flush=True)
            finally:
                os._exit(1)
        connection.close()


if __name__ == "__main__":
    main(sys.argv[1:])
