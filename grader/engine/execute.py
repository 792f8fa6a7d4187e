"""Grading-side half of the sandbox: the kernel manager and nbgrader ``Execute`` step that use it.

``configure()`` (``grader/config.py``) puts :class:`SandboxedExecute` in place of nbgrader's
``Execute`` in ``Autograde``, so ``grader grade``, ``grader check``, ``nbgrader autograde`` and
formgrader all start the kernelspec ``cnn-course-sandbox`` (``grader/kernelspec/``), whose
command is the launcher ``grader.engine.sandbox``. The kernel talks to us over IPC sockets in a
folder of its own (TCP cannot cross the sandbox's network namespace).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from queue import Empty

import nbformat
import zmq
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute
from traitlets import Bool, CaselessStrEnum, DottedObjectName, Integer, Type, Unicode, default

from cnn_course.record import RECORD_MIME

from .phases import phase
from .sandbox import KERNEL_NAME, KERNELSPEC_DIR, PREFIX, PRELOADED, ZYGOTE, Limits, Zygote, ipc_prefix

#: Seconds each later cell of a notebook may run once one of its cells has timed out: a function
#: that hangs, called by several test cells, costs one full cell timeout, not one per cell.
AFTER_TIMEOUT = 5
#: Bytes of kernel messages (their JSON, plus binary buffers) a notebook's outputs, display updates,
#: errors, records and widget states may use. A course notebook uses under 300 kB; without a
#: budget, a notebook that prints, displays, raises or makes widgets without end (or 600 cells each
#: under a per-cell cap) fills the grader's memory (3-4 GB measured for 600 MB sent).
OUTPUT_BUDGET = 16 * 2**20
#: Bytes of that budget one cell may use: a chatty cell is cut, later cells keep their outputs.
CELL_OUTPUT_LIMIT = 2**20
#: Past the budget a test cell still keeps its record (``cnn_course.record``), if it is at most this
#: big (a course record is under 150 kB), and records past the budget use at most RECORD_RESERVE
#: bytes per notebook; a second record is kept as a stub (two make the verdict "more than one record").
RECORD_LIMIT = 2 * 2**20
RECORD_RESERVE = 8 * 2**20
#: Characters of an error's name and of its value kept once the budget is spent (its last line only).
ERROR_LINE_LIMIT = 1_000
#: Bytes of one part of an output message the grader accepts: a larger part closes the connection
#: (it is made again after the cell: the part and what the kernel sent meanwhile are lost), so that
#: no single output message is decoded into the grader's memory (a print loop sends 150 MB ones).
MESSAGE_LIMIT = 8 * 2**20
#: Messages the grader's sockets queue before the kernel's side has to hold them (in the kernel's memory).
QUEUE_LIMIT = 16
#: Seconds to wait for a cell's last outputs once the kernel has replied (nbclient's default is 4:
#: too short for a flooding cell on a loaded machine). Outputs still missing then are not kept.
IOPUB_TIMEOUT = 10
#: The kinds of message nbclient makes outputs, display updates or widget state of; others are dropped.
OUTPUT_KINDS = {"stream", "display_data", "execute_result", "update_display_data", "error", "clear_output",
                "comm_open", "comm_msg", "comm_close"}


def message_size(msg: dict) -> int:
    """Bytes of a kernel message as the grader keeps it: its content as JSON, plus its binary buffers."""
    size = len(json.dumps(msg.get("content"), default=str))
    return size + sum(memoryview(buffer).nbytes for buffer in msg.get("buffers") or [])


#: Seconds the output socket is given to show it has joined, after a kernel-info reply, before asking again.
JOIN_POLL = 0.05


class SandboxKernelClient(AsyncKernelClient):
    """A kernel client whose output (iopub) socket refuses oversized message parts and queues few messages."""

    def connect_iopub(self, identity: bytes | None = None) -> zmq.Socket:
        # Context options are the defaults of the sockets it makes next: this one only.
        self.context.setsockopt(zmq.MAXMSGSIZE, MESSAGE_LIMIT)
        self.context.setsockopt(zmq.RCVHWM, QUEUE_LIMIT)
        try:
            return super().connect_iopub(identity)
        finally:
            self.context.setsockopt(zmq.MAXMSGSIZE, -1)  # ZeroMQ's defaults
            self.context.setsockopt(zmq.RCVHWM, 1000)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """jupyter_client's ``wait_for_ready`` without its fixed waits (0.2 s or more per kernel).

        As there: ask for the kernel's info until it replies and a message reaches the output socket (ZeroMQ
        drops what is published before it has joined); then drop what the output socket holds. There, the
        output socket is given 0.2 s for that message, and its queue is emptied by waiting 0.2 s for more:
        here it is asked again after :data:`JOIN_POLL` seconds, and the queue is emptied of what is there.
        """
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=JOIN_POLL)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:  # what the output socket holds now: the status messages of the requests above
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                break

    def reconnect_iopub(self) -> None:
        """A new output socket: ZeroMQ never reconnects one that refused an oversized message."""
        if self._iopub_channel is not None:
            self._iopub_channel.close()
            self._iopub_channel = None  # made again on first use


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager that finds the sandbox kernelspec and talks over per-kernel IPC sockets."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
    client_class = DottedObjectName("grader.engine.execute.SandboxKernelClient")
    client_factory = Type(SandboxKernelClient, klass=AsyncKernelClient)

    def _ip_default(self) -> str:
        return ipc_prefix() if self.transport == "ipc" else super()._ip_default()

    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        # Only the course's kernelspecs: the sandbox is never swapped for an installed "python3".
        return KernelSpecManager(kernel_dirs=[str(KERNELSPEC_DIR)])


#: What a warm kernel imports before it is handed over (names deleted: the student's namespace is a fresh one's).
#: ipywidgets' comm targets are registered as its import in a kernel does (the zygote imported it with no kernel).
PRELOAD = (f"import {', '.join(PRELOADED)}; ipywidgets.register_comm_target(); "
           f"del {', '.join(dict.fromkeys(m.split('.')[0] for m in PRELOADED))}")
#: The kernel arguments nbclient gives every kernel (``NotebookClient.ipython_hist_file``): a warm kernel gets them too.
HISTORY_ARGUMENT = "--HistoryManager.hist_file=:memory:"


class WarmKernel:
    """A grading worker's next sandboxed kernel, started ahead of time, used for one submission only.

    :meth:`start` launches it (the launcher, bwrap and ipykernel boot in their own processes while the
    worker does other work) with :data:`PRELOAD` run at its start, as ``NBGRADER_EXECUTION=autograde``.
    Its folder is an empty one of its own (the instructor's alone), not the shard's: the kernel sees no
    file of any student (the sandbox makes it an empty tmpfs; a notebook is sent cell by cell, never read
    from disk). :meth:`take` hands it over once (None when none is ready or it died, e.g. at the sandbox's
    wall cap); :meth:`stop` ends it and removes its folder. ``spare_wall``: seconds added to its launcher's
    wall cap, for a kernel that may wait that long before it is used (``grader check``'s server). ``forked``: each
    kernel is forked by a zygote (its imports done once for all), not booted: its own :class:`Zygote`, or the pool's
    (:attr:`shared_zygote`).
    """

    def __init__(self, spare_wall: int = 0, forked: bool = False):
        self.spare_wall = spare_wall
        self.zygote = Zygote() if forked else None
        #: The address of a zygote another process keeps (the pool's: :meth:`grader.engine.workers.Pool.start`).
        self.shared_zygote: str | None = None
        self.km: SandboxKernelManager | None = None
        self.folder: Path | None = None
        self.ending: list[tuple[SandboxKernelManager, Path]] = []  # used kernels told to stop, not yet reaped

    def start(self) -> None:
        from nbclient.util import run_sync

        self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-warm-"))  # swept if we die (sandbox.sweep)
        self.km = SandboxKernelManager(kernel_name=KERNEL_NAME)
        env = {**os.environ, "NBGRADER_EXECUTION": "autograde"}
        if self.spare_wall:
            env["CNN_COURSE_NOTEBOOK_WALL"] = str(Limits.from_env().wall + self.spare_wall)
        address = self.shared_zygote or (self.zygote.address() if self.zygote else None)
        if address:
            env[ZYGOTE] = address
        try:
            # Its launcher's and kernel's messages are dropped, as grading's are (autograde.quiet_stderr).
            run_sync(self.km.start_kernel)(cwd=str(self.folder), env=env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL,
                                           extra_arguments=[HISTORY_ARGUMENT, f"--IPKernelApp.exec_lines={PRELOAD}"])
        except Exception:  # no warm kernel: the next submission starts its own, as without a pool
            self.stop()

    def take(self) -> tuple["SandboxKernelManager", Path] | None:
        """The started kernel's manager and its folder (the caller stops both), or None."""
        from nbclient.util import run_sync

        self.reap()  # the last submission's kernel: its launcher has long ended
        km, folder, self.km, self.folder = self.km, self.folder, None, None
        if km is None:
            return None
        if not run_sync(km.is_alive)():
            _stop_kernel(km, folder)
            return None
        return km, folder

    def end(self, km: "SandboxKernelManager", folder: Path) -> None:
        """A used kernel: its launcher told to stop now (it kills the sandbox and cleans up on SIGTERM), not
        waited for; it is reaped and its folder removed by :meth:`reap` (the next :meth:`take`, or :meth:`stop`)."""
        pid = getattr(km.provisioner, "pid", None)
        if pid is None:
            _stop_kernel(km, folder)
            return
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
        self.ending.append((km, folder))

    def reap(self) -> None:
        """Wait for the used kernels' launchers to end (they have had a submission's time to), then clean up."""
        from nbclient.util import run_sync

        ending, self.ending = self.ending, []
        for km, folder in ending:
            process = getattr(km.provisioner, "process", None)
            if process is not None:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:  # its clean-up hangs: as jupyter_client would, after its wait
                    process.kill()
                    process.wait()
            run_sync(km.cleanup_resources)()
            shutil.rmtree(folder, ignore_errors=True)

    def stop(self) -> None:
        self.reap()
        km, folder, self.km, self.folder = self.km, self.folder, None, None
        _stop_kernel(km, folder)
        if self.zygote:
            self.zygote.stop()

    def terminate(self) -> None:
        """In a signal handler: SIGTERM to the kernels' launchers (each stops its sandbox and cleans up), folders removed."""
        for km, folder in [(self.km, self.folder), *self.ending]:
            pid = getattr(getattr(km, "provisioner", None), "pid", None)
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
        if self.zygote:
            self.zygote.terminate()


def _stop_kernel(km: "SandboxKernelManager | None", folder: Path | None) -> None:
    from nbclient.util import run_sync

    if km is not None:
        try:
            if run_sync(km.is_alive)():
                run_sync(km.shutdown_kernel)(now=False)
        except RuntimeError:
            pass
        finally:
            run_sync(km.cleanup_resources)()
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


#: The warm kernel of this process, when it grades with a pool (:func:`grader.engine.workers.worker_main`), else None.
POOL: WarmKernel | None = None


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` in the sandbox kernel, with a wall-clock cap and an output budget per notebook.

    Each cell may run ``timeout`` seconds (``Execute.timeout``); the whole notebook at most
    ``wall`` seconds (later cells are stopped at once); after one cell timed out, later cells
    get at most ``after_timeout`` seconds each.

    Every message the kernel sends that would be kept (outputs, their metadata, display updates,
    errors, records, widget messages) is counted as it arrives against ``output_budget`` bytes per
    notebook, of which one cell may use ``cell_output_limit``. Past either, the cell keeps a note
    saying so and only what its verdict needs: a test cell's record (at most ``RECORD_LIMIT``
    bytes; a bigger one is kept as a stub that scores 0 as malformed) and its last error's last line.
    """

    kernel_name = Unicode(KERNEL_NAME, help="kernelspec in grader/kernelspec/").tag(config=True)
    wall = Integer(help="seconds the whole notebook may run (default: CNN_COURSE_NOTEBOOK_WALL or 300)").tag(config=True)
    after_timeout = Integer(AFTER_TIMEOUT, help="seconds per cell once a cell has timed out").tag(config=True)
    output_budget = Integer(OUTPUT_BUDGET, help="bytes of kernel messages (outputs and their metadata, display "
                                                "updates, errors, records, widget messages) kept per notebook; "
                                                "past them a cell keeps a note, its test record and its last "
                                                "error's last line").tag(config=True)
    cell_output_limit = Integer(CELL_OUTPUT_LIMIT, help="bytes of the output budget one cell may use").tag(config=True)
    # nbgrader raises out of the whole notebook when a cell's last outputs are late (a flooding
    # cell on a loaded machine): here the cell keeps what arrived, and grading goes on.
    raise_on_iopub_timeout = Bool(False, help="stop grading when a cell's outputs are late").tag(config=True)
    iopub_timeout = Integer(IOPUB_TIMEOUT, help="seconds to wait for a cell's outputs after its reply").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = SandboxKernelManager  # nbgrader's own default would lose the sandbox
        super().__init__(*args, **kwargs)
        self._deadline: float | None = None
        self._timed_out = False
        self._reset_budget()

    def _reset_budget(self) -> None:
        self._used = 0  # bytes of the budget used by the notebook
        self._notebook_full = False
        self._cell_used: dict[int, int] = {}
        self._closed: set[int] = set()  # cells that keep nothing more (they have their note)
        self._reserve_used = 0  # bytes of records kept past the budget
        self._records_past: dict[int, int] = {}
        self._cut_errors: dict[int, dict] = {}  # the error line a cell keeps past the budget

    @default("wall")
    def _wall_default(self) -> int:
        return Limits.from_env().wall

    def preprocess(self, nb, resources=None, km=None):
        self._deadline, self._timed_out = time.monotonic() + self.wall, False
        self._reset_budget()
        warm = self._warm_kernel() if km is None else None
        if warm is None:
            return super().preprocess(nb, resources, km)
        try:
            return super().preprocess(nb, resources, warm[0])
        finally:
            with phase("next kernel launch"):
                POOL.start()  # the next submission's kernel boots while this one is stopped, judged, given feedback
            with phase("kernel stop"):
                if self.kc is not None:
                    self.kc.stop_channels()
                self.kc = None
                POOL.end(*warm)  # never used again: a kernel is one student's

    def _warm_kernel(self):
        """This worker's warm kernel, when one is ready and this run starts the kernel a warm one is."""
        if POOL is None or self.kernel_name != KERNEL_NAME or set(self.extra_arguments) - {HISTORY_ARGUMENT}:
            return None
        if os.environ.get("NBGRADER_EXECUTION") != "autograde":
            return None
        return POOL.take()

    # Timed phases (grader.engine.phases, ``benchmark --profile``): the kernel's start and stop, and each cell by kind.
    # nbconvert's ``preprocess`` calls these synchronous names (nbclient binds each to its own coroutine).
    def start_new_kernel(self, **kwargs):
        with phase("kernel start"):
            return super().start_new_kernel(**kwargs)

    def start_new_kernel_client(self):
        with phase("kernel start" if self.owns_km else "kernel handover"):
            return super().start_new_kernel_client()

    def _cleanup_kernel(self):
        with phase("kernel stop"):
            return super()._cleanup_kernel()

    def execute_cell(self, cell, cell_index, *args, **kwargs):
        from .preprocessors import _is_test_cell

        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        kind = "test cells" if _is_test_cell(cell) else "imports" if grade_id == "setup" else "execution"
        with phase(kind):
            return super().execute_cell(cell, cell_index, *args, **kwargs)

    def _admit(self, cell_index: int, size: int) -> bool:
        """Count ``size`` bytes against the budget: True when they fit (and are now used).

        A message too big for its cell closes that cell; one that fits a cell but not what is left of
        the notebook's budget closes the notebook: nothing more fits, in any later cell.
        """
        cell_used = self._cell_used.get(cell_index, 0)
        if self._notebook_full or cell_index in self._closed or cell_used + size > self.cell_output_limit:
            return False
        if self._used + size > self.output_budget:
            self._notebook_full = True
            return False
        self._cell_used[cell_index], self._used = cell_used + size, self._used + size
        return True

    def _close(self, cell, cell_index: int) -> None:
        """The first message past the budget: the cell says so, once, and keeps nothing more."""
        if cell_index in self._closed:
            return
        self._closed.add(cell_index)
        what = (f"this notebook's outputs passed the {self.output_budget:,} bytes grading keeps" if self._notebook_full
                else f"this cell's outputs passed the {self.cell_output_limit:,} bytes a cell may keep")
        cell.outputs.append(nbformat.v4.new_output("stream", name="stderr",
                                                   text=f"[output cut: {what}; the rest was not kept]\n"))

    def process_message(self, msg, cell, cell_index):
        """Every message of a cell: counted against the budget before nbclient keeps anything of it."""
        msg_type = msg.get("msg_type")
        content = msg.get("content")
        if not isinstance(content, dict):
            return None
        if msg_type in ("status", "execute_input"):  # control flow: only their state and count are read
            count = content.get("execution_count")
            slim = {"execution_state": str(content.get("execution_state"))[:10]}
            if isinstance(count, int):
                slim["execution_count"] = count
            return self._process({**msg, "content": slim}, cell, cell_index)
        if msg_type not in OUTPUT_KINDS:
            return None
        if cell_index not in self._closed and self._admit(cell_index, message_size(msg)):
            return self._process(msg, cell, cell_index)
        self._close(cell, cell_index)
        if msg_type == "error":
            self._keep_error_line(cell, cell_index, content)
        elif msg_type in ("display_data", "execute_result") and RECORD_MIME in (content.get("data") or {}):
            self._keep_record(cell, cell_index, content["data"][RECORD_MIME])
        return None

    def _process(self, msg, cell, cell_index):
        try:
            return super().process_message(msg, cell, cell_index)
        except (KeyError, TypeError, ValueError, AttributeError) as error:  # a message that is not what it says
            self.log.debug("dropped a malformed %s message: %s", msg.get("msg_type"), error)
            return None

    def _keep_error_line(self, cell, cell_index: int, content: dict) -> None:
        """An error past the budget: its name and value, cut short, in place of an earlier one kept so."""
        ename, evalue = str(content.get("ename", "Error"))[:100], str(content.get("evalue", ""))[:ERROR_LINE_LIMIT]
        line = nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
        earlier = self._cut_errors.get(cell_index)
        cell.outputs[:] = [o for o in cell.outputs if o is not earlier]
        self._cut_errors[cell_index] = line
        cell.outputs.append(line)

    def _keep_record(self, cell, cell_index: int, payload) -> None:
        """A test cell's record past the budget: the first if small enough, then a stub for a second."""
        from .preprocessors import _is_test_cell

        count = self._records_past.get(cell_index, 0)
        if not _is_test_cell(cell) or count >= 2:
            return
        self._records_past[cell_index] = count + 1
        if count == 0:
            size = len(json.dumps(payload, default=str))
            if size <= RECORD_LIMIT and self._reserve_used + size <= RECORD_RESERVE:
                self._reserve_used += size
            else:  # too big to keep: judged malformed (0 points)
                payload = {"id": cell.metadata.nbgrader.get("grade_id"), "not_kept": f"a record of {size:,} bytes"}
        else:  # only the count matters: a second record makes the verdict "more than one record"
            payload = {"not_kept": "a second record"}
        cell.outputs.append(nbformat.v4.new_output("display_data", data={RECORD_MIME: payload}))

    def on_cell_executed(self, **kwargs):
        """nbgrader adds the reply's error to the cell when no output carried it: counted, or cut to its last line."""
        reply = kwargs.get("execute_reply") or {}
        content = reply.get("content") or {}
        if content.get("status") == "error":
            fields = {key: content.get(key) for key in ("ename", "evalue", "traceback")}
            cell_index = kwargs.get("cell_index", -1)
            if not self._admit(cell_index, len(json.dumps(fields, default=str))):
                ename, evalue = str(fields["ename"])[:100], str(fields["evalue"])[:ERROR_LINE_LIMIT]
                reply = {**reply, "content": {**content, "ename": ename, "evalue": evalue,
                                              "traceback": [f"{ename}: {evalue}"]}}
                kwargs["execute_reply"] = reply
        return super().on_cell_executed(**kwargs)

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        reply = await super()._async_poll_for_reply(msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive)
        if task_poll_output_msg.cancelled():  # its last outputs did not come within iopub_timeout
            if isinstance(self.kc, SandboxKernelClient):
                await self._async_reconnect_iopub()  # in case an oversized message closed it
            cell.outputs.append(nbformat.v4.new_output(
                "stream", name="stderr", text=f"[output cut: the cell's last outputs did not arrive within "
                                              f"{self.iopub_timeout} s of its end; they were not kept]\n"))
        return reply

    async def _async_reconnect_iopub(self) -> None:
        """A new output socket, once it receives: the next cell's first outputs must not be lost."""
        self.kc.reconnect_iopub()
        deadline = time.monotonic() + self.iopub_timeout
        while time.monotonic() < deadline:
            request = self.kc.kernel_info()  # its busy/idle status comes on the output socket
            try:
                while (await self.kc.iopub_channel.get_msg(timeout=1))["parent_header"].get("msg_id") != request:
                    pass  # what the kernel still sends of the last cell is dropped
                return
            except Empty:
                continue

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        if self._timed_out:
            timeout = min(timeout or self.after_timeout, self.after_timeout)
        if self._deadline is not None:
            remaining = max(1, int(self._deadline - time.monotonic()))
            timeout = min(timeout or remaining, remaining)
        return timeout

    async def _async_handle_timeout(self, timeout, cell=None):
        self._timed_out = True
        return await super()._async_handle_timeout(timeout, cell)
