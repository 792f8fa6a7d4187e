"""Every case set tries what the contract allows: non-square kernels, inputs and strides.

docs/course-spec.md lets kernels, inputs and strides be non-square. A case set that tries only
square ones passes an implementation that mixes up height and width, or pads both axes by
``kh // 2`` (07), so each case set of a function that takes images, kernels or (h, w) pairs holds
at least one call where height and width differ.
"""
from __future__ import annotations

import numpy as np
import pytest

from grader.cases import CASE_SETS

#: Functions whose arguments have no height and width: 1-D sizes, matrices, elementwise maps.
NO_HEIGHT_AND_WIDTH = {
    "dense_param_count": "counts of a dense layer",
    "conv_output_size": "one axis at a time",
    "same_padding": "one axis at a time",
    "receptive_field": "one axis at a time",
    "transposed_output_size": "one axis at a time",
    "overlap_count": "1-D (the 2-D map is the outer product)",
    "dense_backward": "matrices (N, D) and (D, M)",
    "numerical_gradient": "any shape, no spatial meaning",
    "relative_error": "any shape, no spatial meaning",
    "relu": "elementwise",
    "relu_backward": "elementwise",
    "softmax_cross_entropy": "scores (N, K)",
    "sgd_step": "elementwise on each parameter",
}

#: Arguments that are (h, w) pairs, or shapes whose last two entries are (H, W).
PAIRS = ("kernel_size", "stride", "pad", "size", "scale", "out_hw", "output_size", "dilation", "output_padding")
SHAPES = ("in_shape", "input_shape")
#: Arguments of 07 that are matrices or labels, not maps (the filter is params[0]).
NOT_MAPS = ("dscores", "scores", "y_labels")


def _differ(pair) -> bool:
    return isinstance(pair, (tuple, list)) and len(pair) >= 2 and pair[-2] != pair[-1]


def _maps(name, value) -> list[np.ndarray]:
    """The images, kernels and maps in an argument, whose last two axes are height and width."""
    if name == "params":        # 07's (w1, b1, w2, b2): only w1 is a kernel; w2 is a matrix
        return [value[0]]
    if name in NOT_MAPS:
        return []
    if isinstance(value, np.ndarray):
        return [value] if value.ndim >= 2 and value.dtype.kind == "f" else []
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _maps("", v)]
    return []


def is_non_square(function: str, args: dict) -> bool:
    """True when a call has a height different from its width somewhere: a map, a kernel or a pair."""
    if function.startswith("tiny_cnn") or function == "train_tiny_cnn":
        w1 = args["params"][0]
        return w1.shape[-2] != w1.shape[-1]          # 07's contract: odd, possibly non-square filters
    for name, value in args.items():
        if name in PAIRS and _differ(value):
            return True
        if name in SHAPES and _differ(tuple(value)):
            return True
        if any(a.shape[-2] != a.shape[-1] for a in _maps(name, value)):
            return True
    return False


SPATIAL_SETS = sorted(id for id, s in CASE_SETS.items() if s.function not in NO_HEIGHT_AND_WIDTH)


def test_the_exemptions_name_graded_functions():
    assert set(NO_HEIGHT_AND_WIDTH) <= {s.function for s in CASE_SETS.values()}


@pytest.mark.parametrize("case_set_id", SPATIAL_SETS)
def test_every_case_set_has_a_non_square_case(case_set_id):
    case_set = CASE_SETS[case_set_id]
    assert any(is_non_square(case_set.function, case.args) for case in case_set.cases()), (
        f"{case_set_id}: every case is square; add one with a non-square kernel, input or stride "
        "(the contract allows them, and a height/width mix-up passes otherwise)")


@pytest.mark.parametrize("args, non_square", [
    (dict(x=np.zeros((1, 1, 4, 4)), w=np.zeros((1, 1, 3, 3)), stride=2), False),
    (dict(x=np.zeros((1, 1, 4, 4)), w=np.zeros((1, 1, 3, 3)), stride=(1, 2)), True),
    (dict(x=np.zeros((1, 1, 4, 5)), w=np.zeros((1, 1, 3, 3))), True),
    (dict(x=np.zeros((4, 4)), k=np.zeros((1, 3))), True),
    (dict(in_shape=(3, 5, 5), kernel_size=3), False),
    (dict(in_shape=(3, 5, 7), kernel_size=3), True),
])
def test_non_square_means_height_differs_from_width(args, non_square):
    assert is_non_square("conv2d", args) == non_square


@pytest.mark.parametrize("case_set_id", sorted(CASE_SETS))
def test_cases_kept_for_judging_are_read_only_and_the_ones_built_afresh(case_set_id):
    """The grading process builds each case set and the reference's outcomes once (every submission is judged
    against the same calls): the kept calls' arrays cannot be written, so what judges one student never changes
    what judges the next, and they are the calls, outcomes and shown calls built afresh."""
    from cnn_course import record
    from grader.course.verdict import custom_judge, expected_outcome, expected_outcomes, judged_cases, shown_calls

    case_set = CASE_SETS[case_set_id]
    kept, fresh = judged_cases(case_set_id), case_set.cases()
    assert [c.note for c in kept] == [c.note for c in fresh]
    for case, new in zip(kept, fresh):
        arrays = [a for value in case.args.values() for a in record.arrays_in(value)]
        assert all(not a.flags.writeable for a in arrays)
        if arrays:
            with pytest.raises(ValueError, match="read-only"):
                arrays[0][...] = 0
        assert record.describe_args(case.args) == record.describe_args(new.args)
    assert shown_calls(case_set_id) == tuple(f"{case_set.function}({record.describe_args(c.args)})" for c in fresh)
    if custom_judge(case_set) is None:
        assert expected_outcomes(case_set_id) == tuple(expected_outcome(case_set.function, c.args, c.names)
                                                       for c in fresh)


def test_prepare_builds_all_that_judging_a_notebook_keeps(monkeypatch):
    """``verdict.prepare`` (run by ``grade`` before it forks its workers) builds what judging each case set of a
    notebook keeps per process, and nothing judging does not use (07's hidden training test is judged by its own
    rule: the reference's outcomes for it would be 5 epochs of training, 0.4 s)."""
    import functools

    from grader.cases import for_notebook
    from grader.config import assignments
    from grader.course import verdict

    kept = ("judged_cases", "expected_outcomes", "shown_calls")
    for name in kept:  # empty caches of this test's own, whatever judged before it in this process
        monkeypatch.setattr(verdict, name, functools.lru_cache(maxsize=None)(getattr(verdict, name).__wrapped__))
    for notebook in assignments():
        verdict.prepare(notebook)
    made = {name: getattr(verdict, name).cache_info().currsize for name in kept}
    for notebook in assignments():
        for case_set in for_notebook(notebook):
            count = len(verdict.judged_cases(case_set.id))
            custom = verdict.custom_judge(case_set) is not None
            outcomes = [{}] * count if custom else list(verdict.expected_outcomes(case_set.id))
            assert verdict.judge(case_set.id, {"outcomes": outcomes}, show_calls=case_set.visible).passed != custom
    assert {name: getattr(verdict, name).cache_info().currsize for name in kept} == made
    assert made["expected_outcomes"] < made["judged_cases"] == len(CASE_SETS)
