"""Grading-side half of the sandbox: the kernel manager and nbgrader ``Execute`` step that use it.

``configure()`` (``grader/config.py``) puts :class:`SandboxedExecute` in place of nbgrader's
``Execute`` in ``Autograde``, so ``grader grade``, ``grader check``, ``nbgrader autograde`` and
formgrader all start the kernelspec ``cnn-course-sandbox`` (``grader/kernelspec/``), whose
command is the launcher ``grader.sandbox``. The kernel talks to us over IPC sockets in a
folder of its own (TCP cannot cross the sandbox's network namespace).
"""
from __future__ import annotations

import time

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute
from traitlets import CaselessStrEnum, Integer, Unicode, default

from cnn_course.record import RECORD_MIME

from .sandbox import KERNEL_NAME, KERNELSPEC_DIR, Limits, ipc_prefix

#: Seconds each later cell of a notebook may run once one of its cells has timed out: a function
#: that hangs, called by several test cells, costs one full cell timeout, not one per cell.
AFTER_TIMEOUT = 5
#: Characters of output kept per cell. A cell that prints without end would otherwise fill the
#: grader's memory (about 100 MB per second of printing) until its timeout.
OUTPUT_LIMIT = 1_000_000
#: Characters of widget messages (comm state and buffers) kept per notebook: a loop that creates
#: widgets without end would otherwise grow the grader's copy of their states (35 MB/s, measured).
WIDGET_LIMIT = 10_000_000
#: Records (``cnn_course.record``) kept per cell past the limit: one is the test's, two already
#: make the cell's verdict "more than one record" (a forgery), so more are never needed.
RECORDS_PAST_LIMIT = 2


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager that finds the sandbox kernelspec and talks over per-kernel IPC sockets."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    def _ip_default(self) -> str:
        return ipc_prefix() if self.transport == "ipc" else super()._ip_default()

    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        # Only the course's kernelspecs: the sandbox is never swapped for an installed "python3".
        return KernelSpecManager(kernel_dirs=[str(KERNELSPEC_DIR)])


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` in the sandbox kernel, with a wall-clock cap per notebook.

    Each cell may run ``timeout`` seconds (``Execute.timeout``); the whole notebook at most
    ``wall`` seconds (later cells are stopped at once); after one cell timed out, later cells
    get at most ``after_timeout`` seconds each.
    """

    kernel_name = Unicode(KERNEL_NAME, help="kernelspec in grader/kernelspec/").tag(config=True)
    wall = Integer(help="seconds the whole notebook may run (default: CNN_COURSE_NOTEBOOK_WALL or 300)").tag(config=True)
    after_timeout = Integer(AFTER_TIMEOUT, help="seconds per cell once a cell has timed out").tag(config=True)
    output_limit = Integer(OUTPUT_LIMIT, help="characters of output kept per cell; past them only errors and "
                                              "records are kept, and a note says the output was cut").tag(config=True)
    widget_limit = Integer(WIDGET_LIMIT, help="characters of widget messages kept per notebook; later ones are "
                                              "ignored (the widgets' saved state stops there)").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = SandboxKernelManager  # nbgrader's own default would lose the sandbox
        super().__init__(*args, **kwargs)
        self._deadline: float | None = None
        self._timed_out = False
        self._output_sizes: dict[int, int] = {}
        self._records_past_limit: dict[int, int] = {}
        self._widget_size = 0

    @default("wall")
    def _wall_default(self) -> int:
        return Limits.from_env().wall

    def preprocess(self, nb, resources=None, km=None):
        self._deadline, self._timed_out = time.monotonic() + self.wall, False
        self._output_sizes, self._records_past_limit, self._widget_size = {}, {}, 0
        return super().preprocess(nb, resources, km)

    def handle_comm_msg(self, outs, msg, cell_index):
        """Widget messages, up to ``widget_limit`` characters per notebook; later ones are ignored."""
        self._widget_size += len(str(msg.get("content", {}).get("data"))) + sum(map(len, msg.get("buffers") or []))
        if self._widget_size <= self.widget_limit:
            super().handle_comm_msg(outs, msg, cell_index)

    def output(self, outs, msg, display_id, cell_index):
        """Keep a cell's outputs up to ``output_limit`` characters; past them, errors and a few records only."""
        content = msg.get("content") or {}
        data = content.get("data") or {}
        size = len(content.get("text") or "") + sum(len(str(value)) for value in data.values())
        before = self._output_sizes.get(cell_index, 0)
        self._output_sizes[cell_index] = before + size
        if before + size <= self.output_limit or msg.get("msg_type") == "error":
            return super().output(outs, msg, display_id, cell_index)
        if before <= self.output_limit:  # the first output past the limit: say so, once
            outs.append(nbformat.v4.new_output(
                "stream", name="stderr",
                text=f"[output cut: this cell printed more than {self.output_limit:,} characters; the rest was not kept]\n"))
        if RECORD_MIME in data and self._records_past_limit.get(cell_index, 0) < RECORDS_PAST_LIMIT:
            self._records_past_limit[cell_index] = self._records_past_limit.get(cell_index, 0) + 1
            return super().output(outs, msg, display_id, cell_index)
        return None

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
