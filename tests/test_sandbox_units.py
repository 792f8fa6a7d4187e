"""The sandbox's pieces that need no kernel: quick, so they run in `make test-fast`.

The class runs through the sandbox (bubblewrap, a graded class of hostile submissions) are in test_sandbox.py.
"""
from __future__ import annotations

import time
from pathlib import Path

import nbformat

from grader.engine import sandbox

ROOT = Path(__file__).resolve().parent.parent


def test_kernel_side_files_are_only_what_hidden_tests_import(tmp_path):
    names = {str(p.relative_to(ROOT / "grader")) for p in sandbox.kernel_side_files(ROOT / "grader")}
    assert {"__init__.py", "hidden.py", "cases/__init__.py", "cases/nb02_padding_stride.py"} <= names
    assert {Path(name).name for name in names} <= {"__init__.py", "hidden.py"} | {
        p.name for p in (ROOT / "grader" / "cases").glob("*.py")}
    fake = tmp_path / "grader"
    for name in ("__init__.py", "hidden.py", "reference.py", "verdict.py", "cases/__init__.py", "cases/nb01_x.py",
                 "notebooks/__init__.py", "notebooks/nb01_x/__init__.py", "notebooks/nb01_x/reference.py",
                 "notebooks/nb01_x/mistakes.py", "notebooks/nb01_x/catalogue.py", "engine/batch.py"):
        (fake / name).parent.mkdir(parents=True, exist_ok=True)
        (fake / name).write_text("")
    assert [str(p.relative_to(fake)) for p in sandbox.kernel_side_files(fake)] == [
        "__init__.py", "hidden.py", "cases/__init__.py", "cases/nb01_x.py"]


def test_after_one_timeout_later_cells_get_a_short_one_and_the_wall_caps_all():
    from grader.engine.execute import SandboxedExecute

    step = SandboxedExecute(timeout=60, wall=100, after_timeout=5)
    step._deadline = time.monotonic() + 100
    assert step._get_timeout(None) == 60
    step._timed_out = True
    assert step._get_timeout(None) == 5
    step._deadline = time.monotonic() + 2.5
    assert step._get_timeout(None) == 2
    step._deadline = time.monotonic() - 10
    assert step._get_timeout(None) == 1  # past the wall: every later cell is stopped at once


def test_grade_refuses_without_a_sandbox_unless_told(tmp_path, monkeypatch, capsys):
    from grader.cli import main

    monkeypatch.setattr(sandbox, "_PROBLEM", ["bubblewrap is not installed"])
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bubblewrap is not installed" in err[0] and "--no-sandbox" in err[0]


def test_one_output_budget_counts_every_kind_of_message_and_keeps_what_verdicts_need():
    """Fake kernel messages of every kind into the hooks nbclient calls: past ``output_budget`` bytes per
    notebook (or ``cell_output_limit`` per cell) nothing is kept but a note, a test cell's record of
    bounded size and an error's cut last line."""
    import json

    from cnn_course.record import RECORD_MIME
    from grader.engine.execute import ERROR_LINE_LIMIT, RECORD_LIMIT, SandboxedExecute

    step = SandboxedExecute(output_budget=200_000, cell_output_limit=20_000)
    step.clear_before_next_output = False  # as execute_cell leaves it
    nb = nbformat.v4.new_notebook()

    def cell(test: str | None = None):
        new = nbformat.v4.new_code_cell("")
        if test:
            new.metadata.nbgrader = {"grade": True, "solution": False, "grade_id": test, "points": 1}
        nb.cells.append(new)
        return len(nb.cells) - 1

    def send(index: int, msg_type: str, content: dict, buffers=()) -> None:
        step.process_message({"msg_type": msg_type, "header": {"msg_type": msg_type}, "parent_header": {"msg_id": "m"},
                              "content": content, "buffers": list(buffers)}, nb.cells[index], index)

    def kept() -> int:
        return len(json.dumps([c.outputs for c in nb.cells])) + len(json.dumps(step.widget_state, default=str)) \
            + sum(len(b["data"]) for own in step.widget_buffers.values() for b in own.values())

    record = {"id": "t", "function": "f", "outcomes": [{"value": "x" * 1000}]}
    step.process_message({"msg_type": "status", "header": {}, "parent_header": {},
                          "content": {"execution_state": "busy", "execution_count": "9" * 10**6}}, nb.cells[cell()], 0)
    assert nb.cells[0].get("execution_count") is None  # a forged count is not kept
    flooders = [
        ("stream", lambda i: {"name": "stdout", "text": "x" * 999}),
        ("display_data", lambda i: {"data": {"text/plain": "x"}, "metadata": {"huge": "m" * 5000}, "transient": {}}),
        ("error", lambda i: {"ename": "E" * 500, "evalue": "v" * 5000, "traceback": ["t" * 3000] * 3}),
        ("display_data", lambda i: {"data": {RECORD_MIME: record, "text/plain": "r"}, "metadata": {}}),
        ("comm_open", lambda i: {"comm_id": f"c{i}", "target_name": "jupyter.widget", "data": {
            "state": {"_model_name": "M", "_model_module": "m", "value": "w" * 3000}, "buffer_paths": [["b"]]}}),
    ]
    for msg_type, content in flooders:
        index = cell()
        for i in range(40):
            send(index, msg_type, content(i), buffers=[b"\0" * 2000] if msg_type == "comm_open" else ())
        assert any("[output cut: this cell's outputs passed" in o.get("text", "") for o in nb.cells[index].outputs)
        assert kept() < 20_000 * len(flooders) + 20_000, (msg_type, kept())
    errors = [o for o in nb.cells[3].outputs if o.output_type == "error"]
    assert len(errors[-1].evalue) <= ERROR_LINE_LIMIT and len("".join(errors[-1].traceback)) < 2 * ERROR_LINE_LIMIT
    assert len([o for o in nb.cells[4].outputs if RECORD_MIME in o.get("data", {})]) < 40  # not a test cell
    # The display shown first is updated with big data: counted too. Many cells, each under the cell limit.
    shown = cell()
    send(shown, "display_data", {"data": {"text/plain": "a"}, "metadata": {}, "transient": {"display_id": "d"}})
    for _ in range(20):
        send(shown, "update_display_data", {"data": {"text/plain": "u" * 5000}, "metadata": {}, "transient": {"display_id": "d"}})
    for _ in range(300):
        send(cell(), "stream", {"name": "stdout", "text": "y" * 19_000})
    assert kept() < 200_000 + 300 * 200, kept()  # the budget, and a note per cell past it
    assert any("this notebook's outputs passed the 200,000 bytes" in o.get("text", "") for o in nb.cells[-1].outputs)
    # Past the budget, test cells keep their record (one; a stub for a second or an oversized one), raw errors a line.
    honest, forger, oversized = cell("t"), cell("t"), cell("t")
    send(honest, "display_data", {"data": {RECORD_MIME: record, "text/plain": "r" * 10**5}, "metadata": {"m": "m" * 10**5}})
    send(honest, "error", {"ename": "VerdictPending", "evalue": "recorded", "traceback": ["t" * 10**5]})
    for _ in range(3):
        send(forger, "display_data", {"data": {RECORD_MIME: record}, "metadata": {}})
    send(oversized, "display_data", {"data": {RECORD_MIME: {"id": "t", "blob": "z" * (RECORD_LIMIT + 1)}}, "metadata": {}})
    records = {i: [o.data[RECORD_MIME] for o in nb.cells[i].outputs if RECORD_MIME in o.get("data", {})]
               for i in (honest, forger, oversized)}
    assert records[honest] == [record] and nb.cells[honest].outputs[-2].data.keys() == {RECORD_MIME}
    assert [o.ename for o in nb.cells[honest].outputs if o.output_type == "error"] == ["VerdictPending"]
    assert len(records[forger]) == 2 and records[forger][0] == record
    assert records[oversized][0]["id"] == "t" and "blob" not in records[oversized][0]
    assert kept() < 200_000 + 300 * 200 + 10_000, kept()


def test_grading_kernels_preload_every_course_module_a_notebook_imports():
    """A grading kernel has imported, before a submission's cells run, each ``cnn_course`` module the course's notebooks
    import (the zygote once for all): a setup cell then costs 4 ms, not 45; every picture module is there already."""
    import ast

    from grader.config import assignments
    from grader.engine.gradebook import solution_notebook
    from grader.engine.sandbox import PRELOADED

    imported = set()
    for assignment in assignments():
        for cell in nbformat.read(solution_notebook(assignment), as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:  # a magic: no import of the course's there
                continue
            for node in ast.walk(tree):
                names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module else
                         [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
                imported |= {name for name in names if name.split(".")[0] in ("cnn_course", "ipywidgets")}
    assert imported and imported <= set(PRELOADED), sorted(imported - set(PRELOADED))
    widgets = ROOT / "cnn_course" / "widgets"
    assert {f"cnn_course.widgets.{p.stem}" for p in widgets.glob("*.py") if p.stem != "__init__"} <= set(PRELOADED)
