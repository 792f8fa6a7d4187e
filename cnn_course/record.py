"""Recording what a student's function returns, so it can be judged outside the kernel.

Test cells only *call* the student's functions and record the outcomes as a
display output of MIME type :data:`RECORD_MIME`. Whether an outcome is right is
decided later by the grading process (``grader.course.verdict``), which the student's
kernel cannot patch. The same records drive the visible checks in the notebook.

An *outcome* is a JSON-able dict: ``{"value": <encoded>}`` when the call
returned, ``{"error": {"type": "ValueError", "message": "..."}}`` when it raised,
plus ``"modified": ["x", ...]`` when the call changed one of its array arguments and
``"returned_input": ["x"]`` when an array it returned shares memory with an argument's array: the
argument itself, or a view of it (a slice, ``np.broadcast_to``, a transpose...) instead of a new array.
"""
from __future__ import annotations

import base64
import copy
import io
import math
import os
from typing import Any, Callable

import numpy as np

from .probes import Probe

RECORD_MIME = "application/vnd.cnn-course.record+json"


class VerdictPending(Exception):
    """Raised by a test cell under autograde once it has recorded: only the grading process decides.

    It makes the protocol fail closed: if the judging preprocessor were missing from the
    configuration, every test cell would score 0, never full marks.
    """


def under_autograde() -> bool:
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def under_validation() -> bool:
    """True inside nbgrader's Validate (``nbgrader validate``, the Validate button): it sets this variable."""
    return os.environ.get("NBGRADER_EXECUTION") == "validate"


def in_ipython() -> bool:
    """True in a Jupyter kernel or an IPython shell."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always installed with the course
        return False
    return get_ipython() is not None


def finish_recording() -> None:
    """End a test cell: under autograde, leave the verdict to the grading process."""
    if under_autograde():
        raise VerdictPending("outcomes recorded; the grader judges them outside the kernel")


class UnrecordableValue(TypeError):
    """A function returned something that is not a number, array, string or tuple of them."""


def encode(value: Any) -> Any:
    """Encode numbers, strings, arrays and (nested) tuples or lists as JSON-able data, losslessly."""
    if isinstance(value, Probe):  # a named test function (numerical_gradient's f): stored by its name
        return {"__probe__": str(value)}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return {"__int__": str(int(value))}
    if isinstance(value, (float, np.floating)):
        return {"__float__": repr(float(value))}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": [[k, encode(v)] for k, v in value.items()]}  # a list keeps the order
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise UnrecordableValue(f"an array of dtype {value.dtype} (expected numbers)")
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        return {"__ndarray__": base64.b64encode(buffer.getvalue()).decode("ascii")}
    raise UnrecordableValue(f"a value of type {type(value).__name__}")


def decode(data: Any) -> Any:
    """Invert :func:`encode`."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__int__" in data:
        return int(data["__int__"])
    if "__float__" in data:
        return float(data["__float__"])
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__dict__" in data:
        return {k: decode(v) for k, v in data["__dict__"]}
    if "__probe__" in data:
        return Probe(data["__probe__"])
    if "__ndarray__" in data:
        raw = base64.b64decode(data["__ndarray__"])
        return np.load(io.BytesIO(raw), allow_pickle=False)
    raise ValueError(f"not an encoded value: {sorted(data)}")


def _same(a: Any, b: Any) -> bool:
    """True when an argument is unchanged after the call (arrays bit for bit, NaN equal to NaN)."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:  # objects with exotic __eq__: treat as unchanged
        return True


def run_case(function: Callable, args: dict) -> dict:
    """Call ``function(**args)`` on copies of the arguments and return its outcome (never raises)."""
    kept = {name: copy.deepcopy(value) for name, value in args.items() if not callable(value)}
    given = {name: copy.deepcopy(value) if name in kept else value for name, value in args.items()}
    try:
        result = function(**given)
        returned = arrays_in(result)
        aliased = [name for name, value in given.items()
                   if any(_shares_memory(r, a) for r in returned for a in arrays_in(value))]
        outcome = {"value": encode(result)}
        if aliased:
            outcome["returned_input"] = aliased
    except UnrecordableValue as error:
        outcome = {"error": {"type": "UnrecordableValue", "message": f"the function returned {error}"}}
    except Exception as error:  # any mistake of the student's is an outcome, not a crash
        outcome = {"error": {"type": type(error).__name__, "message": str(error)[:500]}}
    modified = [name for name, value in kept.items() if not _same(value, given[name])]
    if modified:
        outcome["modified"] = modified
    return outcome


def _shares_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two arrays overlap in memory (a view of the other, or the same array)."""
    try:
        return bool(np.shares_memory(a, b, max_work=100_000))
    except np.exceptions.TooHardError:  # pragma: no cover - exotic strides: trust the cheap bounds check
        return bool(np.may_share_memory(a, b))


def arrays_in(result: Any) -> list:
    """The arrays in ``result``: itself, or those in its tuples and lists, however nested."""
    return [result] if isinstance(result, np.ndarray) else [a for r in result for a in arrays_in(r)] \
        if isinstance(result, (tuple, list)) else []


def with_defaults(function: Callable, args: dict) -> dict:
    """``args`` with the defaults of ``function``'s parameters it does not give (``stride=1``...); ``args`` when unknown."""
    import inspect

    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return dict(args)
    defaults = {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty and p.name not in args}
    return {**args, **defaults}


def describe_args(args: dict, limit: int = 120) -> str:
    """``n=5, k=3, x=<array 2x3x5x7>``: how a call is shown in messages."""
    parts = []
    for name, value in args.items():
        if isinstance(value, np.ndarray):
            shown = "<array " + "x".join(map(str, value.shape)) + ">" if value.ndim else repr(value.item())
        elif callable(value):
            shown = getattr(value, "__name__", "<function>")
        else:
            shown = repr(_plain(value))
        parts.append(f"{name}={shown}")
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers, in tuples and lists too: ``0.5``, not ``np.float64(0.5)``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    return value


def record_bundle(case_set_id: str, function_name: str, outcomes: list[dict]) -> dict:
    """The display bundle a test cell emits: the record, and a line for people."""
    return {
        RECORD_MIME: {"id": case_set_id, "function": function_name, "outcomes": outcomes},
        "text/plain": f"[recorded {len(outcomes)} call(s) of {function_name} for grading: {case_set_id}]",
    }


def emit(case_set_id: str, function_name: str, outcomes: list[dict]) -> None:
    """Display the record in the current cell's outputs (a no-op outside IPython)."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is always installed with the course
        return
    if get_ipython() is None:
        return
    display(record_bundle(case_set_id, function_name, outcomes), raw=True)


def read_records(outputs: list[dict]) -> dict[str, dict]:
    """All records in a cell's outputs, by case-set id."""
    records = {}
    for output in outputs:
        data = output.get("data") or {}
        if output.get("output_type") in ("display_data", "execute_result") and RECORD_MIME in data:
            payload = data[RECORD_MIME]
            if isinstance(payload, dict) and isinstance(payload.get("id"), str):
                records[payload["id"]] = payload
    return records
