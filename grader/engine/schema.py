"""What a record from the kernel may look like: checked in the grading process before it is judged.

A record is data written by the student's kernel (``cnn_course.record``), so it is checked like
any untrusted input: its shape, types, the size of every encoded array (a forged ``.npy``
header cannot make the grader allocate more than the bytes it carries), and nothing else.
"""
from __future__ import annotations

import base64
import binascii
import io
import re

import numpy as np

MAX_CHARS = 2_000_000  # an encoded array (base64): far more than any case set needs
_INT = re.compile(r"-?\d{1,4000}")


class Malformed(ValueError):
    """A record that does not follow the schema; the message says where, in one line."""


def check_record(payload, case_set_id: str, function: str, calls: int) -> None:
    """Raise :class:`Malformed` unless ``payload`` is a record of ``calls`` outcomes of ``function`` for ``case_set_id``.

    Schema: ``{"id": str, "function": str, "outcomes": [outcome, ...]}``; an outcome is
    ``{"value": encoded}`` or ``{"error": {"type": str, "message": str}}``, optionally with
    ``"modified"`` / ``"returned_input"``: lists of argument names.
    """
    if not isinstance(payload, dict) or set(payload) != {"id", "function", "outcomes"}:
        raise Malformed("a record must have exactly the keys id, function, outcomes")
    if payload["id"] != case_set_id or payload["function"] != function:
        raise Malformed(f"the record is for {payload['id']!r}/{payload['function']!r}, not this test")
    outcomes = payload["outcomes"]
    if not isinstance(outcomes, list) or len(outcomes) != calls:
        raise Malformed(f"the record does not hold the {calls} expected outcomes")
    for number, outcome in enumerate(outcomes, 1):
        try:
            _check_outcome(outcome)
        except Malformed as error:
            raise Malformed(f"outcome {number}: {error}") from None


def _check_outcome(outcome) -> None:
    if not isinstance(outcome, dict):
        raise Malformed("not an object")
    extra = set(outcome) - {"value", "error", "modified", "returned_input"}
    if extra or ("value" in outcome) == ("error" in outcome):
        raise Malformed("needs exactly one of value, error (and nothing but modified, returned_input)")
    for key in ("modified", "returned_input"):
        if key in outcome and not (isinstance(outcome[key], list) and all(isinstance(n, str) for n in outcome[key])):
            raise Malformed(f"{key} must be a list of argument names")
    if "error" in outcome:
        error = outcome["error"]
        if not (isinstance(error, dict) and set(error) == {"type", "message"}
                and all(isinstance(v, str) for v in error.values())):
            raise Malformed("error must be {type: str, message: str}")
    else:
        _check_value(outcome["value"], depth=0)


def _check_value(value, depth: int) -> None:
    if depth > 20:
        raise Malformed("value nested too deep")
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)
        return
    if not isinstance(value, dict) or len(value) != 1:
        raise Malformed(f"not an encoded value ({type(value).__name__})")
    (kind, data), = value.items()
    if kind == "__int__" and isinstance(data, str) and _INT.fullmatch(data):
        return
    if kind == "__float__" and isinstance(data, str):
        try:
            float(data)
            return
        except ValueError:
            raise Malformed("bad float") from None
    if kind == "__tuple__" and isinstance(data, list):
        return _check_value(data, depth + 1)
    if kind == "__dict__" and isinstance(data, list):
        for pair in data:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise Malformed("bad dict entry")
            _check_value(pair[1], depth + 1)
        return
    if kind == "__ndarray__" and isinstance(data, str):
        return _check_array(data)
    raise Malformed(f"not an encoded value ({kind!r})")


def _check_array(data: str) -> None:
    """An ``.npy`` of numbers whose header matches the bytes that follow it."""
    if len(data) > MAX_CHARS:
        raise Malformed("array too large")
    try:
        raw = base64.b64decode(data, validate=True)
        stream = io.BytesIO(raw)
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0}.get(version, np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(stream)
    except (binascii.Error, ValueError, TypeError, OSError) as error:
        raise Malformed(f"bad array ({type(error).__name__})") from None
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise Malformed(f"array of dtype {dtype} (expected numbers)")
    size = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if size != len(raw) - stream.tell():
        raise Malformed("array header does not match its data")
