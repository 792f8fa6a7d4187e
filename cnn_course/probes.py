"""Scalar test functions with known gradients, by name: what ``numerical_gradient`` is checked on.

A visible test's arguments are stored as data in ``cnn_course/fixtures/*.json`` (see
``cnn_course.record``), and a Python function is not data. So the functions that
``numerical_gradient`` differentiates in the tests are **probes**: a :class:`Probe` is a string
(its name, which is what the fixtures store) that can also be called like the function it names,
and knows its exact gradient. ``cnn_course.record`` stores a probe as ``{"__probe__": name}`` and
reads it back as the probe, so a visible test calls the student's function with the real thing.

Every probe takes an array of any shape and returns a Python float. Some couple all the
elements (the gradient at one element depends on the others), so that forgetting to put
``x[i]`` back after probing it changes later answers; some are not quadratic, so that the step
``h`` matters.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["Probe", "PROBES"]


def _weights(x: np.ndarray) -> np.ndarray:
    return np.arange(1, x.size + 1, dtype=np.float64).reshape(x.shape)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


#: name -> (formula, f, exact gradient)
PROBES: dict[str, tuple[str, Callable, Callable]] = {
    "sum_of_squares": ("f(x) = Σ x²  (gradient 2x)",
                       lambda x: float(np.sum(x ** 2)),
                       lambda x: 2 * x),
    "weighted_squares": ("f(x) = Σ k·x_k², k = 1, 2, ... in row-major order  (gradient 2k·x_k)",
                         lambda x: float(np.sum(_weights(x) * x ** 2)),
                         lambda x: 2 * _weights(x) * x),
    "cubic_mix": ("f(x) = Σ x³ + (Σ sin x)(Σ x)  (every element's gradient depends on all the others)",
                  lambda x: float(np.sum(x ** 3) + np.sum(np.sin(x)) * np.sum(x)),
                  lambda x: 3 * x ** 2 + np.cos(x) * np.sum(x) + np.sum(np.sin(x))),
    "log_sum_exp": ("f(x) = log Σ exp(x)  (gradient softmax(x))",
                    lambda x: float(np.max(x) + np.log(np.sum(np.exp(x - np.max(x))))),
                    lambda x: _softmax(x)),
    "tanh_dot": ("f(x) = Σ c_k·tanh(x_k) + (Σ x)², c_k = cos(k)  (couples all elements)",
                 lambda x: float(np.sum(np.cos(_weights(x)) * np.tanh(x)) + np.sum(x) ** 2),
                 lambda x: np.cos(_weights(x)) / np.cosh(x) ** 2 + 2 * np.sum(x)),
}


class Probe(str):
    """A named test function: a string (so it can be stored as data) that can be called.

    ``Probe("sum_of_squares")(x)`` is ``Σ x²``; ``.gradient(x)`` its exact gradient; ``.formula`` in words.
    """

    def __new__(cls, name: str) -> "Probe":
        if name not in PROBES:
            raise ValueError(f"unknown probe {name!r}; known: {', '.join(PROBES)}")
        return super().__new__(cls, name)

    def __call__(self, x) -> float:
        return PROBES[str(self)][1](np.asarray(x, dtype=np.float64))

    def gradient(self, x) -> np.ndarray:
        return PROBES[str(self)][2](np.asarray(x, dtype=np.float64))

    @property
    def formula(self) -> str:
        return PROBES[str(self)][0]

    @property
    def __name__(self) -> str:  # how record.describe_args shows a callable argument
        return str(self)
