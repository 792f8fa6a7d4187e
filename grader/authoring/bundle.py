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

``--language zh`` makes the same bundle with the Chinese notebooks (``zh/notebooks/``) and README.
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

{exchange_commands}

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

STUDENT_README_ZH = """\
# 卷积神经网络到底是怎样工作的：用 numpy 从零实现——学生资料包（中文版）

完成本课程各个笔记本所需的一切：笔记本本身，以及课程的辅助包 `cnn_course`（交互图示，以及能指出你的错误的检查）。
笔记本的正文、提示信息、交互图示和检查的输出都是中文的。

在 Linux 上需要一种中文字体（macOS 和 Windows 自带）：Debian/Ubuntu 上运行 `sudo apt-get install fonts-noto-cjk`
（或者体积很小的 `fonts-wqy-microhei`），然后重启内核。没有中文字体时，交互图示中的图片文字保持英文，并在图下方说明原因。

## 安装（一次即可）

需要 Python >= 3.11，在这个文件夹中运行：

```sh
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt jupyterlab
.venv/bin/jupyter lab notebooks
```

（在 Windows 上：`.venv\\Scripts\\pip` 和 `.venv\\Scripts\\jupyter`。）以 root 身份运行时（例如在容器中），JupyterLab 要加上
`--allow-root` 才肯启动。如果你的班级使用 JupyterHub，那里已经装好了这一切：你从 Assignments 标签页获取笔记本。

## 在老师的机器上提交作业

如果你的班级通过一台你有账号的机器上的交换文件夹（exchange）提交作业（老师会告诉你它的路径，例如 `/home/prof/cnn-course-exchange`），
你还需要 nbgrader 的学生命令：

{exchange_commands}

如果不想每次都输入路径，可以把 `c.Exchange.root = "/home/prof/cnn-course-exchange"` 写进 `~/.jupyter/nbgrader_config.py`；
这样 JupyterLab 的 Assignments 标签页也能用了。截止日期之前可以再次提交：以最新的提交为准。截止日期之后的提交算迟交，
并且会取代之前的提交，除非老师评分时使用了 `--keep-on-time`：迟交之前请先问一问。

## 做作业

打开 `notebooks/NN_topic/NN_topic.ipynb`，阅读，拖动滑块，把每个 `raise NotImplementedError()` 换成你的代码，
然后运行它下面的测试单元格。
没有通过的测试会说明哪里不同，并在认出错误时指出它是哪种错误。交作业之后，隐藏测试会给你的作业评分；每个测试单元格要么得全部分数，
要么得零分。

后面的笔记本会用到你在前面笔记本中写的函数（03 用你的 `pad2d`，05 用你的 `conv2d`，07 几乎用到全部）：
每个笔记本靠前的一个单元格会从你前面的笔记本中复制它们。
请先完成并**保存**前面的笔记本（在 `notebooks/` 下它自己的文件夹中），然后再运行那个单元格。

## 用隐藏测试检查你的作业

```sh
.venv/bin/python -m cnn_course check notebooks/02_padding_stride/02_padding_stride.ipynb
```

会运行你的笔记本（不会修改它），并用可见测试以及那些不泄露答案也能检查的隐藏用例来评判它（这个资料包中只有每个答案的指纹）。
答案是单个小数字或一个错误的用例会标记为 `?`，即“在这里无法检查”：取值很少的答案，它的指纹会把答案泄露出去。这些用例由老师的评分决定。

加上 `--json` 会输出一个 JSON 对象而不是表格（供脚本或编辑器使用）。只要能够检查，无论结果如何，它都以 0 退出；无法检查时（文件不存在、
不是课程的笔记本）以 2 退出，并给出一行原因。它花的时间和运行一遍笔记本差不多（几秒钟；07 要训练一个网络）。
"""
#: nbgrader's student commands, in every README (a comment says where the work is done).
EXCHANGE_COMMANDS = """\
```sh
.venv/bin/pip install nbgrader
.venv/bin/nbgrader fetch_assignment 02_padding_stride --course cnn-course --Exchange.root=/home/prof/cnn-course-exchange
# {work_here}
.venv/bin/nbgrader submit 02_padding_stride --course cnn-course --Exchange.root=/home/prof/cnn-course-exchange
.venv/bin/nbgrader fetch_feedback 02_padding_stride --course cnn-course --Exchange.root=/home/prof/cnn-course-exchange
```"""
WORK_HERE = {"en": "... work in 02_padding_stride/02_padding_stride.ipynb, then:",
             "zh": "……在 02_padding_stride/02_padding_stride.ipynb 中完成作业，然后："}
#: The student README of each language of the bundle.
STUDENT_READMES = {"en": STUDENT_README, "zh": STUDENT_README_ZH}

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
"*" = ["*.json", "hidden/*.json", "locale/*/LC_MESSAGES/*.mo", "{PACKAGED_DATA}/**/*"]
"""


def student_dependencies(project: dict) -> list[str]:
    """The course's requirements that the student package and notebooks import (numpy, matplotlib, ipywidgets,
    anywidget, tqdm)."""
    wanted = ("numpy", "matplotlib", "ipywidgets", "anywidget", "tqdm")
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


#: The end of a case's description that gives its answer away: "... -> 195", "... → 5x5", "... = 15" (a number after
#: a spaced "=": "bias=False", "N=3" and "h = 1e-4" are arguments, and stay).
_ANSWER_IN_NOTE = re.compile(r"\s*(?:->|→)\s*[^,;:()]*$|\s+=\s+[-+]?[\d.]+(?:\s*[x×]\s*[\d.]+)*$")


#: Why a hidden set judged by a rule (07's training) cannot be checked by the bundle.
UNVERIFIABLE = "it is judged by a rule with the reference code, not by comparing answers"


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
            entry["unverifiable"] = UNVERIFIABLE
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


def hidden_messages(answers: dict) -> set[str]:
    """What the bundle's check says of one notebook's hidden sets beside its own words: notes, hints, why unverifiable."""
    said = set()
    for case_set in answers["case_sets"].values():
        said |= {case_set["unverifiable"]} if case_set.get("unverifiable") else set()
        for case in case_set["cases"]:
            said |= {case["note"]} | {variant["hint"] for variant in case["variants"]}
    return said


def write_hidden_translations(said: set[str], package_root: Path, source_root: Path = COURSE_ROOT) -> list[Path]:
    """``cnn_course/locale/<language>/LC_MESSAGES/hidden.mo`` under ``package_root``: the translations of ``said``
    (from the grader's catalogue), which the student package's own catalogue does not hold."""
    from .translate import LANGUAGES, translations, write_messages

    written = []
    for language in LANGUAGES:
        known = {**translations("grader", language, source_root), **translations("cnn_course", language, source_root)}
        chosen = {message: known[message] for message in sorted(said) if message in known}
        if chosen:
            written.append(write_messages(chosen, language, package_root / "cnn_course" / "locale" / language
                                          / "LC_MESSAGES" / "hidden.mo"))
    return written


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
        said: set[str] = set()
        for assignment in assignments(source_root):
            answers = hidden_answers(assignment)
            said |= hidden_messages(answers)
            (work / "cnn_course" / "hidden" / f"{assignment}.json").write_text(json.dumps(answers))
        write_hidden_translations(said, work, source_root)
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


def bundle(out: Path = DEFAULT_OUT, source_root: Path = COURSE_ROOT, language: str = "en",
           wheel: Path | None = None) -> Path:
    """Write the student bundle to ``out`` (replaced if it exists); return ``out``. ``language``: "en", or one of
    the course's translations (``zh``: the Chinese notebooks and README; the same wheel). ``wheel``: the wheel of
    another bundle of the same course, copied instead of built again (each language's bundle carries the same one)."""
    if language not in STUDENT_READMES:
        raise ValueError(f"language must be one of {', '.join(STUDENT_READMES)}, got {language!r}")
    out = Path(out).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    project = tomllib.loads((source_root / "pyproject.toml").read_text())["project"]
    with tempfile.TemporaryDirectory(prefix="cnn-course-bundle-") as build:
        release(source_root, Path(build))  # student versions from the sources, not from a working copy
        notebooks = Path(build) / RELEASE_DIRECTORY if language == "en" else Path(build) / language / RELEASE_DIRECTORY
        shutil.copytree(notebooks, out / "notebooks", ignore=_JUNK)
    if wheel is None:
        build_wheel(out / "wheels", source_root)
    else:
        (out / "wheels").mkdir()
        shutil.copy2(wheel, out / "wheels" / Path(wheel).name)
    (out / "requirements.txt").write_text(REQUIREMENTS.format(distribution=DISTRIBUTION, version=project["version"]))
    title = project["description"].split(":")[0]
    commands = EXCHANGE_COMMANDS.format(work_here=WORK_HERE[language])
    (out / "README.md").write_text(STUDENT_READMES[language].format(title=title, exchange_commands=commands),
                                   encoding="utf-8")
    return out
