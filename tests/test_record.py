"""The recording protocol and the shared comparison: what both visible checks and the grader rely on."""
import json

import numpy as np
import pytest
from conftest import failure_message
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnn_course import checks, record


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float64, np.int64, np.bool_]), hnp.array_shapes(min_dims=0, max_dims=4, max_side=4)))
def test_arrays_survive_encoding_bit_for_bit(array):
    back = record.decode(json.loads(json.dumps(record.encode(array))))
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array, equal_nan=array.dtype.kind == "f")


@pytest.mark.parametrize("value", [3, -0.0, float("nan"), float("inf"), 1e-300, "text", None, True,
                                   (1, 2.5, (np.arange(3),)), [1, [2]], {"a": 1}])
def test_scalars_tuples_and_specials_survive_encoding(value):
    back = record.decode(json.loads(json.dumps(record.encode(value))))
    assert type(back) is type(value)
    assert checks.compare(back, value) is None or value != value


def test_numpy_scalars_become_python_numbers():
    assert record.decode(record.encode(np.int64(7))) == 7 and type(record.decode(record.encode(np.int64(7)))) is int
    assert type(record.decode(record.encode(np.float64(0.5)))) is float


def test_calls_in_messages_show_numpy_scalars_as_plain_numbers():
    shown = record.describe_args({"lr": np.float64(0.5), "stride": (np.int64(2), 1), "x": np.array(3.0)})
    assert shown == "lr=0.5, stride=(2, 1), x=3.0"


def test_with_defaults_adds_only_the_defaults_a_call_leaves_out():
    def f(x, stride=1, pad=0, *, dilation=1):
        return x

    assert record.with_defaults(f, {"x": 1, "pad": 2}) == {"x": 1, "pad": 2, "stride": 1, "dilation": 1}
    assert record.with_defaults(max, {"x": 1}) == {"x": 1}  # no signature: the call as it is


def test_long_calls_are_cut_to_the_limit_with_an_ellipsis():
    shown = record.describe_args({"layers": tuple(range(100))}, limit=40)
    assert len(shown) == 40 and shown.endswith("...")
    assert record.describe_args({"n": 5}, limit=3) == "n=5"  # exactly at the limit: kept whole


def test_a_pickled_array_in_a_record_is_never_unpickled():
    import base64
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        record.decode({"__ndarray__": base64.b64encode(buffer.getvalue()).decode("ascii")})


def test_an_argument_left_as_nan_is_unchanged():
    outcome = record.run_case(lambda x, t: x.sum(), {"x": np.array([np.nan, 1.0]), "t": (float("nan"), 2)})
    assert "modified" not in outcome


def test_objects_and_object_arrays_are_refused():
    class Anything:
        def __eq__(self, other):
            return True
    for value in (Anything(), np.array([Anything()], dtype=object)):
        with pytest.raises(record.UnrecordableValue):
            record.encode(value)
    outcome = record.run_case(lambda: Anything(), {})
    assert outcome["error"]["type"] == "UnrecordableValue"


def test_run_case_reports_errors_and_modified_inputs_without_raising():
    def in_place(x):
        x += 1
        return x
    x = np.zeros(3)
    outcome = record.run_case(in_place, {"x": x})
    assert outcome["modified"] == ["x"] and np.array_equal(x, np.zeros(3))
    boom = record.run_case(lambda n: 1 // n, {"n": 0})
    assert boom["error"]["type"] == "ZeroDivisionError"
    assert "modified" not in record.run_case(lambda x: x + 1, {"x": x})


def test_read_records_finds_only_well_formed_records():
    bundle = record.record_bundle("t1", "f", [{"value": 1}])
    outputs = [{"output_type": "display_data", "data": bundle, "metadata": {}},
               {"output_type": "stream", "name": "stdout", "text": "hi"},
               {"output_type": "display_data", "data": {record.RECORD_MIME: "junk"}, "metadata": {}}]
    assert list(record.read_records(outputs)) == ["t1"]


@pytest.mark.parametrize("got, expected, words", [
    (np.zeros((2, 3)), np.zeros((3, 2)), "shape (2, 3), expected (3, 2)"),
    (np.zeros(3, dtype=np.float32), np.zeros(3), "dtype float32"),
    (np.zeros(3), np.zeros(3, dtype=np.int64), "should hold integers"),
    (np.array([0, 1.0]), np.array([0, 1.5]), "differs at 1 of 2 positions; first at index (1,)"),
    ([1, 2], np.zeros(2), "should be a numpy array"),
    (3.0, 3, "the float 3.0; return an int"),
    (4, 3, "is 4, expected 3"),
    (np.zeros(2), (np.zeros(2), np.zeros(2)), "tuple of 2"),
    ((np.zeros(2), np.ones(2)), (np.zeros(2), np.zeros(2)), "the result[1]"),
])
def test_compare_says_what_differs(got, expected, words):
    assert words in checks.compare(got, expected)


def test_compare_accepts_round_off_but_not_real_differences():
    x = np.linspace(-1, 1, 50)
    assert checks.compare(x * (1 + 1e-13), x) is None
    assert checks.compare(x * (1 + 1e-6), x) is not None


def test_failure_message_names_the_matching_mistake():
    right = {"value": record.encode(np.array([1.0, 2.0]))}
    variants = [("you reversed it", {"value": record.encode(np.array([2.0, 1.0]))}),
                ("you doubled it", {"value": record.encode(np.array([2.0, 4.0]))})]
    wrong = {"value": record.encode(np.array([2.0, 4.0]))}
    assert failure_message(wrong, right, variants).endswith("Hint: you doubled it")
    assert failure_message(right, right, variants) is None
    unknown = {"value": record.encode(np.array([9.0, 9.0]))}
    assert "Hint" not in failure_message(unknown, right, variants)


def test_expected_errors_are_outcomes_too():
    want = {"error": {"type": "ValueError", "message": "stride must be >= 1"}}
    assert checks.outcome_problem({"error": {"type": "ValueError", "message": "bad"}}, want) is None
    assert "expected it to raise ValueError" in checks.outcome_problem({"value": record.encode(3)}, want)
    assert "expected ValueError" in checks.outcome_problem({"error": {"type": "ZeroDivisionError", "message": ""}}, want)


DOUBLE = {"t": {"function": "double", "cases": [
    {"note": "doubles 2", "args": record.encode({"x": 2}), "expected": {"value": record.encode(4)},
     "variants": [["you added 1 instead of doubling", {"value": record.encode(3)}]]},
    {"note": "doubles 0", "args": record.encode({"x": 0}), "expected": {"value": record.encode(0)}, "variants": []}]}}


@pytest.fixture
def double_fixture(monkeypatch):
    monkeypatch.setattr(checks, "_fixtures", lambda: DOUBLE)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def test_check_outside_ipython_raises_with_the_whole_report(double_fixture, capsys):
    checks.check("t", lambda x: 2 * x)
    assert "2 of 2 checks passed — 2 of 2 points" in capsys.readouterr().out
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check("t", lambda x: x + 1 if x else 0)
    message = str(failure.value)
    assert message.startswith("double: 1 of 2 checks passed — this test cell scores 0 of 2 points: all its checks must pass")
    assert "Hint: you added 1 instead of doubling" in message and "details above" not in message
    with pytest.raises(KeyError, match="make notebooks"):
        checks.check("nope", abs)


def test_check_in_a_notebook_shows_a_red_report_and_does_not_raise(double_fixture, monkeypatch):
    shown = []
    monkeypatch.setattr(record, "in_ipython", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    checks.check("t", lambda x: x + 1 if x else 0)  # no exception: Run All goes on
    bundle = shown[-1]
    assert "Hint: you added 1 instead of doubling" in bundle["text/plain"]
    assert "#c62828" in bundle["text/html"] and "all its checks must pass" in bundle["text/html"]
    checks.check("t", lambda x: (_ for _ in ()).throw(NotImplementedError()))
    assert "not implemented yet" in shown[-1]["text/plain"] and "Traceback" not in shown[-1]["text/plain"]


def test_check_under_nbgrader_validate_raises_with_every_detail_and_no_traceback(double_fixture, monkeypatch):
    monkeypatch.setattr(record, "in_ipython", lambda: True)
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check("t", lambda x: x + 1 if x else 0)
    shown = "\n".join(failure.value._render_traceback_())  # what IPython puts in the error output
    assert "0 of 2 points" in shown and "Hint: you added 1 instead of doubling" in shown
    assert "File " not in shown and "checks.py" not in shown


def test_check_under_autograde_leaves_the_verdict_to_the_grader(double_fixture, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    for function in (lambda x: 2 * x, lambda x: x + 1):
        with pytest.raises(record.VerdictPending):
            checks.check("t", function)


def test_an_expected_error_must_name_the_argument_when_the_case_says_so():
    want = {"error": {"type": "ValueError", "message": "stride must be >= 1, got 0", "names": ["stride"]}}
    assert checks.outcome_problem({"error": {"type": "ValueError", "message": "stride=0 is too small"}}, want) is None
    for message in ("", "invalid arguments", "strides must be positive"):
        problem = checks.outcome_problem({"error": {"type": "ValueError", "message": message}}, want)
        assert "does not name stride" in problem and "message should name the argument" in problem
    both = dict(want, error=dict(want["error"], names=["k", "dilation"]))
    assert "does not name dilation" in checks.outcome_problem({"error": {"type": "ValueError", "message": "k=4"}}, both)
    assert checks.outcome_problem({"error": {"type": "ValueError", "message": "k=4, dilation=1"}}, both) is None


def test_a_mistake_that_raises_names_only_the_same_error():
    right = {"value": record.encode(np.zeros(2))}
    slip = ("the slice out[p:-p] is empty for p = 0",
            {"error": {"type": "ValueError", "message": "could not broadcast input array from shape (2,) into shape (0,)"}})
    same = {"error": dict(slip[1]["error"])}
    other = {"error": {"type": "ValueError", "message": "pad must be >= 0"}}
    assert failure_message(same, right, [slip]).endswith("Hint: the slice out[p:-p] is empty for p = 0")
    assert "Hint" not in failure_message(other, right, [slip])


ALIASING_HINT = "Hint: your answer shares memory with its input {} (a view, e.g. from slicing or np.broadcast_to)"


@pytest.mark.parametrize("answer", [lambda x, w: x, lambda x, w: x[..., ::-1, ::-1], lambda x, w: x.T,
                                    lambda x, w: np.broadcast_to(x, (3, 2, 2)), lambda x, w: (w.copy(), x[:1])],
                         ids=["itself", "reversed-slice", "transpose", "broadcast_to", "in-a-tuple"])
def test_an_answer_sharing_memory_with_an_input_fails_with_the_hint(answer):
    args = {"x": np.arange(4.0).reshape(2, 2), "w": np.ones(3)}
    outcome = record.run_case(answer, args)
    assert outcome["returned_input"] == ["x"]
    right = record.run_case(lambda x, w: np.copy(answer(x, w)) if not isinstance(answer(x, w), tuple) else
                            tuple(np.copy(a) for a in answer(x, w)), args)   # the same numbers, in new arrays
    assert "returned_input" not in right and checks.outcome_problem(right, right) is None
    message = failure_message(outcome, right, [])
    assert "view of the argument x" in message and ALIASING_HINT.format("x") in message


def test_a_new_array_or_an_input_inside_a_tuple_argument_is_checked_too():
    params = (np.ones((2, 2)), np.zeros(2))
    assert record.run_case(lambda params: params[1][:], {"params": params})["returned_input"] == ["params"]
    for new in (lambda params: params[1].copy(), lambda params: params[1] + 0, lambda params: np.ascontiguousarray(params[0].T)):
        outcome = record.run_case(new, {"params": params})
        assert "returned_input" not in outcome and checks.outcome_problem(outcome, outcome) is None


def test_the_hint_that_explains_most_failures_of_a_set_wins():
    def enc(v):
        return {"value": record.encode(v)}
    # Case 1 is explained by both mistakes, case 2 only by "ceil": the set's diagnosis is "ceil" for both.
    cases = [(enc(3), enc(2), lambda: [("forgot + 1", enc(3)), ("ceil", enc(3))]),
             (enc(5), enc(4), lambda: [("forgot + 1", enc(9)), ("ceil", enc(5))]),
             (enc(1), enc(1), lambda: [("never asked for a right answer", enc(0))])]
    messages = checks.judge_cases(cases)
    assert messages[0].endswith("Hint: ceil") and messages[1].endswith("Hint: ceil") and messages[2] is None
    # Alone, case 1 gets the first hint in catalogue order.
    assert failure_message(*cases[0][:2], cases[0][2]()).endswith("Hint: forgot + 1")


def test_malformed_records_fail_instead_of_crashing_the_grader():
    assert checks.judge_cases([({"value": {"__ndarray__": "not base64!"}}, {"value": record.encode(1.0)},
                                lambda: [])]) == ["the recorded result is malformed"]


def test_training_that_returns_views_of_its_start_fails_with_the_hint():
    """07's hidden training is judged by accuracy, not equality: a view of the start is still named."""
    from grader.cases import CASE_SETS
    from grader.course.notebooks.nb07_tiny_cnn.judges import judge_training

    case = CASE_SETS["test_train_tiny_cnn_hidden"].cases()[0]
    steps = 5 * -(-len(case.args["x"]) // 32)
    outcome = record.run_case(lambda params, **_: (tuple(p[...] for p in params), np.ones(steps)), case.args)
    assert ALIASING_HINT.format("params") in judge_training(case, outcome)
