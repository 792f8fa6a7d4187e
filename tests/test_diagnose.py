"""Diagnoses of wrong answers no catalogued mistake explains (``cnn_course.diagnose``).

The rules were written against the mistakes of this file; ``test_diagnose_unseen.py`` holds
mistakes written after the rules, to measure them on what they were not written for.
"""
from __future__ import annotations

import numpy as np
import pytest

from cnn_course import checks, record
from cnn_course.diagnose import PREFIX, diagnose
from grader.cases import CASE_SETS
from grader.course import reference as R
from grader.course.catalogue import CORRECT
from tests.diagnosis_helpers import diagnosis, hidden_verdict, twist


def _bias_of_filter_0(f, x, w, b, stride=1, pad=0):
    return f(x, w, np.full(np.shape(b), np.ravel(b)[0]), stride, pad)  # b[0] for every filter


def _first_sample_only(f, x, w, b, stride=1, pad=0):
    y = f(x, w, b, stride, pad)
    y[1:] = 0  # the loop over samples returns after n = 0
    return y


def _stride_on_rows_only(f, x, w, b, stride=1, pad=0):
    return _rows_strided(x, w, b, stride if isinstance(stride, int) else stride[0], pad)


def _rows_strided(x, w, b, sh, pad):
    """A conv2d whose column index forgets the stride: window at (i*sh, j)."""
    full = R.conv2d(x, w, b, 1, pad)
    ho = (full.shape[2] - 1) // sh + 1
    wo = (full.shape[3] - 1) // sh + 1
    return full[:, :, ::sh][:, :, :ho, :wo]


def _pool_transposed(f, x, size=2, stride=None):
    y, switches = f(x, size, stride)
    return np.swapaxes(y, -1, -2).copy(), switches


def _mean_divided_by_side(f, x, size=2, stride=None):
    side = size if isinstance(size, int) else size[0]
    return f(x, size, stride) * side  # sum / side instead of sum / side**2


def _dx_stride_half_handled(f, dout, x, w, stride=1, pad=0):
    dx, dw, db = f(dout, x, w, stride, pad)
    if stride != 1 and stride != (1, 1):
        dx = f(dout, x, w, 1, pad)[0] if dout.shape[-2:] == x.shape[-2:] else np.zeros_like(dx)
    return dx, dw, db


def _relu_backward_mask_both(f, dout, x):
    return dout * (x > 0) * (dout > 0)


def _upsample_transposed(f, y, scale=2):
    out = f(y, scale)
    return np.swapaxes(out, -1, -2).copy() if out.shape[-1] == out.shape[-2] else out


def _flip_sign(f, k):
    return -f(k)


def _dense_db_twice(f, dout, x, w):
    dx, dw, db = f(dout, x, w)
    return dx, dw, 2 * db


def _lc_interior(f, x, w, b, stride=1, pad=0):
    y = f(x, w, b, stride, pad)
    if pad:
        y[..., :1, :] = 0  # the first output row left unwritten when padding
    return y


DESIGN_MISTAKES = [
    ("conv2d", "bias of filter 0 for every filter", _bias_of_filter_0),
    ("conv2d", "only the first sample computed", _first_sample_only),
    ("conv2d", "stride on rows only", _stride_on_rows_only),
    ("max_pool2d", "pooled map transposed", _pool_transposed),
    ("mean_pool2d", "divided by the side", _mean_divided_by_side),
    ("conv2d_backward", "dx half handles stride", _dx_stride_half_handled),
    ("relu_backward", "mask from x and dout", _relu_backward_mask_both),
    ("upsample_nearest", "square outputs transposed", _upsample_transposed),
    ("flip180", "sign flipped", _flip_sign),
    ("dense_backward", "db doubled", _dense_db_twice),
    ("locally_connected2d", "first row unwritten when padded", _lc_interior),
]


@pytest.mark.parametrize("function, label, change", DESIGN_MISTAKES, ids=[m[1] for m in DESIGN_MISTAKES])
def test_an_uncatalogued_mistake_loses_points_and_is_told_where_it_is_wrong(function, label, change):
    verdict = hidden_verdict(function, twist(function, change))
    assert not verdict.passed
    assert diagnosis(verdict), "\n".join(verdict.lines)


def test_the_diagnosis_names_what_the_issue_asks_for():
    said = {label: diagnosis(hidden_verdict(function, twist(function, change)))
            for function, label, change in DESIGN_MISTAKES}
    assert "the first channel is right, the others are not" in said["bias of filter 0 for every filter"]
    assert "the first sample is right, the others are not" in said["only the first sample computed"]
    assert "stride > 1" in said["stride on rows only"]
    assert "transposed" in said["pooled map transposed"]
    assert "by a factor that changes from case to case (2, 3" in said["divided by the side"]
    assert "only result[0] of the tuple is wrong" in said["dx half handles stride"]
    assert "stride > 1" in said["dx half handles stride"]
    assert "the sign flipped" in said["sign flipped"]
    assert "wrong only in the first 1 row, right elsewhere" in said["first row unwritten when padded"]


@pytest.mark.parametrize("function", sorted(CORRECT))
def test_correct_code_gets_no_diagnosis(function):
    for visible in (True, False):
        verdict = hidden_verdict(function, CORRECT[function].compiled, visible)
        assert verdict.passed and diagnosis(verdict) is None, verdict.lines


def _case(args, got, want):
    outcome, expected = {"value": record.encode(got)}, {"value": record.encode(want)}
    return args, outcome, expected, not np.array_equal(got, want)


def test_rules_on_arrays():
    x = np.random.default_rng(0).normal(size=(5, 5))
    border = x.copy()
    border[0, :] = border[-1, :] = border[:, 0] = border[:, -1] = 0
    assert diagnose([_case({}, np.zeros_like(x), x)]) == "the right shape, but all zeros"
    assert diagnose([_case({}, x.T, x)]) == "the right values, transposed (rows and columns swapped)"
    assert diagnose([_case({}, border, x)]).startswith("right in the interior, wrong within 1 pixel(s) of the border")
    assert "off by the same amount everywhere (+1" in diagnose([_case({}, x + 1, x)])
    assert "shifted by 1 row(s) down" in diagnose([_case({}, np.pad(x, ((1, 0), (0, 0)))[:-1], x)])


def test_rules_on_case_features():
    x = np.arange(1.0, 13.0).reshape(3, 4)
    cases = [_case({"x": x, "stride": 1}, x, x), _case({"x": x, "stride": 0}, x, x),
             _case({"x": x, "stride": 2}, 2 * x, x), _case({"x": x, "stride": 3}, 2 * x, x)]
    assert diagnose(cases) == ("wrong whenever stride > 1, right otherwise; "
                               "off by a constant factor of 2 (every value 2 times the right one)")


def test_a_condition_is_stated_only_when_the_evidence_separates_it():
    x = np.arange(1.0, 13.0).reshape(3, 4)
    one_failing = [_case({"x": x, "stride": 1}, x, x), _case({"x": x, "stride": 0}, x, x),
                   _case({"x": x, "stride": 2}, 2 * x, x)]
    assert diagnose(one_failing) == "off by a constant factor of 2 (every value 2 times the right one)"
    one_passing = [_case({"x": x, "stride": 1}, x, x), _case({"x": x, "stride": 2}, 2 * x, x),
                   _case({"x": x, "stride": 3}, 2 * x, x)]  # any feature the one passing case lacks would fit
    assert diagnose(one_passing) == "off by a constant factor of 2 (every value 2 times the right one)"
    # stride > 1 and pad > 0 split the cases alike: both are said, and that the checks cannot choose
    alike = [_case({"x": x, "stride": 1, "pad": 0}, x, x), _case({"x": x, "stride": 0, "pad": 0}, x, x),
             _case({"x": x, "stride": 2, "pad": 1}, 2 * x, x), _case({"x": x, "stride": 3, "pad": 2}, 2 * x, x)]
    assert diagnose(alike).startswith("wrong whenever stride > 1 (in these checks, exactly when pad > 0), right")
    # the same condition of two arguments (x and dout have N > 1 together) is one condition
    batch, single = np.ones((2, 1, 2, 2)), np.ones((1, 1, 2, 2))
    same = [_case({"x": single, "dout": single}, single, single), _case({"x": -single, "dout": single}, -single, -single),
            _case({"x": batch, "dout": batch}, 2 * batch, batch), _case({"x": 2 * batch, "dout": batch}, 4 * batch, 2 * batch)]
    assert diagnose(same).startswith("wrong whenever x has several samples (N > 1), right otherwise")
    # three features at once fit: nothing is said about where
    r = np.random.default_rng(0).normal(size=(3, 4))
    many = [_case({"x": r, "stride": 1, "pad": 0, "value": 0.0}, r, r), _case({"x": r, "stride": 0, "pad": 0, "value": 0.0}, r, r),
            _case({"x": r, "stride": 2, "pad": 1, "value": 1.0}, r + 1, r),
            _case({"x": r, "stride": 2, "pad": 1, "value": 2.0}, r + 1, r)]
    assert diagnose(many) == "off by the same amount everywhere (+1 from the right value)"
    # one number off by some amount in one case says nothing; in two cases it does
    scalar = [_case({"n": 1}, 1.0, 1.0), _case({"n": 0}, 0.0, 0.0), _case({"n": 2}, 3.0, 2.0)]
    assert diagnose(scalar) is None
    assert diagnose(scalar + [_case({"n": 3}, 4.0, 3.0)]) == (
        "wrong whenever n > 1, right otherwise; off by the same amount in every failing case (+1 from the right value)")


def test_the_visible_check_says_it_too(capsys):
    """The notebook's visible test goes through the same rules (its own calls, the student's defaults)."""
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check("test_mean_pool2d_visible", twist("mean_pool2d", _mean_divided_by_side))
    assert PREFIX + "proportional to the right answer, but by a factor that changes" in str(failure.value)


def test_a_catalogued_mistake_keeps_its_hint_and_gets_no_diagnosis():
    from grader.course.catalogue import wrong_for

    mistake = wrong_for("pad2d")[0]
    verdict = hidden_verdict("pad2d", mistake.impl.compiled)
    assert any("Hint:" in line for line in verdict.lines) and diagnosis(verdict) is None


def test_a_malformed_record_is_never_diagnosed_as_passing():
    case_set = CASE_SETS["test_conv2d_hidden"]
    outcomes = [{"value": {"__ndarray__": "not base64!"}}] * len(case_set.cases())
    verdict = __import__("grader.course.verdict", fromlist=["judge"]).judge(case_set.id, {"outcomes": outcomes})
    assert not verdict.passed and diagnosis(verdict) is None
