"""The student bundle (``python -m grader bundle``) has everything a student needs and nothing of the instructor's.

Content checks read the bundle's files and the wheel's. The bundle is then installed into a fresh
virtual environment (no system site-packages, no access to this checkout), where every notebook runs
top to bottom with nbclient, untouched (Run All must go through and show every picture) and as a
perfect student hands it in (no error anywhere).
"""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.authoring.bundle import DISTRIBUTION, LAB_OVERRIDES, bundle
from grader.cases import CASE_SETS
from grader.config import assignments as course_assignments
from grader.course import reference
from grader.course.catalogue import wrong_for
from tests.course_copies import solved_notebook, with_sources

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bundle")]  # its module fixture is made once


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return bundle(tmp_path_factory.mktemp("bundle") / "student-bundle")


@pytest.fixture(scope="module")
def built_zh(built, tmp_path_factory) -> Path:
    """The Chinese bundle (``grader bundle --language zh``), with the English bundle's wheel (the same one)."""
    return bundle(tmp_path_factory.mktemp("bundle-zh") / "student-bundle", language="zh",
                  wheel=next((built / "wheels").glob("*.whl")))


#: Data files (numbers, not code): the digits of notebook 07.
BINARY = (".npz", ".npy", ".png", ".jpg")


def bundle_texts(folder: Path) -> dict[str, str]:
    """Every text in the bundle by name: its files, and the files inside its wheel."""
    texts = {}
    for path in folder.rglob("*"):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                texts.update({f"{path.name}/{name}": _text(name, wheel.read(name)) for name in wheel.namelist()
                              if not name.endswith(BINARY)})
        elif path.is_file() and not path.name.endswith(BINARY):
            texts[str(path.relative_to(folder))] = path.read_text()
    return texts


def _text(name: str, data: bytes) -> str:
    """A file's text; a compiled catalogue's (``.mo``) is its messages and their translations."""
    if name.endswith(".mo"):
        import gettext
        import io

        return "\n".join(f"{english}\n{translated}" for english, translated in
                         gettext.GNUTranslations(io.BytesIO(data))._catalog.items() if isinstance(english, str))
    return data.decode()


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
        assert "cnn_course" in packages and all(p.endswith((".dist-info", ".data")) for p in packages - {"cnn_course"}), packages
        files = set(archive.namelist())
    # the only file installed outside the package: JupyterLab's setting defaults (no news pop-up)
    assert [name.split(".data/data/", 1)[-1] for name in files if ".data/" in name] == [
        f"{LAB_OVERRIDES}/{DISTRIBUTION}.json"]
    assert {f"cnn_course/fixtures/{a}.json" for a in course_assignments()} <= files
    assert "cnn_course/course_data/README.md" in files  # the course's data/, found by data_path when installed
    # the course's own words in Chinese: the package's, and the hidden cases' notes and hints this bundle checks
    assert {"cnn_course/locale/zh/LC_MESSAGES/cnn_course.mo", "cnn_course/locale/zh/LC_MESSAGES/hidden.mo"} <= files


def test_the_chinese_bundle_is_the_same_bundle_with_chinese_notebooks_and_readme(built, built_zh):
    files = sorted(str(p.relative_to(built)) for p in built.rglob("*") if p.is_file())
    assert sorted(str(p.relative_to(built_zh)) for p in built_zh.rglob("*") if p.is_file()) == files
    assert (built_zh / "requirements.txt").read_text() == (built / "requirements.txt").read_text()
    readme = (built_zh / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# 卷积神经网络") and "--allow-root" in readme and "cnn_course check" in readme
    for assignment in course_assignments():
        english, chinese = (nbformat.read(folder / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
                            for folder in (built, built_zh))
        assert chinese.metadata["cnn_course"]["language"] == "zh"
        assert [(c.id, c.source if c.cell_type == "code" else c.cell_type) for c in chinese.cells] == \
               [(c.id, c.source if c.cell_type == "code" else c.cell_type) for c in english.cells]
    with pytest.raises(ValueError, match="language must be one of en, zh"):
        bundle(built.parent / "other", language="fr")


def test_the_bundle_has_no_solution_hidden_test_or_reference_code(built):
    texts = bundle_texts(built)
    assert not [name for name in texts if "grader/" in name or "solutions/" in name]
    for name, text in texts.items():
        for secret in ("### BEGIN SOLUTION", "BEGIN HIDDEN", "record_hidden", "grader.course.reference", "import grader",
                       "from grader"):
            assert secret not in text, (name, secret)
    everything = "\n".join(texts.values())
    leaked = [line for line in reference_lines() if line in everything]
    assert not leaked, leaked


def small_answers(digits: int) -> list[str]:
    """What an attacker tries first, as ``selfcheck.canonical`` writes it: every integer up to 1000 in size, pairs and
    triples of small ones, booleans, and floats that are multiples of 1/8 up to 50."""
    import itertools

    from cnn_course.selfcheck import canonical

    guesses = [canonical(v, digits) for v in (True, False, None, *range(-1000, 1001))]
    guesses += [canonical(tuple(p), digits) for p in itertools.product(range(-12, 13), repeat=2)]
    guesses += [canonical(tuple(p), digits) for p in itertools.product(range(-4, 5), repeat=3)]
    guesses += [canonical(k / 8, digits) for k in range(-400, 401)]
    return guesses


def test_no_digest_in_the_wheel_gives_way_to_brute_force(built):
    """The wheel ships digests of hidden answers and of their typical mistakes. Digests of mistakes one step off a
    small answer ("forgot the + 1": 13 where conv_output_size's answer is 14) were brute-forced in seconds: 267 of
    460. Now every digest resists the guesses an attacker tries first."""
    import hashlib

    wheel = next(built.glob("wheels/*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        shipped = [json.loads(archive.read(name)) for name in archive.namelist() if "/hidden/" in name]
    digests = [entry for notebook in shipped for case_set in notebook["case_sets"].values() for case in case_set["cases"]
               for entry in [case.get("answer"), *case["variants"]] if entry]
    assert len(digests) > 500  # the check is no empty one
    guesses = {digits: [g.encode() for g in small_answers(digits)] for digits in {e["digits"] for e in digests}}
    recovered = []
    for entry in digests:
        salted = hashlib.sha256(f"{entry['salt']}\0".encode())
        for guess in guesses[entry["digits"]]:
            attempt = salted.copy()
            attempt.update(guess)
            if attempt.hexdigest() == entry["digest"]:
                recovered.append((entry.get("hint", "the answer"), guess))
                break
    assert recovered == []


FRESH_RUN = textwrap.dedent('''
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
    out = Path(sys.argv[1])
    for folder in map(Path, sys.argv[2:]):  # each notebook runs from its own folder, as in the lab
        for path in sorted(folder.glob("*/*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            (out / folder.name).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out / folder.name / path.name)
    print(json.dumps({"cnn_course": cnn_course.__file__, "data": str(cnn_course.data.data_path("README.md"))}))
''')


@pytest.fixture(scope="module")
def fresh_run(built, built_zh, built_course, tmp_path_factory) -> dict:
    """The bundle installed into a fresh venv, which runs every notebook top to bottom with nbclient.

    Two versions of each notebook run there: the untouched student version (the bundle's) and a perfect
    student's (its answer cells filled in from the solution; no hidden tests, as handed in) in Chinese (the
    Chinese bundle's notebook: the same cells and code, and the same wheel).
    Returns what the kernel reported and the executed notebooks: ``{"untouched"|"solved": {assignment: nb}}``.
    """
    tmp_path = tmp_path_factory.mktemp("fresh-venv")
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
    solved = tmp_path / "solved"
    for assignment in course_assignments():
        (solved / assignment).mkdir(parents=True)
        nbformat.write(solved_notebook(built_course / "zh", assignment), solved / assignment / f"{assignment}.ipynb")
        assert nbformat.read(built_zh / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4).cells[0].source \
            == nbformat.read(built_course / "zh" / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4).cells[0].source
    executed = tmp_path / "executed"
    run = subprocess.run([str(python), "-c", FRESH_RUN, str(executed), str(built / "notebooks"), str(solved)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    print(f"fresh venv: install {installed - started:.0f} s, run {time.monotonic() - installed:.0f} s")
    report = json.loads(run.stdout.splitlines()[-1])
    report.update(venv=venv, python=python, env=env, solved_folder=solved)
    for kind, folder in (("untouched", "notebooks"), ("solved", "solved")):
        report[kind] = {a: nbformat.read(executed / folder / f"{a}.ipynb", as_version=4) for a in course_assignments()}
    return report


def test_the_bundles_lab_asks_no_news_question(fresh_run):
    """JupyterLab's news pop-up would cover every widget: the wheel installs defaults that turn it off."""
    from jupyterlab_server.settings_utils import _get_overrides

    settings = fresh_run["venv"] / "share" / "jupyter" / "lab" / "settings"
    overrides, error = _get_overrides(str(settings))  # as JupyterLab reads them (jupyterlab_server)
    assert not error, error
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_a_fresh_venv_with_only_the_bundle_runs_every_notebook(fresh_run):
    # the wheel's package and data, not this checkout's (and grader is not importable: FRESH_RUN)
    assert fresh_run["cnn_course"].startswith(str(fresh_run["venv"])), fresh_run["cnn_course"]
    assert fresh_run["data"].startswith(str(fresh_run["venv"]))
    assert set(fresh_run["untouched"]) == set(fresh_run["solved"]) == set(course_assignments())


def errors(nb) -> list[str]:
    """The ids of code cells with an error output."""
    return [c.id for c in nb.cells if c.cell_type == "code" and any(o.output_type == "error" for o in c.outputs)]


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PICTURE_MIMES = ("image/png", "image/svg+xml", WIDGET_MIME)


def pictures(nb) -> dict[str, set[str]]:
    """For each cell that shows a picture or a widget, which kinds it shows."""
    shown = {}
    for cell in nb.cells:
        kinds = {mime for o in cell.get("outputs", []) for mime in (o.get("data") or {}) if mime in PICTURE_MIMES}
        if kinds:
            shown[cell.id] = kinds
    return shown


@pytest.mark.parametrize("assignment", course_assignments())
def test_a_perfect_student_runs_cleanly_with_every_picture(assignment, fresh_run):
    """The student version with the solution's answers: no error anywhere (visible tests pass), pictures shown."""
    nb = fresh_run["solved"][assignment]
    assert errors(nb) == []
    assert pictures(nb), "the solved notebook shows no picture or widget"


@pytest.mark.parametrize("assignment", course_assignments())
def test_run_all_on_the_untouched_student_version_goes_through(assignment, fresh_run):
    """Run All stops at the first error: an untouched notebook must have none, and show every picture and widget.

    Its visible tests report "not implemented yet" in red (an HTML output), without raising.
    """
    nb = fresh_run["untouched"][assignment]
    assert errors(nb) == []
    for cell in nb.cells:
        case_set = CASE_SETS.get(cell.metadata.get("nbgrader", {}).get("grade_id", ""))
        if case_set is not None and case_set.visible:
            reports = [o for o in cell.outputs if "text/html" in (o.get("data") or {})]
            assert reports and "not implemented yet" in reports[-1].data["text/plain"], cell.id
            assert "Traceback" not in json.dumps(cell.outputs)
    shown, wanted = pictures(nb), pictures(fresh_run["solved"][assignment])
    missing = {cell: kinds - shown.get(cell, set()) for cell, kinds in wanted.items() if kinds - shown.get(cell, set())}
    # A picture of what the student's own (unwritten) functions compute, e.g. the curves of a network
    # they have not trained yet, may instead say what to implement first; widgets always render.
    said = {cell.id for cell in nb.cells if cell.cell_type == "code"
            and re.search(r"\b(Implement|implement|Train|first)\b", json.dumps([o.get("text", "") for o in cell.outputs]))}
    missing = {cell: kinds for cell, kinds in missing.items() if WIDGET_MIME in kinds or cell not in said}
    assert not missing, f"pictures or widgets the untouched student version does not show: {missing}"


def cnn_course_check(fresh_run, notebook: Path) -> dict:
    """``python -m cnn_course check NOTEBOOK --json`` in the fresh venv (no repository, no grader)."""
    run = subprocess.run([str(fresh_run["python"]), "-m", "cnn_course", "check", str(notebook), "--json"],
                         cwd=notebook.parent, env=fresh_run["env"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "WARNING" not in run.stderr and "IPKernelApp" not in run.stderr, run.stderr  # the kernel's log is not theirs
    return {test["name"]: test for test in json.loads(run.stdout)["tests"]}


def test_a_bundle_learner_gets_a_hidden_verdict_without_the_answers(fresh_run, tmp_path):
    """Solved: every hidden set passes or says it cannot be verified; a typical mistake fails with its hint."""
    solved = fresh_run["solved_folder"] / "03_correlation_convolution" / "03_correlation_convolution.ipynb"
    tests = cnn_course_check(fresh_run, solved)  # 03 brings pad2d from ../02_padding_stride, as in the lab
    assert {name for name in tests if name.endswith("_hidden")} == {
        s.id for s in CASE_SETS.values() if s.notebook == "03_correlation_convolution" and not s.visible}
    assert all(test["passed"] is not False for test in tests.values()), tests
    assert tests["test_conv2d_hidden"]["passed"] is True

    # The same mistake in the Chinese notebook (the solved ones here) and in the English one: its hint in each one's words.
    mistake = next(w for w in wrong_for("pad2d") if w.label == "pad added at the bottom/right only")
    english = solved_notebook(ROOT, "02_padding_stride")
    chinese = nbformat.read(fresh_run["solved_folder"] / "02_padding_stride" / "02_padding_stride.ipynb", as_version=4)
    for language, nb, hint, unverifiable in (
            ("zh", chinese, "填充总共只加了一次", "这里无法检查，只有老师的评分能判断"),
            ("en", english, "pad applied once in total", "cannot be checked here, only by your instructor's grading")):
        folder = tmp_path / language / "02_padding_stride"
        folder.mkdir(parents=True)
        nbformat.write(with_sources(nb, {"pad2d": mistake.source}), folder / "02_padding_stride.ipynb")
        tests = cnn_course_check(fresh_run, folder / "02_padding_stride.ipynb")
        assert tests["test_pad2d_hidden"]["passed"] is False
        assert hint in "\n".join(tests["test_pad2d_hidden"]["lines"]), tests["test_pad2d_hidden"]["lines"]
        assert tests["test_pad2d_visible"]["passed"] is False
        assert hint in "\n".join(tests["test_pad2d_visible"]["lines"]), tests["test_pad2d_visible"]["lines"]
        assert tests["test_conv_output_size_hidden"]["passed"] is None  # small numbers: not shipped
        said = "\n".join(tests["test_conv_output_size_hidden"]["lines"])
        assert unverifiable in said, said
