"""Judges of notebook 07's case sets that are not decided by equality with the reference.

``JUDGES`` maps a (hidden) case-set id to ``judge(case, outcome) -> None | problem``. The grading
process (``grader.course.verdict``) uses it instead of comparing with the reference's outcome. Here:
training is judged by what it is for, the accuracy of the returned parameters on held-out
digits the training never saw, computed with the reference forward pass outside the kernel.
"""
from __future__ import annotations

import numpy as np

from cnn_course import record
from cnn_course.checks import aliasing_hint
from cnn_course.data import load_digits

from . import reference as R

#: The capstone's promise: at least this fraction of the held-out digits right.
ACCURACY_THRESHOLD = 0.9


def held_out_accuracy(params) -> float:
    """Fraction of the 500 held-out digits that the reference forward pass with ``params`` gets right."""
    _, _, x_test, y_test = load_digits()
    scores, _ = R.tiny_cnn_forward(x_test, params)
    return float(np.mean(scores.argmax(axis=1) == y_test))


def judge_training(case, outcome: dict) -> str | None:
    """``None`` when the trained parameters reach the threshold on the held-out digits, else why not."""
    if outcome.get("modified"):
        return f"the function modified its argument(s) {', '.join(outcome['modified'])}; return new arrays instead"
    if "error" in outcome:
        error = outcome["error"]
        return f"raised {error['type']}" + (f": {error['message']}" if error.get("message") else "")
    if outcome.get("returned_input"):
        return f"the result is a view of the argument {outcome['returned_input'][0]}, not a new array. Hint: {aliasing_hint(outcome)}"
    value = record.decode(outcome["value"])
    if not (isinstance(value, tuple) and len(value) == 2):
        return "the result should be the tuple (params, losses)"
    params, losses = value
    start = case.args["params"]
    if not (isinstance(params, tuple) and len(params) == 4 and all(
            isinstance(p, np.ndarray) and p.shape == np.shape(s) for p, s in zip(params, start))):
        return "params should be a tuple (w1, b1, w2, b2) of arrays shaped like the starting parameters"
    n, epochs, batch = len(case.args["x"]), case.args["epochs"], case.args["batch_size"]
    steps = epochs * -(-n // batch)
    if not isinstance(losses, np.ndarray) or losses.shape != (steps,):
        got = record.describe_args({"losses": losses})[len("losses="):]
        return f"losses should be an array of {steps} batch losses (one per step), got {got}"
    try:
        accuracy = held_out_accuracy(params)
    except Exception as error:  # the parameters do not fit the network
        return f"the returned parameters do not fit the network: {type(error).__name__}: {error}"
    if not np.all(np.isfinite(losses)) or not np.isfinite(accuracy):
        return "the training blew up (a loss is inf or nan)"
    if accuracy >= ACCURACY_THRESHOLD:
        return None
    first, last = float(np.mean(losses[:20])), float(np.mean(losses[-20:]))
    trend = (f"the loss went up (from about {first:.2f} to {last:.2f}): does each step subtract lr * gradient?"
             if last >= first else
             f"the loss went down (from about {first:.2f} to {last:.2f}) but not far enough: check the gradients "
             f"(the numerical gradient check) and that every batch of every epoch makes a step")
    return f"only {accuracy:.1%} of the held-out digits are right (at least {ACCURACY_THRESHOLD:.0%} needed). Hint: {trend}"


JUDGES = {"test_train_tiny_cnn_hidden": judge_training}
