"""Judges of notebook 07's case sets that are not decided by equality with the reference.

``JUDGES`` maps a (hidden) case-set id to ``judge(case, outcome) -> None | problem``. The grading
process (``grader.course.verdict``) uses it instead of comparing with the reference's outcome. Here:
training is judged by what it is for, the accuracy of the returned parameters on held-out
digits the training never saw, computed with the reference forward pass outside the kernel.
"""
from __future__ import annotations

import numpy as np

from cnn_course import record
from cnn_course.checks import HINT, aliasing_hint, modified_problem, raised, view_problem
from cnn_course.data import load_digits
from cnn_course.i18n import tr

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
        return modified_problem(outcome)
    if "error" in outcome:
        return raised(outcome)
    if outcome.get("returned_input"):
        return view_problem(outcome) + HINT + aliasing_hint(outcome)
    value = record.decode(outcome["value"])
    if not (isinstance(value, tuple) and len(value) == 2):
        return tr("the result should be the tuple (params, losses)")
    params, losses = value
    start = case.args["params"]
    if not (isinstance(params, tuple) and len(params) == 4 and all(
            isinstance(p, np.ndarray) and p.shape == np.shape(s) for p, s in zip(params, start))):
        return tr("params should be a tuple (w1, b1, w2, b2) of arrays shaped like the starting parameters")
    n, epochs, batch = len(case.args["x"]), case.args["epochs"], case.args["batch_size"]
    steps = epochs * -(-n // batch)
    if not isinstance(losses, np.ndarray) or losses.shape != (steps,):
        got = record.describe_args({"losses": losses})[len("losses="):]
        return tr("losses should be an array of {steps} batch losses (one per step), got {got}").format(steps=steps, got=got)
    try:
        accuracy = held_out_accuracy(params)
    except Exception as error:  # the parameters do not fit the network
        return tr("the returned parameters do not fit the network: {error}").format(
            error=f"{type(error).__name__}: {error}")
    if not np.all(np.isfinite(losses)) or not np.isfinite(accuracy):
        return tr("the training blew up (a loss is inf or nan)")
    if accuracy >= ACCURACY_THRESHOLD:
        return None
    first, last = float(np.mean(losses[:20])), float(np.mean(losses[-20:]))
    trend = (tr("the loss went up (from about {first} to {last}): does each step subtract lr * gradient?")
             if last >= first else
             tr("the loss went down (from about {first} to {last}) but not far enough: check the gradients "
                "(the numerical gradient check) and that every batch of every epoch makes a step"))
    return tr("only {accuracy} of the held-out digits are right (at least {threshold} needed)").format(
        accuracy=f"{accuracy:.1%}", threshold=f"{ACCURACY_THRESHOLD:.0%}") + HINT + trend.format(
        first=f"{first:.2f}", last=f"{last:.2f}")


JUDGES = {"test_train_tiny_cnn_hidden": judge_training}
