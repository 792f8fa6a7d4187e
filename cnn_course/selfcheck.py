"""``python -m cnn_course check NOTEBOOK``: a hidden-test verdict for a learner who has only the student bundle.

The bundle has no reference code and no hidden answers. What it ships instead, per notebook
(``cnn_course/hidden/NN_topic.json``, written by ``grader.authoring.bundle`` when the wheel is built, never
committed), is each hidden case's arguments and a *salted SHA-256 digest* of its expected answer
rounded to a few significant digits (nbgrader's ``### HASHED AUTOTEST`` idea), plus digests of the
typical mistakes' answers with their hints. Here the notebook runs top to bottom in a kernel
(never written back), the learner's functions are called on those arguments, and the digest of
each answer is compared.

Why this keeps the answers safe, and where it does not:

- A digest can only be checked against a guess; guessing an array of many numbers means computing
  it, i.e. writing the function. So an answer is shipped only when it holds enough information
  (:data:`MIN_BITS`, estimated by :func:`answer_bits`): a single small integer (conv_output_size,
  same_padding, the parameter counts), a single float, a bool, or "raises ValueError" could be
  brute-forced from its digest in well under a second, so such cases are *not* shipped and the
  verdict says "cannot be checked here, only by your instructor's grading" for them. The per-case salt stops
  precomputed tables, not guessing.
- Shapes and dtypes of shipped answers are in the clear (for messages like "has shape (3, 4),
  expected (4, 4)"); they say no more than the arguments do.
- Rounding: the grader compares floats to a relative 1e-9; a digest needs exact equality, so both
  sides round to ``digits`` significant digits. The builder picks, per case, a number of digits at
  which no element of the right answer lies near a rounding boundary (it re-rounds the answer nudged
  by 1e-7 relative either way and needs the same text), so any answer within the grader's tolerance
  gets the same digest. A case where no such number exists is not shipped. The check is a little
  more lenient than grading: an answer right to ``digits`` digits but not to 1e-9 passes here.
- Training (07's ``train_tiny_cnn``) is judged by accuracy with the reference network: not shipped.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from . import record
from .checks import HINT, POINTS, aliasing_hint, modified_problem, raised, report, view_problem
from .i18n import ENVIRONMENT, N_, notebook_language, speaking, tr

#: A hidden case's answer is not the shipped digest's, and no typical mistake's either.
DIFFERS = N_("the result differs from the hidden answer")

#: Answers estimated to hold fewer bits than this are not shipped: a digest of them is as good as the answer.
MIN_BITS = 48
#: Significant digits tried, in order of preference, when rounding an answer for its digest.
DIGITS = (6, 5, 7, 4, 8)
#: Relative nudge the chosen rounding must survive (the grader's tolerance is 1e-9: a wide margin).
NUDGE = 1e-7
#: A number this small counts as 0 (above the grader's atol of 1e-11: what grading accepts as 0 is "0" here).
ZERO = 1e-10


def _round_text(value: float, digits: int) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if abs(value) <= ZERO:
        return "0"
    return f"{value:.{digits}g}"


def canonical(value: Any, digits: int) -> str:
    """The text whose digest stands for ``value``: its structure, dtypes, shapes and numbers rounded to ``digits``."""
    if isinstance(value, tuple):
        return "(" + ",".join(canonical(v, digits) for v in value) + ")"
    if isinstance(value, np.ndarray):
        head = f"a{value.dtype.kind}{value.dtype.itemsize}{value.shape}:"
        if value.dtype.kind in "iub":
            return head + ",".join(str(int(v)) for v in value.ravel())
        return head + ",".join(_round_text(float(v), digits) for v in value.ravel())
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        return "f" + _round_text(value, digits)
    return f"?{value!r}"


def outcome_text(outcome: dict, digits: int) -> str:
    """What a recorded outcome is, as digest input: the rounded value, or the error's type and message."""
    if "error" in outcome:
        return f"error:{outcome['error'].get('type')}:{outcome['error'].get('message')}"
    return canonical(record.decode(outcome["value"]), digits)


def digest(text: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}\0{text}".encode()).hexdigest()


def _numbers(value: Any) -> list:
    if isinstance(value, tuple):
        return [n for v in value for n in _numbers(v)]
    if isinstance(value, np.ndarray):
        return value.ravel().tolist()
    return [value]


def answer_bits(value: Any, digits: int) -> float:
    """A rough upper bound on how many guesses an answer takes, in bits: what a digest of it would resist.

    An integer ``v`` is one of about ``2|v| + 2`` values, a float one of ``2 * 10**digits`` mantissas
    times some 30 likely exponents; a bool one bit.
    """
    bits = 0.0
    for number in _numbers(value):
        if isinstance(number, bool):
            bits += 1
        elif isinstance(number, int):
            bits += math.log2(2 * abs(number) + 2)
        elif isinstance(number, float):
            bits += 0.0 if number == 0 else math.log2(2 * 10 ** digits * 30)
        else:
            bits += 8
    return bits


def safe_digits(value: Any) -> int | None:
    """Significant digits at which ``value`` rounds the same when nudged by :data:`NUDGE` either way, or None.

    None too when a number lies near :data:`ZERO` (within a factor 10), where "0" and not "0" meet.
    """
    if any(isinstance(n, float) and ZERO / 10 <= abs(n) <= ZERO * 10 for n in _numbers(value)):
        return None
    def nudged(v: Any, factor: float) -> Any:
        if isinstance(v, tuple):
            return tuple(nudged(x, factor) for x in v)
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            return v * factor
        if isinstance(v, float) and not isinstance(v, bool):
            return v * factor
        return v
    for digits in DIGITS:
        text = canonical(value, digits)
        if canonical(nudged(value, 1 + NUDGE), digits) == text == canonical(nudged(value, 1 - NUDGE), digits):
            return digits
    return None


# --- judging, from the shipped file ---------------------------------------------------------------


@lru_cache(maxsize=None)
def hidden_sets() -> dict:
    """Every shipped hidden case set by id (empty in a repository checkout: only the bundle's wheel has them)."""
    folder = resources.files(__package__).joinpath("hidden")
    sets = {}
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.name.endswith(".json"):
                sets.update(json.loads(entry.read_text())["case_sets"])
    return sets


def _shape_problem(got: Any, shown: dict | None) -> str | None:
    """What differs in structure from the answer's shape and dtype (shipped in the clear), or None."""
    if not shown:
        return None
    if "shape" in shown:
        if not isinstance(got, np.ndarray):
            return tr("{where} should be a numpy array of shape {shape}, got {got}").format(
                where=tr("the result"), shape=tuple(shown["shape"]), got=type(got).__name__)
        if list(got.shape) != shown["shape"]:
            return tr("{where} has shape {got}, expected {expected}").format(
                where=tr("the result"), got=got.shape, expected=tuple(shown["shape"]))
        if got.dtype.str != shown["dtype"]:
            return tr("{where} has dtype {got}, expected {expected}").format(
                where=tr("the result"), got=got.dtype, expected=np.dtype(shown["dtype"]))
    return None


def judge_case(case: dict, outcome: dict) -> tuple[str | None, bool]:
    """``(problem or None, verified)`` for one hidden case: ``verified`` is False when it could not be decided."""
    if outcome.get("modified"):
        return modified_problem(outcome), True
    answer = case.get("answer")
    if answer and "error" not in outcome and digest(outcome_text(outcome, answer["digits"]), answer["salt"]) == answer["digest"]:
        if outcome.get("returned_input"):
            return view_problem(outcome) + HINT + aliasing_hint(outcome), True
        return None, True
    for variant in case["variants"]:  # never the right answer's digest: the builder drops those
        if digest(outcome_text(outcome, variant["digits"]), variant["salt"]) == variant["digest"]:
            problem = raised(outcome) if "error" in outcome else tr(DIFFERS)
            return problem + HINT + tr(variant["hint"]), True
    if "error" in outcome and outcome["error"].get("type") == "NotImplementedError":
        return raised(outcome), True
    if answer is None:
        return None, False
    if "error" in outcome:
        return raised(outcome), True
    shape = _shape_problem(record.decode(outcome["value"]), answer.get("shown"))
    return shape or tr(DIFFERS), True


def judge_set(case_set: dict, outcomes: list[dict]) -> dict:
    """The verdict of one hidden set: ``passed`` True/False/None (None: nothing wrong, not all verifiable), lines."""
    name = case_set["function"]
    if case_set.get("unverifiable"):
        return {"passed": None, "verified": 0, "total": len(case_set["cases"]),
                "lines": [tr("{function}: cannot be checked here, only by your instructor's grading ({why})").format(
                    function=name, why=tr(case_set["unverifiable"]))]}
    judged = [judge_case(case, outcome) for case, outcome in zip(case_set["cases"], outcomes)]
    rows = [(case["note"], None, outcome, problem)
            for case, outcome, (problem, verified) in zip(case_set["cases"], outcomes, judged) if verified]
    unverified = [case["note"] for case, (_, verified) in zip(case_set["cases"], judged) if not verified]
    failed = any(problem for problem, _ in judged)
    if rows:
        _, lines = report(name, rows)
    else:
        lines = [tr("{function}: cannot be checked here, only by your instructor's grading").format(function=name)]
    if unverified:
        lines.append(tr("  {count} check(s) cannot be checked here, only by your instructor's grading (their answers "
                        "are single small numbers or errors, which a hash would give away): ").format(
                            count=len(unverified)) + tr("; ").join(tr(note) for note in unverified))
    return {"passed": False if failed else (True if not unverified else None), "verified": len(rows),
            "total": len(outcomes), "lines": lines}


# --- running a notebook ---------------------------------------------------------------------------

#: Run in the learner's kernel after the notebook: call each function on the shipped hidden cases.
_RECORD_CELL = """\
import json as _json
from cnn_course import record as _record, selfcheck as _selfcheck
for _id in {ids!r}:
    _set = _selfcheck.hidden_sets()[_id]
    if _set.get("unverifiable"):
        continue
    _function = globals().get(_set["function"])
    _outcomes = [_record.run_case(_function, _record.decode(_case["args"])) if callable(_function)
                 else {{"error": {{"type": "NameError", "message": _set["function"] + " is not defined"}}}}
                 for _case in _set["cases"]]
    _record.emit(_id, _set["function"], _outcomes)
"""


class CheckError(Exception):
    """The notebook could not be checked: the reason, in one line."""


def notebook_sets(nb) -> tuple[list[str], list[str]]:
    """The hidden and visible case-set ids a notebook's test cells name (nbgrader grade_ids), in notebook order."""
    ids = [c.metadata.get("nbgrader", {}).get("grade_id", "") for c in nb.cells]
    return [i for i in ids if i in hidden_sets()], [i for i in ids if i.endswith("_visible")]


def run(path: Path, timeout: int = 120) -> tuple[dict, dict[str, dict]]:
    """Execute the notebook at ``path`` (in memory, from its own folder) and the hidden calls; return the records."""
    import nbformat
    from nbclient import NotebookClient

    try:
        nb = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise CheckError(f"no such file: {path}") from None
    except Exception as error:
        raise CheckError(f"{path} is not a notebook ({type(error).__name__})") from None
    hidden, _ = notebook_sets(nb)
    if not hidden:
        raise CheckError(f"{path} is not one of the course's notebooks (no hidden test cell of this bundle)"
                         if hidden_sets() else "this cnn_course holds no hidden cases (it is not the student bundle's)")
    nb.cells.append(nbformat.v4.new_code_cell(_RECORD_CELL.format(ids=hidden)))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    # The kernel's own log (its TCP warning) is not the learner's business: kept, and shown only if it died.
    with tempfile.TemporaryFile() as kernel_log:
        try:
            # The notebook's own checks speak its language (its folder may hold other notebooks: the kernel is told).
            client.execute(stderr=kernel_log, env={**os.environ, ENVIRONMENT: notebook_language(nb.metadata)})
        except Exception as error:
            kernel_log.seek(0)
            said = kernel_log.read().decode(errors="replace").strip().splitlines()[-5:]
            raise CheckError(f"the notebook could not be run ({type(error).__name__}: {error})"
                             + ("".join(f"\n  kernel: {line}" for line in said) if said else "")) from None
    records = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            records.update(record.read_records(cell.outputs))
    return nb, records


def check(path: str, as_json: bool = False) -> int:
    """Print the verdict of the visible and (verifiable) hidden tests of one notebook; 0 when checking happened."""
    try:
        nb, records = run(Path(path).expanduser().resolve())
    except CheckError as error:
        print(f"cnn_course check: {error}", file=sys.stderr)
        return 2
    with speaking(notebook_language(nb.metadata)):
        tests = judge_notebook(nb, records)
        print(json.dumps({"notebook": str(path), "tests": tests}) if as_json else format_table(tests, str(path)))
    return 0


def judge_notebook(nb, records: dict[str, dict]) -> list[dict]:
    """Each visible and hidden test of the notebook with its verdict: ``{name, passed, points, lines}``."""
    from .checks import _fixtures, judge_cases

    hidden, visible = notebook_sets(nb)
    tests = []
    for case_set_id in visible:
        case_set, got = _fixtures().get(case_set_id), records.get(case_set_id)
        if case_set is None:
            continue
        outcomes = (got or {}).get("outcomes") or []
        if len(outcomes) != len(case_set["cases"]):
            tests.append({"name": case_set_id, "passed": False, "points": POINTS["visible"],
                          "lines": [tr("{function}: the test cell did not run (or was changed)").format(
                              function=case_set["function"])]})
            continue
        messages = judge_cases([(o, c["expected"], lambda c=c: [tuple(v) for v in c["variants"]])
                                for o, c in zip(outcomes, case_set["cases"])])
        passed, lines = report(case_set["function"], [(c["note"], None, o, m) for c, o, m
                                                      in zip(case_set["cases"], outcomes, messages)])
        tests.append({"name": case_set_id, "passed": passed, "points": POINTS["visible"], "lines": lines})
    for case_set_id in hidden:
        verdict = judge_set(hidden_sets()[case_set_id], records.get(case_set_id, {}).get("outcomes") or [])
        tests.append({"name": case_set_id, "points": POINTS["hidden"], **verdict})
    return tests


def format_table(tests: list[dict], notebook: str) -> str:
    """Each test with ok / FAIL / ? (not verifiable), its hints when it failed; the points that are certain last."""
    width = max([len(t["name"]) for t in tests] + [4])
    lines = [tr("{notebook}: checked with the visible tests and the hidden cases this bundle can verify").format(
        notebook=notebook), ""]
    earned = possible = 0
    for test in tests:
        mark = {True: "ok  ", False: "FAIL", None: "?   "}[test["passed"]]
        lines.append(f"  {mark} {test['name']:<{width}}")
        if test["passed"] is not True:
            lines += ["         " + line for line in "\n".join(test["lines"]).splitlines()
                      if line.strip() and not line.lstrip().startswith("ok ")]
        if test["passed"] is not None:
            possible += test["points"]
            earned += test["points"] if test["passed"] else 0
    unsure = sum(t["points"] for t in tests if t["passed"] is None)
    lines += ["", tr("  Verified: {earned} / {possible} points").format(earned=f"{earned:g}", possible=f"{possible:g}")
              + (tr("; {unsure} more points only your instructor's grading can decide (marked ?)").format(
                  unsure=f"{unsure:g}") if unsure else "")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m cnn_course", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser("check", help="run a notebook and judge it with the visible and the shipped hidden cases")
    p.add_argument("path", help="your notebooks/NN_topic/NN_topic.ipynb (never modified)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    return check(args.path, args.json)
