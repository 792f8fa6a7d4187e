"""The typical-mistake variants (grader/course/mistakes.py) against the catalogue of student code (grader/course/notebooks/*/catalogue.py).

For every graded function, on a deterministic battery of calls:

- every independent CORRECT implementation passes the grader's comparison;
- every deliberately WRONG implementation fails at least one call, gets a hint, and gets
  the hint meant for it;
- every variant in ``grader.course.mistakes.all_variants()`` differs from the reference on some call
  (no dead variants) and takes exactly the graded function's arguments.
"""
from __future__ import annotations

import copy
import inspect
import json
from functools import lru_cache

import numpy as np
import pytest
from conftest import failure_message

from cnn_course import record
from grader.cases import CASE_SETS
from grader.course import catalogue, mistakes, reference
from grader.course.verdict import Verdict, expected_outcome, judge, variant_outcomes

FUNCTIONS = list(reference.__all__)


@lru_cache(maxsize=None)
def _judged(function: str) -> list[tuple[dict, dict, list[tuple[str, dict]]]]:
    """(args, expected outcome, variant outcomes) of each battery call, computed once."""
    judged = []
    for args in catalogue.battery(function):
        judged.append((args, expected_outcome(function, args), variant_outcomes(function, args)))
    return judged


def _messages(function: str, impl) -> list[tuple[dict, str | None]]:
    return [(args, failure_message(record.run_case(impl, args), expected, variants))
            for args, expected, variants in _judged(function)]


# --------------------------------------------------------------------------- completeness


def _answer_cells_of_the_solution_notebooks() -> list[str]:
    """The grade_id of every answer cell of ``solutions/*/*.ipynb``: what students are graded on."""
    from pathlib import Path

    ids = []
    for path in sorted((Path(__file__).resolve().parent.parent / "solutions").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            nbgrader = cell.get("metadata", {}).get("nbgrader", {})
            if nbgrader.get("solution"):
                ids.append(nbgrader["grade_id"])
    return ids


def test_spec_functions_are_all_covered():
    assert sorted(FUNCTIONS) == sorted(_answer_cells_of_the_solution_notebooks()), (
        "every answer cell of a notebook is a function its reference.py lists in __all__, and the other way round")
    assert sorted(mistakes.all_variants()) == sorted(FUNCTIONS)
    assert sorted(catalogue.CORRECT) == sorted(FUNCTIONS)
    assert {w.function for w in catalogue.WRONG} == set(FUNCTIONS)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_has_variants_wrongs_correct_and_battery(function):
    assert len(mistakes.variants_for(function)) >= 2, "at least two typical mistakes per function"
    assert len(catalogue.wrong_for(function)) >= 2, "at least two wrong implementations per function"
    assert function in catalogue.CORRECT
    assert len(catalogue.battery(function)) >= 3
    labels = [w.label for w in catalogue.wrong_for(function)]
    assert len(labels) == len(set(labels)), "labels name the mistake: one label per wrong implementation"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_variants_take_the_graded_functions_arguments(function):
    wanted = inspect.signature(getattr(reference, function))
    for hint, wrong in mistakes.variants_for(function):
        got = inspect.signature(wrong)
        assert list(got.parameters) == list(wanted.parameters), hint
        for name, parameter in wanted.parameters.items():
            assert got.parameters[name].default == parameter.default, (hint, name)
        assert hint and len(hint) < 200 and "\n" not in hint, hint


# The mistakes the course promises to name, and the functions where each must be named.
PROMISED_HINTS = {
    "did you forget the + 1": ["conv_output_size", "cross_correlate2d", "convolve2d"],
    "rounded up (ceil) instead of down (floor)": ["conv_output_size"],
    "rounded to the nearest integer (round)": ["conv_output_size"],
    "the slice out[p:-p] is empty": ["pad2d"],
    "the image must sit in the middle": ["pad2d"],
    "stride ignored": ["conv_output_size", "local_param_count", "locally_connected2d", "conv2d", "max_pool2d",
                       "mean_pool2d", "receptive_field", "conv2d_backward", "transposed_output_size",
                       "conv_transpose2d", "conv_transpose2d_via_conv", "overlap_count"],
    "padding ignored": ["conv_output_size", "local_param_count", "conv2d"],
    "pad applied once in total instead of on each side": ["conv_output_size", "pad2d", "conv2d",
                                                          "transposed_output_size", "conv_transpose2d"],
    "height and width swapped": ["local_param_count", "tie_weights", "pad2d", "conv2d", "max_pool2d",
                                 "mean_pool2d", "upsample_nearest", "dilate2d"],
    "`=` instead of `+=` where windows overlap": ["conv2d_backward", "max_pool2d_backward",
                                                  "mean_pool2d_backward", "conv_transpose2d", "overlap_count"],
    "the gradient went to every element of the window instead of only the maximum": ["max_pool2d_backward"],
    "mean-pool gradient not divided by the window size": ["mean_pool2d_backward"],
    "bias gradient not summed over the batch (and positions)": ["conv2d_backward"],
    "bias gradient not summed over the batch": ["dense_backward", "conv2d_backward"],
    "switches stored relative to the window instead of as flat indices into the H*W plane": ["max_pool2d"],
    "unpooling copied the value into the whole window instead of placing it at the switch": ["max_unpool2d"],
    "output_padding ignored": ["transposed_output_size", "conv_transpose2d", "conv_transpose2d_via_conv"],
    "transposed convolution not cropped by the padding": ["conv_transpose2d"],
    "forward differences instead of central differences": ["numerical_gradient"],
    "ties: the last maximum won instead of the first in row-major order": ["max_pool2d"],
    "dilation ignored": ["conv_output_size", "same_padding"],
    "receptive field: strides not multiplied": ["receptive_field"],
    "weight gradient not summed over the batch": ["dense_backward", "conv2d_backward"],
    "kernel not flipped in the input gradient": ["conv2d_backward"],
    "dense layer counted without bias": ["dense_param_count"],
    "locally connected count shared the weights": ["local_param_count"],
    "did not flip the kernel (that is cross-correlation; flip it by 180 degrees)": ["convolve2d"],
    "you flipped the kernel; a conv layer computes cross-correlation, without flipping":
        ["cross_correlate2d", "conv2d", "locally_connected2d"],
}


@pytest.mark.parametrize("phrase", sorted(PROMISED_HINTS))
def test_promised_hints_are_given(phrase):
    missing = []
    for function in PROMISED_HINTS[phrase]:
        named = [hint for hint, _ in mistakes.variants_for(function) if phrase in hint]
        if not named:
            missing.append(f"{function}: no variant's hint says it")
        elif not any(w.hint and any(w.hint in hint for hint in named) for w in catalogue.wrong_for(function)):
            missing.append(f"{function}: no wrong implementation in the catalogue is meant to get it")
    assert not missing, f"{phrase!r}:\n" + "\n".join(missing)


# --------------------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("function", FUNCTIONS)
def test_correct_implementation_passes(function):
    impl = catalogue.CORRECT[function]
    failures = [(record.describe_args(args), message) for args, message in _messages(function, impl) if message]
    assert not failures, f"independent correct {function} judged wrong:\n{failures}"


@pytest.mark.parametrize("wrong", catalogue.WRONG, ids=lambda w: f"{w.function}-{w.label}")
def test_wrong_implementation_is_caught_and_named(wrong):
    messages = [message for _, message in _messages(wrong.function, wrong.impl) if message]
    assert messages, f"wrong {wrong.function} ({wrong.label}) passes every call of the battery"
    hinted = [message for message in messages if "Hint:" in message]
    assert hinted, f"wrong {wrong.function} ({wrong.label}) gets no hint:\n" + "\n".join(messages)
    if wrong.hint:
        assert any(wrong.hint in message.split("Hint:", 1)[1] for message in hinted), (
            f"wrong {wrong.function} ({wrong.label}) should get a hint containing {wrong.hint!r}; got:\n"
            + "\n".join(hinted))


# ------------------------------------------------------------- the notebooks' own test cells


def _graded(function: str, impl) -> list[Verdict]:
    """Each test cell of ``function`` (visible and hidden case sets), judged as grading judges it.

    The outcomes are what the kernel records (``record.run_case``, through JSON); ``judge`` is the
    grading process's. test_catalogue_notebooks proves the same path through real grading for one
    wrong implementation per function; this proves it for every one, in a fraction of the time.
    """
    verdicts = []
    for case_set in (s for s in CASE_SETS.values() if s.function == function):
        outcomes = [record.run_case(impl, case.args) for case in case_set.cases()]
        verdicts.append(judge(case_set.id, {"outcomes": json.loads(json.dumps(outcomes))}))
    return verdicts


@pytest.mark.parametrize("function", FUNCTIONS)
def test_correct_implementation_passes_every_test_cell(function):
    failed = [v.lines for v in _graded(function, catalogue.CORRECT[function]) if not v.passed]
    assert not failed, f"independent correct {function} fails test cells:\n{failed}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_released_stub_fails_every_test_cell(function):
    """The untouched student version earns nothing: its stub raises NotImplementedError in every test cell."""
    def stub(*args, **kwargs):
        raise NotImplementedError(f"implement {function}")

    verdicts = _graded(function, stub)
    assert verdicts and not [v.lines for v in verdicts if v.passed]
    assert all("not implemented" in v.summary.lower() or "NotImplementedError" in "\n".join(v.lines)
               for v in verdicts), [v.lines for v in verdicts]


def _scribble_on(value) -> bool:
    """Change one element of the first non-empty array in ``value`` (an array, or a tuple or list of them)."""
    if isinstance(value, np.ndarray) and value.size and value.flags.writeable:
        value.flat[0] = not value.flat[0] if value.dtype == bool else value.flat[0] + 1
        return True
    return isinstance(value, (tuple, list)) and any(_scribble_on(v) for v in value)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_right_answer_that_changes_its_arguments_fails_and_is_told(function):
    """Inputs are never modified (the course contract): a right value is not enough."""
    right = catalogue.CORRECT[function]

    def scribbling(**args):
        result = right(**args)
        for value in args.values():
            if _scribble_on(value):
                break
        return result

    has_arrays = any(_scribble_on(copy.deepcopy(list(case.args.values())))
                     for s in CASE_SETS.values() if s.function == function for case in s.cases())
    if not has_arrays:
        pytest.skip(f"{function} takes no array")
    failed = ["\n".join(v.lines) for v in _graded(function, scribbling) if not v.passed]
    assert failed, f"a {function} that modifies its arguments passes every test cell"
    assert all("modified its argument" in text for text in failed), failed


@pytest.mark.parametrize("wrong", catalogue.WRONG, ids=lambda w: f"{w.function}-{w.label}")
def test_wrong_implementation_fails_a_test_cell_with_its_hint(wrong):
    failed = ["\n".join(v.lines) for v in _graded(wrong.function, wrong.impl) if not v.passed]
    assert failed, f"wrong {wrong.function} ({wrong.label}) passes every test cell, visible and hidden"
    if wrong.hint:
        assert any(wrong.hint in text for text in failed), (
            f"wrong {wrong.function} ({wrong.label}) should be told {wrong.hint!r}; got:\n" + "\n".join(failed))


# --------------------------------------------------------------------------- the variants


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_dead_variants(function):
    dead = []
    for hint, wrong in mistakes.variants_for(function):
        live = False
        for args, expected, _ in _judged(function):
            outcome = record.run_case(wrong, args)
            if outcome != expected and not ("error" in outcome and "error" in expected):
                live = True
                break
        if not live:
            dead.append(hint)
    assert not dead, f"{function}: these variants never differ from the reference on the battery: {dead}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_battery_exercises_every_argument(function):
    """Each optional argument takes a non-default value somewhere; arrays are not all square."""
    calls = catalogue.battery(function)
    parameters = inspect.signature(getattr(reference, function)).parameters
    for name, parameter in parameters.items():
        if parameter.default is not inspect.Parameter.empty:
            assert any(name in call and call[name] != parameter.default for call in calls), (function, name)
    has_arrays = any(isinstance(value, np.ndarray) for call in calls for value in call.values())
    for name in ("stride", "pad", "size", "scale", "output_padding"):
        if has_arrays and name in parameters and any(name in call for call in calls):
            assert any(isinstance(call.get(name), tuple) for call in calls), (function, name, "no (h, w) pair")
    shapes = [value.shape[-2:] for call in calls for value in call.values()
              if isinstance(value, np.ndarray) and value.ndim >= 2]
    if shapes:
        assert any(h != w for h, w in shapes), (function, "every array is square")
    batches = [value.shape[0] for call in calls for value in call.values()
               if isinstance(value, np.ndarray) and value.ndim == 4]
    if batches:
        assert max(batches) > 1, (function, "no batch with N > 1")


def test_catalogue_sources_are_standalone():
    impls = list(catalogue.CORRECT.values()) + [w.impl for w in catalogue.WRONG]
    for impl in impls:
        assert impl.source.startswith(f"def {impl.function}("), impl.source
        assert "grader" not in impl.source and "catalogue" not in impl.source
        assert impl.compiled.__name__ == impl.function
