"""The student bundle (``python -m grader bundle``) has everything a student needs and nothing of the instructor's.

Content checks read the bundle's files and the wheel's; the slow test installs the bundle into a fresh
virtual environment (no system site-packages, no access to this checkout) and runs every student
notebook top to bottom there with nbclient.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from grader import reference
from grader.autograde import course_assignments
from grader.bundle import bundle

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bundle")]  # its module fixture is made once


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return bundle(tmp_path_factory.mktemp("bundle") / "student-bundle")


#: Data files (numbers, not code): the digits of notebook 07.
BINARY = (".npz", ".npy", ".png", ".jpg")


def bundle_texts(folder: Path) -> dict[str, str]:
    """Every text in the bundle by name: its files, and the files inside its wheel."""
    texts = {}
    for path in folder.rglob("*"):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                texts.update({f"{path.name}/{name}": wheel.read(name).decode() for name in wheel.namelist()
                              if not name.endswith(BINARY)})
        elif path.is_file() and not path.name.endswith(BINARY):
            texts[str(path.relative_to(folder))] = path.read_text()
    return texts


def reference_lines() -> set[str]:
    """The statements of every reference function's body (docstrings aside), one line each, long enough to be telling."""
    tree = ast.parse(Path(reference.__file__).read_text())
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            body = node.body[1:] if ast.get_docstring(node) else node.body
            for statement in body:
                lines |= {line.strip() for line in ast.unparse(statement).splitlines() if len(line.strip()) >= 30}
    return lines


def test_the_bundle_has_the_notebooks_the_wheel_requirements_and_a_readme(built):
    names = {str(p.relative_to(built)) for p in built.rglob("*") if p.is_file()}
    assert {f"notebooks/{a}/{a}.ipynb" for a in course_assignments()} <= names
    assert {"README.md", "requirements.txt"} <= names
    assert [n for n in names if n.startswith("wheels/cnn_course_student-") and n.endswith(".whl")]
    wheel = next(built.glob("wheels/*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        packages = {name.split("/")[0] for name in archive.namelist()}
        assert "cnn_course" in packages and all(p.endswith(".dist-info") for p in packages - {"cnn_course"}), packages
        files = set(archive.namelist())
    assert {f"cnn_course/fixtures/{a}.json" for a in course_assignments()} <= files
    assert "cnn_course/course_data/README.md" in files  # the course's data/, found by data_path when installed


def test_the_bundle_has_no_solution_hidden_test_or_reference_code(built):
    texts = bundle_texts(built)
    assert not [name for name in texts if "grader/" in name or "solutions/" in name]
    for name, text in texts.items():
        for secret in ("### BEGIN SOLUTION", "BEGIN HIDDEN", "record_hidden", "grader.reference", "import grader",
                       "from grader"):
            assert secret not in text, (name, secret)
    everything = "\n".join(texts.values())
    leaked = [line for line in reference_lines() if line in everything]
    assert not leaked, leaked


STUDENT_RUN = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    import nbformat
    from nbclient import NotebookClient
    import cnn_course, cnn_course.data
    try:
        import grader
        sys.exit("grader is importable")
    except ImportError:
        pass
    result = {"cnn_course": cnn_course.__file__, "data": str(cnn_course.data.data_path("README.md")), "errors": {}}
    for path in sorted(Path(sys.argv[1]).glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        result["errors"][path.stem] = [
            {"graded": bool(c.metadata.get("nbgrader", {}).get("grade")), "ename": o.ename}
            for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        result.setdefault("outputs", {})[path.stem] = sum(len(c.outputs) for c in nb.cells if c.cell_type == "code")
    print(json.dumps(result))
''')


def test_a_fresh_venv_with_only_the_bundle_runs_every_student_notebook(built, tmp_path):
    started = time.monotonic()
    venv = tmp_path / "venv"
    # A real fresh venv (no system site-packages). The pip of this environment installs into it
    # (pip --python), without compiling bytecode: 13 s instead of 33 s, and the same files.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER", "CNN_COURSE"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # As the bundle's README says (from the bundle folder), plus nbclient to run the notebooks here.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile",
                    "--disable-pip-version-check", "-r", "requirements.txt", "nbclient"],
                   cwd=built, env=env, check=True, capture_output=True, timeout=900)
    installed = time.monotonic()
    run = subprocess.run([str(python), "-c", STUDENT_RUN, str(built / "notebooks")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["cnn_course"].startswith(str(venv)), result["cnn_course"]  # the wheel's, not this checkout's
    assert result["data"].startswith(str(venv))
    assert set(result["errors"]) == set(course_assignments())
    for notebook, errors in result["errors"].items():
        assert all(e["graded"] for e in errors), (notebook, errors)  # errors, if any, only where tests are unsolved
        assert result["outputs"][notebook] > len(errors)  # pictures and prints ran too
    print(f"fresh venv: install {installed - started:.0f} s, run {time.monotonic() - installed:.0f} s")
