"""Comparing an outcome with the right answer, and naming the mistake when it is wrong.

Used twice with the same code: by the visible tests in the notebooks (against
fixtures baked from the reference by ``make notebooks``) and by the grading
process (``grader.course.verdict``, against the reference computed afresh).
"""
from __future__ import annotations

import html
import json
import re
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

import numpy as np

from . import record
from .diagnose import PREFIX, diagnose
from .i18n import N_, tr

#: Spec: results agree with PyTorch to 1e-10 relative error on float64 inputs.
RTOL = 1e-9
ATOL = 1e-11
#: The scoring rule (docs/course-spec.md): each test cell scores all its points or none (every
#: case must be right); a function's visible test is worth 2 points, its hidden test 3.
POINTS = {"visible": 2, "hidden": 3}


def compare(got: Any, expected: Any, where: str | None = None) -> str | None:
    """``None`` when ``got`` equals ``expected`` (floats to RTOL); otherwise what differs, in words."""
    where = tr("the result") if where is None else where
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            return tr("{where} should be a tuple of {count} values, got {got}").format(where=where, count=len(expected), got=_kind(got))
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = compare(g, e, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            return tr("{where} should be a numpy array of shape {shape}, got {got}").format(
                where=where, shape=expected.shape, got=_kind(got))
        if got.shape != expected.shape:
            return tr("{where} has shape {got}, expected {expected}").format(where=where, got=got.shape, expected=expected.shape)
        if expected.dtype.kind in "iu" and got.dtype.kind not in "iu":
            return tr("{where} should hold integers ({expected}), got dtype {got}").format(
                where=where, expected=expected.dtype, got=got.dtype)
        if expected.dtype.kind == "f" and got.dtype.kind == "f" and got.dtype != expected.dtype:
            return tr("{where} has dtype {got}, expected {expected}").format(where=where, got=got.dtype, expected=expected.dtype)
        if not np.allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True):
            bad = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            return tr("{where} differs at {wrong} of {size} positions; first at index {first}: got {got}, expected {expected}"
                      ).format(where=where, wrong=int(bad.sum()), size=bad.size, first=first, got=repr(got[first]),
                               expected=repr(expected[first]))
        return None
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return None if got == expected and type(got) is type(expected) else _is_not(where, got, expected)
    if isinstance(expected, int):
        if isinstance(got, bool) or not isinstance(got, int):
            if isinstance(got, float) and got == expected:
                return tr("{where} is the float {got}; return an int ({expected})").format(
                    where=where, got=repr(got), expected=expected)
            return tr("{where} is {got}, expected the int {expected}").format(where=where, got=repr(got), expected=expected)
        return None if got == expected else _is_not(where, got, expected, str)
    if isinstance(expected, float):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return tr("{where} is {got}, expected a number").format(where=where, got=_kind(got))
        ok = np.isclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
        return None if ok else _is_not(where, got, expected)
    return None if got == expected else _is_not(where, got, expected)


def _is_not(where: str, got: Any, expected: Any, show: Callable[[Any], str] = repr) -> str:
    return tr("{where} is {got}, expected {expected}").format(where=where, got=show(got), expected=show(expected))


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return tr("an array of shape {shape}").format(shape=value.shape)
    return f"{type(value).__name__} {value!r}"[:80]


def raised(outcome: dict) -> str:
    """What a recorded error was: ``raised ValueError: stride must be >= 1``."""
    error = outcome["error"]
    if error.get("message"):
        return tr("raised {error}: {message}").format(error=error["type"], message=error["message"])
    return tr("raised {error}").format(error=error["type"])


def _names_word(name: str, message: str) -> bool:
    """True when ``name`` appears in ``message`` as a word of its own (``k=3`` names k; ``kernel`` does not)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) is not None


def unnamed_arguments(outcome: dict, expected: dict) -> list[str]:
    """The words an expected error's message must contain (``expected["error"]["names"]``) that ``outcome``'s lacks."""
    names = expected["error"].get("names") or []
    message = str(outcome["error"].get("message") or "")
    return [name for name in names if not _names_word(name, message)]


def outcome_problem(outcome: dict, expected: dict) -> str | None:
    """``None`` when a recorded outcome is right; otherwise what is wrong (without hints).

    A wrong value is reported before a view of an argument: the value is what to fix first.
    """
    problem = _value_problem(outcome, expected)
    if problem is None and outcome.get("returned_input"):
        return view_problem(outcome)
    return problem


def view_problem(outcome: dict) -> str:
    """The problem of an answer that is a view of an argument (``outcome["returned_input"]``)."""
    return tr("the result is a view of the argument {name}, not a new array").format(name=outcome["returned_input"][0])


def modified_problem(outcome: dict) -> str:
    """The problem of a function that changed its arguments (``outcome["modified"]``)."""
    return tr("the function modified its argument(s) {names}; return a new array instead").format(
        names=", ".join(outcome["modified"]))


def _value_problem(outcome: dict, expected: dict) -> str | None:
    if outcome.get("modified"):
        return modified_problem(outcome)
    if "error" in expected:
        want = expected["error"]["type"]
        if "error" in outcome:
            if outcome["error"]["type"] != want:
                return tr("{raised} (expected {error})").format(raised=raised(outcome), error=want)
            missing = unnamed_arguments(outcome, expected)
            if missing:
                message = outcome["error"].get("message") or ""
                return (tr("raised {error}({message}): the message does not name {names}").format(
                            error=want, message=repr(message), names=tr(" and ").join(missing)) + HINT
                        + tr("your {error}'s message should name the argument at fault ({names}), e.g. "
                             "'stride must be >= 1, got 0'").format(error=want, names=", ".join(missing)))
            return None
        return tr("returned {got}; expected it to raise {error}").format(got=_kind(record.decode(outcome["value"])),
                                                                         error=want)
    if "error" in outcome:
        return raised(outcome)
    return compare(record.decode(outcome["value"]), record.decode(expected["value"]))


def aliasing_hint(outcome: dict) -> str:
    """The hint for an answer that shares memory with an argument (``outcome["returned_input"]``)."""
    name = outcome["returned_input"][0]
    return tr("your answer shares memory with its input {name} (a view, e.g. from slicing or np.broadcast_to): "
              "return a new array (e.g. {name}.copy(), or np.array(...) of the view)").format(name=name)


def _matches(outcome: dict, variant: dict) -> bool:
    """True when a wrong outcome is what a typical mistake gives.

    A mistake that raises (``out[p:-p] = x`` with ``p = 0``) matches only the same error with the
    same message: the same slip in the same line of code.
    """
    if "error" in variant:
        return "error" in outcome and outcome["error"].get("type") == variant["error"].get("type") \
            and outcome["error"].get("message") == variant["error"].get("message")
    return _value_problem(outcome, variant) is None


def matching_hints(outcome: dict, variants: list[tuple[str, dict]]) -> list[str]:
    """Hints of every typical mistake whose outcome matches this (wrong) outcome, in catalogue order."""
    return [hint for hint, variant in variants if _matches(outcome, variant)]


def judge_cases(cases: list[tuple]) -> list[str | None]:
    """Messages for a whole case set: ``None`` for each right case, else its problem and hint (see :func:`judge_set`)."""
    return judge_set(cases)[0]


def judge_set(cases: list[tuple]) -> tuple[list[str | None], str | None]:
    """Messages for a whole case set, and where its wrong answers go wrong (``cnn_course.diagnose``) or None.

    ``cases`` holds ``(outcome, expected, variants)`` or ``(outcome, expected, variants, args)``
    with ``variants`` a function, called only for wrong outcomes, and ``args`` the call's arguments
    with their defaults (needed for the diagnosis). When several mistakes explain a case, the hint
    that explains the most failing cases of the set wins (ties: catalogue order): one consistent
    diagnosis, not a different guess per case; a hint is not given when its mistake returns another wrong
    answer than the student's in as many wrong cases as it explains, or more (it fits those by chance). The
    diagnosis is given when some wrong case matches
    no catalogued mistake: it names what the catalogue could not.
    """
    problems, matches, contradicted = [], [], Counter()
    for outcome, expected, variants, *_ in cases:
        try:
            problem = outcome_problem(outcome, expected)
            if problem is not None and _value_problem(outcome, expected) is None:
                hints = [aliasing_hint(outcome)]  # right numbers in a view of an argument: say so
            elif problem is not None:
                judged = variants()
                hints = matching_hints(outcome, judged)
                if "value" in outcome:  # errors differ in wording from code to code: they contradict nothing
                    contradicted.update({hint for hint, variant in judged if "value" in variant} - set(hints))
            else:
                hints = []
        except Exception:  # a record the kernel-side code did not write (tampered with): never a pass
            problem, hints = tr(MALFORMED), []
        problems.append(problem)
        matches.append(hints)
    counts = Counter(hint for hints in matches for hint in hints)
    # A mistake that explains no more wrong cases than it contradicts (it gives another wrong answer there)
    # fits the few by chance (a bias forgotten, where the test's bias happens to be 0): naming it would mislead.
    matches = [[hint for hint in hints if counts[hint] > contradicted[hint]] for hints in matches]
    messages = [None if problem is None else f"{problem}{HINT}{tr(max(hints, key=counts.__getitem__))}" if hints
                else problem for problem, hints in zip(problems, matches)]
    unexplained = any(problem is not None and not hints for problem, hints in zip(problems, matches))
    diagnosis = None
    if unexplained and all(len(case) > 3 for case in cases):
        try:
            diagnosis = diagnose([(case[3], case[0], case[1], problem is not None)
                                  for case, problem in zip(cases, problems)])
        except Exception:  # a malformed record: its message already says so
            diagnosis = None
    return messages, diagnosis


def unimplemented_score(points: float | None) -> str:
    """What a test cell of a function not written yet scores."""
    return "" if points is None else tr(" — this test cell scores 0 of {points} points until then").format(
        points=f"{points:g}")


def score_line(passed: bool, points: float | None) -> str:
    """What a test cell scores, with the all-or-nothing rule when it scores nothing."""
    if points is None:
        return ""
    if passed:
        return tr(" — {points} of {points} points").format(points=f"{points:g}")
    return tr(" — this test cell scores 0 of {points} points: all its checks must pass").format(points=f"{points:g}")


def report(function_name: str, rows: list[tuple[str, str | None, dict, str | None]],
           points: float | None = None, diagnosis: str | None = None) -> tuple[bool, list[str]]:
    """Lines for people from ``(note, call shown or None, outcome, failure message or None)`` rows.

    The first line is the summary (with what the test cell scores when ``points`` is given); the
    second, when the case set was wrong somewhere no catalogued mistake explains, where it goes
    wrong (``diagnosis``, starting with ``cnn_course.diagnose.PREFIX``); a function that only raised
    NotImplementedError gets one line.
    """
    failed = [row for row in rows if row[3] is not None]
    if rows and all(outcome.get("error", {}).get("type") == "NotImplementedError" for _, _, outcome, _ in rows):
        return False, [tr("{function}: not implemented yet (replace `raise NotImplementedError()` with your code)"
                          ).format(function=function_name) + unimplemented_score(points)]
    lines = [tr("{function}: {passed} of {total} checks passed").format(function=function_name,
                                                                         passed=len(rows) - len(failed), total=len(rows))
             + score_line(not failed, points)]
    if failed and diagnosis:
        lines.append(f"  {tr(PREFIX)}{diagnosis}")
    for note, call, _, message in rows:
        if message is None:
            lines.append(f"  ok    {tr(note)}")
        else:
            lines.append(f"  FAIL  {tr(note)}\n        {call + ': ' if call else ''}{message}")
    return not failed, render(lines)


# --- how report lines read ------------------------------------------------------------------------

#: Between a problem and its hint in a message, in every language (:func:`render` says it in the reader's).
HINT = ". Hint: "
SAME_HINT = "(the same mistake as above)"
MALFORMED = N_("the recorded result is malformed")
_NUMPY_SCALAR = re.compile(r"\bnp\.(?:float|int|uint|bool|complex)\w*\(([^()]*)\)")


def plain_numbers(text: str) -> str:
    """``np.float64(1.5)`` -> ``1.5``: numpy 2 writes scalars' reprs so; people read numbers."""
    return _NUMPY_SCALAR.sub(r"\1", text)


def render(lines: list[str]) -> list[str]:
    """Report lines as people read them: plain numbers, and each distinct hint once per test, on a line of its own.

    A failed case's ``problem. Hint: hint`` becomes ``problem`` with ``Hint: hint`` on the next line, the
    first time that hint is given; later cases it explains say :data:`SAME_HINT` instead. Only how lines
    look changes here: which hint a case gets is decided before (:func:`judge_cases`). Wrapping is left to the
    display (at word boundaries: :func:`failure_html`, feedback's stylesheet), so a hint stays one line of text.
    """
    given, shown = set(), []
    for line in lines:
        head, newline, message = plain_numbers(line).partition("\n")
        problem, hint_said, hint = message.partition(HINT)
        if newline and hint_said:
            indent = message[:len(message) - len(message.lstrip())]
            said = tr("{problem}. (the same mistake as above)").format(problem=problem) if hint in given else \
                tr("{problem}.\n{indent}Hint: {hint}").format(problem=problem, indent=indent, hint=hint)
            given.add(hint)
            shown.append(f"{head}\n{said}")
        else:
            shown.append(head + newline + message)
    return shown


class CheckFailed(AssertionError):
    """A test found wrong results; its message holds every line of the report (summary, cases, hints).

    Shown without a traceback: the lines say everything, and the frames would only point into the
    course's package, not at the student's mistake.
    """

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines instead of a traceback
        return [f"\x1b[0;31m{line}\x1b[0m" if i == 0 else line for i, line in enumerate(str(self).splitlines())]


def failure_html(lines: list[str]) -> str:
    """A red box with the report: the summary in bold, then each case and its hint.

    Long lines wrap at word boundaries (JupyterLab's outputs break words anywhere: ``word-break: break-all``).
    """
    head, rest = html.escape(lines[0]), html.escape("\n".join(lines[1:]))
    return ("<div style='border-left:5px solid #c62828;background:#fdecea;color:#7f1010;padding:0.5em 0.9em;"
            "margin:0.2em 0'><div style='font-weight:bold'>✗ " + head + "</div>"
            + (f"<pre style='background:transparent;color:inherit;margin:0.3em 0 0 0;white-space:pre-wrap;"
               f"word-break:normal;overflow-wrap:break-word'>{rest}</pre>"
               if rest else "") + "</div>")


def show_failure(lines: list[str]) -> None:
    """Show a failed check in a notebook, without raising: Run All goes on to the next cell.

    Under nbgrader's Validate (``NBGRADER_EXECUTION=validate``) and outside IPython it raises
    :class:`CheckFailed` instead, with every line in the message: Validate reports failing tests from
    the errors of test cells, and shows only the error, never what the cell printed.
    """
    if record.under_validation() or not record.in_ipython():
        raise CheckFailed("\n".join(lines))
    from IPython.display import display
    display({"text/html": failure_html(lines), "text/plain": "\n".join(lines)}, raw=True)


# --- visible tests --------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _fixtures() -> dict:
    return {case_set_id: case_set for case_sets in _fixtures_by_notebook().values()
            for case_set_id, case_set in case_sets.items()}


@lru_cache(maxsize=1)
def _fixtures_by_notebook() -> dict[str, dict]:
    """``{notebook: {case_set_id: case_set}}`` from the baked visible fixtures (read once)."""
    found = {}
    for entry in resources.files(__package__).joinpath("fixtures").iterdir():
        if entry.name.endswith(".json"):
            found[entry.name.removesuffix(".json")] = json.loads(entry.read_text())["case_sets"]
    return found


def upstream_line(function_name: str, failing: list[str]) -> str:
    """The line a failing test gets when ``function_name`` calls graded functions of its notebook that fail
    their own tests: a bug costs points in its own function's tests, and here it is named as the first fix."""
    names = ", ".join(failing)
    said = tr("  first: {function} calls your {names}, which fails its own test: fix {names} first (this test may "
              "fail only because of that)") if len(failing) == 1 else \
        tr("  first: {function} calls your {names}, which fail their own test: fix {names} first (this test may "
           "fail only because of that)")
    return said.format(function=function_name, names=names)


def called_names(function: Callable) -> set[str]:
    """The global names ``function``'s code (and the code of functions nested in it) refers to."""
    names, codes = set(), [getattr(function, "__code__", None)]
    while codes:
        code = codes.pop()
        if code is None:
            continue
        names.update(code.co_names)
        codes += [const for const in code.co_consts if hasattr(const, "co_names")]
    return names


def _failing_upstream(case_set_id: str, function: Callable) -> list[str]:
    """Graded functions of the same notebook that ``function`` calls and that fail their visible checks."""
    notebook = next((nb for nb, case_sets in _fixtures_by_notebook().items() if case_set_id in case_sets), None)
    if notebook is None:
        return []
    tested = {case_set["function"]: case_set for case_set in _fixtures_by_notebook()[notebook].values()}
    failing = []
    for name in sorted(called_names(function) & set(tested) - {_fixtures()[case_set_id]["function"]}):
        upstream = getattr(function, "__globals__", {}).get(name)
        if not callable(upstream):
            continue
        try:
            cases = tested[name]["cases"]
            with np.errstate(all="ignore"):
                wrong = any(outcome_problem(record.run_case(upstream, record.decode(case["args"])), case["expected"])
                            for case in cases)
        except Exception:  # its own check says what is wrong with it
            wrong = True
        if wrong:
            failing.append(name)
    return failing


def check(case_set_id: str, function: Callable) -> None:
    """Run a visible test: call ``function`` on each case, show a line per case and hints for failures.

    Also records the outcomes, so the grader judges this cell outside the kernel. In a notebook a
    failure is shown in red and the cell does not raise (Run All goes on); under nbgrader's Validate,
    and outside IPython, it raises :class:`CheckFailed` with the whole report in its message.
    """
    case_set = _fixtures().get(case_set_id)
    if case_set is None:
        raise KeyError(f"no visible test called {case_set_id!r}: run `make notebooks` to rebuild the fixtures")
    name = case_set["function"]
    calls = [(case, record.decode(case["args"])) for case in case_set["cases"]]
    outcomes = [record.run_case(function, args) for _, args in calls]
    record.emit(case_set_id, name, outcomes)
    record.finish_recording()  # under autograde this raises: the grading process judges, nothing is judged here
    messages, diagnosis = judge_set([(outcome, case["expected"], lambda case=case: [tuple(v) for v in case["variants"]],
                                      record.with_defaults(function, args))
                                     for (case, args), outcome in zip(calls, outcomes)])
    rows = [(case["note"], f"{name}({record.describe_args(args)})", outcome, message)
            for (case, args), outcome, message in zip(calls, outcomes, messages)]
    passed, lines = report(name, rows, POINTS["visible"], diagnosis)
    if passed:
        print("\n".join(lines))
    else:
        upstream = _failing_upstream(case_set_id, function)
        show_failure(lines[:1] + [upstream_line(name, upstream)] + lines[1:] if upstream else lines)
