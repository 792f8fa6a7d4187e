"""``python -m grader bundle``: what students get, and nothing else.

The bundle (``dist/student-bundle/`` by default) holds:

- ``notebooks/NN_topic/NN_topic.ipynb``: the student versions, built afresh from the sources
  (never a working copy someone has typed into);
- ``wheels/cnn_course_student-<version>-py3-none-any.whl``: the student package ``cnn_course``
  (widgets, visible checks, recording, fixtures) and the course's ``data/`` files as its package data,
  built by setuptools from a generated minimal project: never ``grader/``, solutions or hidden tests; it also
  installs JupyterLab setting defaults (``LAB_DEFAULTS``: no news pop-up) into the environment;
- ``cnn_course/hidden/NN_topic.json`` in that wheel: each hidden case's arguments with salted digests of its
  rounded answer and of the typical mistakes' answers (:func:`hidden_answers`), so that
  ``python -m cnn_course check`` gives a verdict without the answers (``cnn_course.selfcheck`` says why it is safe);
- ``requirements.txt``: what a kernel needs to run the notebooks (the wheel, found in ``wheels/``, ipykernel, and
  nbclient for ``python -m cnn_course check``);
- ``README.md``: how a student installs it and starts.
"""
from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import numpy as np

from cnn_course import record, selfcheck

from ..config import COURSE_ROOT, RELEASE_DIRECTORY, assignments
from .build import release

DISTRIBUTION = "cnn-course-student"
#: Where JupyterLab reads packages' setting defaults, under the environment's prefix (jupyterlab_server's overrides.d).
LAB_OVERRIDES = "share/jupyter/lab/settings/overrides.d"
#: The bundle's lab: no "official Jupyter news?" question nor update check popping up over every widget.
LAB_DEFAULTS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
DEFAULT_OUT = COURSE_ROOT / "dist" / "student-bundle"
#: Where the course's data/ goes inside the package (cnn_course.data falls back to it when installed).
PACKAGED_DATA = "course_data"
_JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")

STUDENT_README = """\
# {title} — student bundle

Everything you need to do the course's notebooks: the notebooks themselves and the course's
helper package `cnn_course` (interactive pictures, checks that name your mistake).

## Install (once)

With Python >= 3.11, in this folder:

```sh
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt jupyterlab
.venv/bin/jupyter lab notebooks
```

(On Windows: `.venv\\Scripts\\pip` and `.venv\\Scripts\\jupyter`.) As root (in a container, say) JupyterLab
refuses to start until you add `--allow-root`. If your class runs on a JupyterHub, the hub has all of this
already: you get the notebooks from the Assignments tab.

## Handing in on your instructor's machine

If your class hands in through an exchange folder on a machine you have an account on (your instructor
gives you its path, e.g. `/home/prof/cnn-course-exchange`), you also need nbgrader's student commands:

```sh
.venv/bin/pip install nbgrader
.venv/bin/nbgrader fetch_assignment 02_padding_stride --course cnn-course --Exchange.root=/home/prof/cnn-course-exchange
# ... work in 02_padding_stride/02_padding_stride.ipynb, then:
.venv/bin/nbgrader submit 02_padding_stride --course cnn-course --Exchange.root=/home/prof/cnn-course-exchange
.venv/bin/nbgrader fetch_feedback 02_padding_stride --course cnn-course --Exchange.root=/home/prof/cnn-course-exchange
```

To type the path once, put `c.Exchange.root = "/home/prof/cnn-course-exchange"` in
`~/.jupyter/nbgrader_config.py`; JupyterLab's Assignments tab then works too. You may submit again before
the due date: the newest submission counts. One after the due date is late, and replaces the earlier one
unless your instructor grades with `--keep-on-time`: ask before you resubmit late.

## Work

Open `notebooks/NN_topic/NN_topic.ipynb`, read, move the sliders, replace each
`raise NotImplementedError()` with your code and run the test cell below it. A failing test says
what differs and, when it recognises the mistake, names it. Hidden tests grade your work when you
hand it in; they score each test cell all or nothing.

Later notebooks use your own functions from earlier ones (03 your `pad2d`, 05 your `conv2d`, 07 nearly
everything): a cell near the top of each copies them from your earlier notebook. Finish and **save** the
earlier notebook first (in its folder under `notebooks/`), then run that cell.

## Check your work with the hidden tests

```sh
.venv/bin/python -m cnn_course check notebooks/02_padding_stride/02_padding_stride.ipynb
```

runs your notebook (it is not changed) and judges it with the visible tests and with the hidden cases
that can be checked without giving their answers away (this bundle holds only a fingerprint of each
answer). Cases whose answer is a single small number or an error are marked `?`, "cannot be checked here":
a fingerprint of a value with few possibilities would give it away. Your instructor's grading decides those.

Add `--json` for one JSON object instead of the table (for a script or an editor). It exits 0 whenever it
could check, whatever the result, and 2 with a one-line reason when it could not (no such file, not one of
the course's notebooks). It takes about as long as running the notebook (a few seconds; 07 trains a network).
"""

REQUIREMENTS = """\
# What a kernel needs to run the course's notebooks. From this folder: pip install -r requirements.txt
--find-links wheels
{distribution}=={version}
ipykernel>=6
# runs a notebook for `python -m cnn_course check` (JupyterLab brings it too)
nbclient>=0.7
"""


def _pyproject(version: str, dependencies: list[str]) -> str:
    """The generated minimal project: only the ``cnn_course`` packages, their fixtures and the course data."""
    deps = ", ".join(f'"{d}"' for d in dependencies)
    return f"""\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{DISTRIBUTION}"
version = "{version}"
description = "The student package of the CNN course: widgets, visible checks, recording."
requires-python = ">=3.11"
dependencies = [{deps}]

[tool.setuptools.packages.find]
include = ["cnn_course*"]

# JupyterLab's defaults for this environment (overrides.d, one file per package): no news pop-up over the widgets
[tool.setuptools.data-files]
"{LAB_OVERRIDES}" = ["lab/{DISTRIBUTION}.json"]

[tool.setuptools.package-data]
"*" = ["*.json", "hidden/*.json", "{PACKAGED_DATA}/**/*"]
"""


def student_dependencies(project: dict) -> list[str]:
    """The course's requirements that the student package and notebooks import (numpy, matplotlib, ipywidgets, tqdm)."""
    wanted = ("numpy", "matplotlib", "ipywidgets", "tqdm")
    return [d for d in project["dependencies"] if d.split(">")[0].split("=")[0].split("<")[0].strip() in wanted]


def _digested(outcome: dict, digits: int) -> dict:
    """An outcome as ``{"digits", "salt", "digest"}``: what the wheel holds instead of it (a fresh salt each)."""
    salt = secrets.token_hex(8)
    return {"digits": digits, "salt": salt, "digest": selfcheck.digest(selfcheck.outcome_text(outcome, digits), salt)}


def guessable(outcome: dict, digits: int) -> bool:
    """Whether a digest of ``outcome`` could be brute-forced: a value of fewer than ``selfcheck.MIN_BITS``. An
    error (its type and message) is not a guess at a number, and says nothing of the right answer."""
    if "error" in outcome:
        return False
    return selfcheck.answer_bits(record.decode(outcome["value"]), digits) < selfcheck.MIN_BITS


#: The end of a case's description that gives its answer away: "... -> 195", "... → 5x5", "... = 15".
_ANSWER_IN_NOTE = re.compile(r"\s*(->|→|=)\s*[^,;:()]*$")


def unanswered_note(note: str) -> str:
    """A hidden case's description without the answer it ends with, for a case the bundle ships no answer of."""
    return _ANSWER_IN_NOTE.sub("", note) or note


def hidden_answers(assignment: str) -> dict:
    """The hidden case sets of one notebook as the student wheel ships them: arguments, digests, hints.

    A right answer is left out (``"answer": None``) when it raises, when a digest of it could be
    brute-forced (fewer than ``selfcheck.MIN_BITS``, :func:`guessable`) or when no rounding is safe for it; a set
    judged by a rule instead of equality (07's training) is marked unverifiable. Typical mistakes' answers are
    digested with their hints, except those that could be brute-forced too: a mistake is often one step off the
    answer ("forgot the + 1": 13 where the answer is 14), so its digest would give the answer away.
    """
    from ..cases import for_notebook
    from ..course.verdict import custom_judge, expected_outcome, variant_outcomes

    case_sets = {}
    for case_set in for_notebook(assignment):
        if case_set.visible:
            continue
        entry = {"function": case_set.function, "cases": []}
        if custom_judge(case_set):
            entry["unverifiable"] = "it is judged by a rule with the reference code, not by comparing answers"
            entry["cases"] = [{"note": unanswered_note(case.note), "args": None, "variants": []}
                              for case in case_set.cases()]
            case_sets[case_set.id] = entry
            continue
        for case in case_set.cases():
            right = expected_outcome(case_set.function, case.args, case.names)
            answer = None
            if "error" not in right:
                value = record.decode(right["value"])
                digits = selfcheck.safe_digits(value)
                if digits is not None and not guessable(right, digits):
                    answer = _digested(right, digits)
                    if isinstance(value, np.ndarray):
                        answer["shown"] = {"shape": list(value.shape), "dtype": value.dtype.str}
            digits = answer["digits"] if answer else selfcheck.DIGITS[0]
            right_text = selfcheck.outcome_text(right, digits)
            # a mistake whose rounded answer is the right one's cannot be told apart from it: left out; so is one
            # whose answer could be brute-forced (a small number): typical mistakes are one step off the answer
            variants = [{"hint": hint, **_digested(outcome, digits)}
                        for hint, outcome in variant_outcomes(case_set.function, case.args)
                        if selfcheck.outcome_text(outcome, digits) != right_text and not guessable(outcome, digits)]
            # a case the learner cannot check must not tell its answer in its description either ("... -> 195")
            note = case.note if answer is not None else unanswered_note(case.note)
            entry["cases"].append({"note": note, "args": record.encode(case.args), "answer": answer,
                                   "variants": variants})
        case_sets[case_set.id] = entry
    return {"notebook": assignment, "case_sets": case_sets}


def build_wheel(out: Path, source_root: Path = COURSE_ROOT) -> Path:
    """Build the ``cnn-course-student`` wheel into ``out``; return its path.

    Inputs: the folder for the wheel, the course folder. The project is generated in a temporary folder
    with a copy of ``cnn_course/`` and ``data/`` (as ``cnn_course/course_data``), built by pip (setuptools).
    """
    project = tomllib.loads((source_root / "pyproject.toml").read_text())["project"]
    with tempfile.TemporaryDirectory(prefix="cnn-course-wheel-") as work:
        work = Path(work)
        shutil.copytree(source_root / "cnn_course", work / "cnn_course", ignore=_JUNK)
        (work / "cnn_course" / "hidden").mkdir()
        for assignment in assignments(source_root):
            (work / "cnn_course" / "hidden" / f"{assignment}.json").write_text(json.dumps(hidden_answers(assignment)))
        if (source_root / "data").is_dir():
            shutil.copytree(source_root / "data", work / "cnn_course" / PACKAGED_DATA, ignore=_JUNK)
        (work / "lab").mkdir()
        (work / "lab" / f"{DISTRIBUTION}.json").write_text(json.dumps(LAB_DEFAULTS, indent=1))
        (work / "pyproject.toml").write_text(_pyproject(project["version"], student_dependencies(project)))
        out.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out),
                               str(work)], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"building the student wheel failed: {done.stderr.strip().splitlines()[-1:]}")
    return next(out.glob("cnn_course_student-*.whl"))


def bundle(out: Path = DEFAULT_OUT, source_root: Path = COURSE_ROOT) -> Path:
    """Write the student bundle to ``out`` (replaced if it exists); return ``out``."""
    out = Path(out).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    project = tomllib.loads((source_root / "pyproject.toml").read_text())["project"]
    with tempfile.TemporaryDirectory(prefix="cnn-course-bundle-") as build:
        release(source_root, Path(build))  # student versions from the sources, not from a working copy
        shutil.copytree(Path(build) / RELEASE_DIRECTORY, out / "notebooks", ignore=_JUNK)
    build_wheel(out / "wheels", source_root)
    (out / "requirements.txt").write_text(REQUIREMENTS.format(distribution=DISTRIBUTION, version=project["version"]))
    title = project["description"].split(":")[0]
    (out / "README.md").write_text(STUDENT_README.format(title=title))
    return out
