"""Where a wrong answer goes wrong, from the cases themselves: one rule set for every graded function.

The catalogue of typical mistakes (``grader.course.mistakes``) names the mistakes someone listed. For
the others, :func:`diagnose` looks at a whole case set and says what its failing cases have in
common and how the answers differ from the right ones, with no table per function:

* **case features** - what the arguments of the failing cases share and the passing ones lack:
  ``stride > 1``, several input channels (``C > 1``), a non-square input, a negative entry, an
  argument that is ``None``... (from the argument's name, type and shape only);
* **the parts of a tuple** that are wrong (``result[1]`` only, the others right);
* **array comparisons** of each wrong answer with the right one: all zeros, transposed, flipped,
  a constant factor, the square (root) or reciprocal, a constant offset (per channel too), shifted
  by a row or column, only the first sample (or channel) right, wrong only where an argument is
  negative, only an edge or the border wrong, the right values at the wrong positions, zeros where
  values belong, cropped or with extra rows.

A rule is said only when it holds on every failing case it can judge, so its sentence is true
of the student's answers, never a guess. Used by :func:`cnn_course.checks.judge_set`, which
both the visible checks and the hidden verdicts go through; it imports only numpy.
"""
from __future__ import annotations

import numbers
import re
from typing import Any

import numpy as np

from . import record
from .i18n import N_, Said, say, tr


class _Listed(str):
    """Sentences joined by commas, each said in the language spoken now when the whole is."""

    def __new__(cls, parts: list[Said]) -> "_Listed":
        listed = super().__new__(cls, ", ".join(parts))
        listed.parts = parts
        return listed

    def translated(self) -> str:
        return tr(", ").join(say(part) for part in self.parts)


#: The line of a report that holds the diagnosis starts with this (``cnn_course.checks.report``).
PREFIX = N_("where it goes wrong: ")

_RTOL, _ATOL = 1e-7, 1e-9
#: Names of the axes of a 4-D array of data (NCHW, the course's layout), and of one of weights.
_DATA_AXES = (N_("{name} has several samples (N > 1)"), N_("{name} has several channels (C > 1)"))
_WEIGHT_NAMES = ("w", "weights", "kernel")


# --------------------------------------------------------------------------- case features


def _integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_pair(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(_integer(v) for v in value)


def features(args: dict) -> dict[str, bool]:
    """``{sentence: holds}`` for the features of one call's arguments (``"stride > 1": True``).

    Each sentence completes "wrong only when ...". Built from each argument's name, type and
    shape: nothing here knows which function is called.
    """
    found: dict[str, bool] = {}
    for name, value in args.items():
        if isinstance(value, bool):
            found[Said("{name} is {value}", name=name, value=value)] = True
            found[Said("{name} is {value}", name=name, value=not value)] = False
        elif value is None:
            found[Said("{name} is None", name=name)] = True
        elif _integer(value):
            found[Said("{name} > 1", name=name)] = value > 1
            found[Said("{name} > 0", name=name)] = value > 0
            found[Said(_UNEQUAL, name=name)] = False  # an int is (n, n)
        elif _is_pair(value):
            found[Said("{name} > 1", name=name)] = max(value) > 1
            found[Said("{name} > 0", name=name)] = max(value) > 0
            found[Said(_UNEQUAL, name=name)] = value[0] != value[1]
        elif isinstance(value, float):
            found[Said("{name} != 0", name=name)] = value != 0
        elif isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.ndim:
            _array_features(name, value, found)
        if _integer(value) or _is_pair(value) or isinstance(value, float):
            found.setdefault(Said("{name} is None", name=name), False)
    return found


_UNEQUAL = N_("{name} is a pair of unequal numbers (height != width)")


def _array_features(name: str, value: np.ndarray, found: dict[str, bool]) -> None:
    shape = value.shape
    if value.ndim >= 2:
        found[Said("{name} is not square (height != width)", name=name)] = shape[-1] != shape[-2]
    if value.ndim == 4:
        if name in _WEIGHT_NAMES:
            found[Said("{name}.shape[0] > 1", name=name)] = shape[0] > 1  # filters, or input channels of a transposed conv
            found[Said("{name}.shape[1] > 1", name=name)] = shape[1] > 1
            found[Said("the kernel of {name} is larger than 1x1", name=name)] = max(shape[2:]) > 1
        else:
            found[Said(_DATA_AXES[0], name=name)] = shape[0] > 1
            found[Said(_DATA_AXES[1], name=name)] = shape[1] > 1
    elif value.ndim == 3:
        found[Said("{name} has several planes (shape[0] > 1)", name=name)] = shape[0] > 1
    if value.dtype.kind in "if":
        found[Said("{name} has negative entries", name=name)] = bool((value < 0).any())
    if value.dtype.kind == "f" and value.size > 1:
        flat = value.ravel()
        found[Said("{name} has equal entries (ties)", name=name)] = len(np.unique(flat)) < flat.size


#: A condition on the cases is stated only with at least this many failing cases behind it (one failing case
#: has too many features to tell which one matters)...
MIN_FAILING = 2
#: ... and at least this many passing ones (with one, any feature that case alone lacks would fit).
MIN_PASSING = 2


def _same_condition(sentences: list[str], names: list[str]) -> bool:
    """True when the sentences say one thing of different arguments (``x has several samples`` and
    ``dout has several samples``): then any of them is the condition; otherwise the evidence cannot choose."""
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b") \
        if names else None
    said = {pattern.sub("_", sentence) if pattern else sentence for sentence in sentences}
    return len(said) == 1


def _separating(failing: list[dict], passing: list[dict], names: list[str] = ()) -> str | None:
    """The feature that every failing call has and no passing call has (or the reverse).

    Said only when the evidence separates it: enough cases on each side (:data:`MIN_FAILING`, :data:`MIN_PASSING`), and no
    other feature splitting the cases the same way (or the opposite way) unless it says the same of
    another argument. A condition true only by a coincidence of the test data is worse than none.
    """
    if len(failing) < MIN_FAILING or len(passing) < MIN_PASSING:
        return None
    known = [f for f in failing[0] if all(f in c for c in failing + passing)]
    has = lambda f, calls: [c[f] for c in calls]  # noqa: E731
    exact = [f for f in known if all(has(f, failing)) and not any(has(f, passing))]
    exact_negated = [f for f in known if not any(has(f, failing)) and all(has(f, passing))]
    if bool(exact) == bool(exact_negated):  # none fits, or features fit both ways: the evidence cannot choose
        return None
    fitting, sentence = (exact, N_("wrong whenever {condition}, right otherwise")) if exact else \
        (exact_negated, N_("right whenever {condition}, wrong otherwise"))
    if _same_condition(fitting, names):
        return Said(sentence, condition=fitting[0])
    if len(fitting) == 2:  # both split the cases alike: say both, and that the checks cannot choose
        return Said(sentence, condition=Said("{first} (in these checks, exactly when {second})",
                                             first=fitting[0], second=fitting[1]))
    # More than two features fit: the evidence cannot tell which one matters.
    # Nothing weaker is claimed: not two features at once (among the many pairs, one fits a few cases by
    # chance), not "wrong only when" a feature some passing cases share (the failing ones share many).
    return None


# --------------------------------------------------------------------------- comparing arrays


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=_RTOL, atol=_ATOL, equal_nan=True))


def _numeric(value: Any) -> np.ndarray | None:
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value.astype(np.float64)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return np.asarray(float(value))
    return None


def _same_shape_claims(got: np.ndarray, want: np.ndarray, args: dict) -> dict[str, Any]:
    """What is true of a wrong answer of the right shape: ``{kind: parameter}``."""
    claims: dict[str, Any] = {}
    if not np.any(got) and np.any(want):
        claims["zeros"] = None  # and the claims about where, which a wholly zero answer does not contradict
    wrong = ~np.isclose(got, want, rtol=_RTOL, atol=_ATOL, equal_nan=True)
    if got.ndim and not np.any(got[wrong]):
        claims["dropped"] = None
    elif got.ndim and _among(got[wrong & (got != 0)], want):
        claims["moved"] = bool(np.any(got[wrong] != np.round(got[wrong])))  # whole numbers coincide too easily
    for name, value in args.items():  # wrong exactly where an argument of the same shape has some sign
        if got.ndim and isinstance(value, np.ndarray) and value.shape == got.shape and value.dtype.kind in "if":
            for sign, where in (("< 0", value < 0), ("> 0", value > 0), ("== 0", value == 0)):
                if where.any() and not where.all() and not wrong[~where].any():
                    claims[f"sign {name}"] = Said("wrong only where {name} {sign}", name=name, sign=sign)
                    break
    if got.ndim >= 2:
        if got.shape[-1] == got.shape[-2] and _close(got, np.swapaxes(want, -1, -2)):
            claims["transposed"] = None
        if _close(got, want[..., ::-1, ::-1]):
            claims["flipped"] = Said("rotated by 180 degrees (flipped up-down and left-right)")
        elif _close(got, want[..., ::-1, :]):
            claims["flipped"] = Said("upside down (rows in reverse order)")
        elif _close(got, want[..., ::-1]):
            claims["flipped"] = Said("mirrored left-right (columns in reverse order)")
    scale = float(np.vdot(want, got) / np.vdot(want, want)) if np.any(want) else 0.0
    if np.isfinite(scale) and scale and not np.isclose(scale, 1.0) and _close(got, scale * want):
        claims["factor"] = scale
    offset = got - want
    if not np.isfinite(offset).all():
        return claims
    if got.size > 1 and np.allclose(offset, offset.flat[0], rtol=_RTOL, atol=_ATOL):
        claims["offset"] = float(offset.flat[0])
    elif got.ndim == 0:
        claims["offset"] = float(offset)
    if got.ndim >= 3:  # a constant offset is one per channel too (a case with one channel says no more)
        per_channel = offset.reshape(offset.shape[:2] + (-1,))
        if np.allclose(per_channel, per_channel[..., :1], rtol=_RTOL, atol=_ATOL):
            claims["channel offset"] = None
    for power, name in ((2, Said("the square")), (0.5, Said("the square root")), (-1, Said("the reciprocal"))):
        if (power > 0 or np.all(want != 0)) and (power != 0.5 or np.all(want >= 0)) \
                and _close(got, np.power(want, power)) and not _close(got, want):
            claims["power"] = name
            break
    if got.ndim >= 2:
        shift = _shift(got, want)
        if shift:
            claims["shift"] = shift
        claims.update(_where_wrong(got, want))
    return claims


def _among(values: np.ndarray, reference: np.ndarray) -> bool:
    """True when each of ``values`` is (to tolerance) one of ``reference``'s values."""
    pool = np.sort(reference.ravel())
    if not values.size or not np.isfinite(values).all() or not np.isfinite(pool).all():
        return False
    at = np.clip(np.searchsorted(pool, values), 1, pool.size - 1) if pool.size > 1 else np.zeros(values.shape, int)
    nearest = np.minimum(np.abs(pool[at] - values), np.abs(pool[at - 1] - values)) if pool.size > 1 \
        else np.abs(pool[0] - values)
    return bool(np.all(nearest <= _ATOL + _RTOL * np.abs(values)))


def _shift(got: np.ndarray, want: np.ndarray) -> tuple[int, int] | None:
    """``(rows, columns)`` by which ``got`` is ``want`` moved (up to 2 each way), on an overlap of >= half."""
    h, w = got.shape[-2:]
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            if (dy, dx) == (0, 0) or (h - abs(dy)) * (w - abs(dx)) * 2 < h * w or h - abs(dy) < 1 or w - abs(dx) < 1:
                continue
            g = got[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)]
            r = want[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
            if _close(g, r) and np.any(r):
                return dy, dx
    return None


def _where_wrong(got: np.ndarray, want: np.ndarray) -> dict[str, Any]:
    """Claims about the positions of the wrong values: leading slices, edges, the border band."""
    claims: dict[str, Any] = {}
    wrong = ~np.isclose(got, want, rtol=_RTOL, atol=_ATOL, equal_nan=True)
    for axis in range(got.ndim - 2):
        if got.shape[axis] < 2:
            continue
        bad = wrong.reshape(wrong.shape[:axis + 1] + (-1,)).any(axis=-1)
        bad = bad.reshape(-1, got.shape[axis]).any(axis=0)
        name = Said("sample") if axis == 0 else Said("channel") if axis == 1 else \
            Said("index along axis {axis}", axis=axis)
        if not bad[0] and bad[1:].all():
            claims[f"first {axis}"] = Said("the first {what} is right, the others are not", what=name)
        elif not bad[-1] and bad[:-1].all():
            claims[f"last {axis}"] = Said("only the last {what} is right", what=name)
        elif bad[0] and not bad[1:].any():
            claims[f"only first {axis}"] = Said("only the first {what} is wrong", what=name)
    plane = wrong.reshape((-1,) + wrong.shape[-2:]).any(axis=0)
    h, w = plane.shape
    rows, cols = np.nonzero(plane)
    if not rows.size:
        return claims
    informative = not plane.all()  # a map wrong everywhere fits any edge; it only must not contradict one
    for edge, depth, size in (("last row", h - rows.min(), h), ("first row", rows.max() + 1, h),
                              ("last column", w - cols.min(), w), ("first column", cols.max() + 1, w)):
        if depth <= 2 and (depth < size or not informative):
            claims[f"edge {edge}"] = (depth, informative)
    if not informative:
        return claims
    y, x = np.mgrid[:h, :w]
    depth = np.minimum(np.minimum(y, h - 1 - y), np.minimum(x, w - 1 - x))
    band = int(depth[plane].max()) + 1
    if (depth >= band).any():
        claims["border"] = band
    return claims


def _shape_claims(got: np.ndarray, want: np.ndarray) -> dict[str, Any]:
    """What is true of an answer of the wrong shape."""
    claims: dict[str, Any] = {}
    if got.ndim != want.ndim:
        claims["ndim"] = Said("the result has {got} dimension(s) instead of {want}", got=got.ndim, want=want.ndim)
        return claims
    if got.ndim >= 2 and got.shape == want.shape[:-2] + want.shape[:-3:-1] and _close(got, np.swapaxes(want, -1, -2)):
        claims["transposed"] = None
        return claims
    deltas = tuple(g - w for g, w in zip(got.shape, want.shape))
    claims["delta"] = deltas
    small, large = (got, want) if all(d <= 0 for d in deltas) else (want, got) if all(d >= 0 for d in deltas) else (None, None)
    if small is not None and small.ndim >= 2 and (abs(deltas[-2]) + 1) * (abs(deltas[-1]) + 1) <= 144:  # never a scan
        for top in range(large.shape[-2] - small.shape[-2] + 1):
            for left in range(large.shape[-1] - small.shape[-1] + 1):
                window = large[..., top:top + small.shape[-2], left:left + small.shape[-1]]
                if window.shape == small.shape and _close(window, small):
                    corner = (top, left) == (0, 0)
                    claims["window"] = Said((N_("yours is part of the right answer (its top-left part)") if corner else
                                             N_("yours is part of the right answer (away from its top-left corner)"))
                                            if small is got else
                                            (N_("the right answer is inside yours, with extra rows or columns (its "
                                                "top-left part)") if corner else
                                             N_("the right answer is inside yours, with extra rows or columns (away from "
                                                "its top-left corner)")))
                    return claims
    return claims


def _claims(got: Any, want: Any, args: dict) -> dict[str, Any] | None:
    g, w = _numeric(got), _numeric(want)
    if g is None or w is None:
        return None
    return _same_shape_claims(g, w, args) if g.shape == w.shape else _shape_claims(g, w)


_AXIS_WORDS = {  # (what, more than one, too many) -> words
    ("row", False, True): N_("{count} row too many"), ("row", True, True): N_("{count} rows too many"),
    ("row", False, False): N_("{count} row too few"), ("row", True, False): N_("{count} rows too few"),
    ("column", False, True): N_("{count} column too many"), ("column", True, True): N_("{count} columns too many"),
    ("column", False, False): N_("{count} column too few"), ("column", True, False): N_("{count} columns too few"),
    ("entry", False, True): N_("{count} entry along axis {axis} too many"),
    ("entry", True, True): N_("{count} entries along axis {axis} too many"),
    ("entry", False, False): N_("{count} entry along axis {axis} too few"),
    ("entry", True, False): N_("{count} entries along axis {axis} too few"),
}


_EDGE_WORDS = {  # (edge, more than one) -> words
    ("first row", False): N_("wrong only in the first {count} row, right elsewhere"),
    ("first row", True): N_("wrong only in the first {count} rows, right elsewhere"),
    ("last row", False): N_("wrong only in the last {count} row, right elsewhere"),
    ("last row", True): N_("wrong only in the last {count} rows, right elsewhere"),
    ("first column", False): N_("wrong only in the first {count} column, right elsewhere"),
    ("first column", True): N_("wrong only in the first {count} columns, right elsewhere"),
    ("last column", False): N_("wrong only in the last {count} column, right elsewhere"),
    ("last column", True): N_("wrong only in the last {count} columns, right elsewhere"),
}


def _axis_words(delta: int, what: str, axis: int) -> Said:
    """``2 rows too many``; ``2 entries along axis 0 too many`` (``what``: row, column or entry)."""
    return Said(_AXIS_WORDS[what, abs(delta) != 1, delta > 0], count=abs(delta), axis=axis)


def _sentence(kind: str, values: list[Any], scalar: bool) -> str | None:
    """One claim that holds on every failing case, in words (``values``: its parameter per case;
    ``scalar``: the answers are single numbers)."""
    first = values[0]
    same = all(v == first for v in values)
    if kind == "zeros":
        return Said("the right shape, but all zeros")
    if kind == "dropped":
        return Said("zeros where the right answer is not (values left out)")
    if kind == "transposed":
        return Said("the right values, transposed (rows and columns swapped)")
    if kind == "flipped":
        return Said("the right values, {how}", how=first) if same else None
    if kind == "factor":
        if all(np.isclose(v, first) for v in values) and (scalar is False or len(values) > 1):
            return Said("the right values with the sign flipped") if np.isclose(first, -1) else \
                Said("off by a constant factor of {factor} (every value {factor} times the right one)",
                     factor=format(first, ".4g"))
        if scalar:  # different numbers are always "proportional": that says nothing
            return None
        return Said("proportional to the right answer, but by a factor that changes from case to case ({factors})",
                    factors=", ".join(f"{v:.3g}" for v in values[:4]))
    if kind == "offset":  # one number off by some amount says nothing: it takes two cases to be "the same"
        if all(np.isclose(v, first) for v in values) and not np.isclose(first, 0, atol=_ATOL) \
                and not (scalar and len(values) < 2):
            return Said(N_("off by the same amount in every failing case ({offset} from the right value)") if scalar
                        else N_("off by the same amount everywhere ({offset} from the right value)"),
                        offset=f"{first:+.4g}")
        return None
    if kind == "power":
        return Said("{power} of the right answer", power=first) if same else None
    if kind == "channel offset":
        return Said("off by a constant within each channel's map (as a bias added to the wrong channel would be)")
    if kind == "shift":
        if not same:
            return None
        dy, dx = first
        rows = Said(N_("{count} row(s) down") if dy > 0 else N_("{count} row(s) up"), count=abs(dy))
        columns = Said(N_("{count} column(s) right") if dx > 0 else N_("{count} column(s) left"), count=abs(dx))
        if dy and dx:
            return Said("the right values, shifted by {rows} and {columns}", rows=rows, columns=columns)
        return Said("the right values, shifted by {by}", by=rows if dy else columns)
    if kind == "border":
        return Said("right in the interior, wrong within {count} pixel(s) of the border", count=max(values))
    if kind.startswith("edge "):
        if not any(informative for _, informative in values):
            return None
        depth = max(d for d, _ in values)
        return Said(_EDGE_WORDS[kind[5:], depth > 1], count=depth)
    if kind == "moved":
        if not any(values):
            return None
        return Said("your values are values of the right answer, but at the wrong positions")
    if kind in ("ndim", "window") or kind.startswith("sign ") or kind.startswith(("first ", "last ", "only first ")):
        return first if same else None
    if kind == "delta":
        if not same:
            return Said("the wrong shape")
        names = ["row", "column"] if len(first) >= 2 else []
        words = [_axis_words(d, names[i - len(first) + 2] if i >= len(first) - 2 and names else "entry", i)
                 for i, d in enumerate(first) if d]
        return Said("the wrong shape: {differences}", differences=_Listed(words))
    return None


#: The order claims are said in, most telling first; at most two are said.
_ORDER = ("zeros", "transposed", "flipped", "factor", "power", "shift", "window", "offset", "channel offset", "sign ",
          "first", "last", "only first", "edge", "border", "moved", "dropped", "ndim", "delta")


def _compare_all(pairs: list[tuple[Any, Any, dict]]) -> list[str]:
    """Sentences for the claims that hold on every failing ``(got, expected, arguments)``."""
    with np.errstate(all="ignore"):
        per_case = [_claims(got, want, args) for got, want, args in pairs]
    per_case = [c for c in per_case if c is not None]
    scalar = all(np.ndim(want) == 0 for _, want, _ in pairs)
    if not per_case:
        return []
    kinds = [k for k in per_case[0] if all(k in c for c in per_case)]
    kinds.sort(key=lambda k: next(i for i, prefix in enumerate(_ORDER) if k.startswith(prefix)))
    sentences = []
    for kind in kinds:
        sentence = _sentence(kind, [c[kind] for c in per_case], scalar)
        if kind == "border" and any(said.startswith("wrong only in the") for said in sentences):
            continue  # the edge said it more precisely
        if kind == "channel offset" and any(said.startswith("off by the same amount") for said in sentences):
            continue
        if sentence and sentence not in sentences:
            sentences.append(sentence)
        if kind in ("zeros", "transposed", "flipped", "factor", "power", "shift") and sentences:
            break  # the whole answer is explained: more would only restate it
    return sentences[:2]


def _tuple_parts(pairs: list[tuple[Any, Any, dict]]) -> tuple[str | None, list[tuple[Any, Any, dict]]]:
    """For tuple results of the right length: which parts are wrong (when always the same), and those parts."""
    if not pairs or not all(isinstance(g, tuple) and isinstance(w, tuple) and len(g) == len(w) for g, w, _ in pairs):
        return None, pairs
    wrong_parts = [tuple(i for i, (a, b) in enumerate(zip(g, w)) if not _equal(a, b)) for g, w, _ in pairs]
    first = wrong_parts[0]
    parts = [(g[i], w[i], args) for (g, w, args), wrong in zip(pairs, wrong_parts) for i in wrong]
    if first and all(p == first for p in wrong_parts) and len(first) < len(pairs[0][1]):
        right = [i for i in range(len(pairs[0][1])) if i not in first]
        return Said("only {wrong} of the tuple is wrong ({right} right)", wrong=", ".join(f"result[{i}]" for i in first),
                    right=", ".join(f"result[{i}]" for i in right)), parts
    return None, parts


def _equal(a: Any, b: Any) -> bool:
    g, w = _numeric(a), _numeric(b)
    if g is None or w is None:
        return a == b
    return _close(g, w)


# --------------------------------------------------------------------------- the diagnosis


def diagnose(cases: list[tuple[dict, dict, dict, bool]]) -> str | None:
    """Where a case set's wrong answers go wrong, in one sentence, or None when no rule fits.

    ``cases``: ``(arguments, outcome, expected outcome, wrong)`` per call (outcomes as
    ``cnn_course.record`` writes them), the arguments with their defaults filled in. Calls that
    must raise are left out: their message already says what to do.
    """
    judged = [(args, outcome, expected, wrong) for args, outcome, expected, wrong in cases if "value" in expected]
    failing = [c for c in judged if c[3]]
    if not failing:
        return None
    passing = [c for c in judged if not c[3]]
    parts = []
    if passing:
        where = _separating([features(args) for args, *_ in failing], [features(args) for args, *_ in passing],
                            sorted({name for args, *_ in judged for name in args}))
        if where:
            parts.append(where)
    returned = [(record.decode(outcome["value"]), record.decode(expected["value"]), args)
                for args, outcome, expected, _ in failing if "value" in outcome and not outcome.get("modified")]
    if returned:
        tuple_part, pairs = _tuple_parts(returned)
        if tuple_part:
            parts.append(tuple_part)
        parts += _compare_all(pairs)
    return tr("; ").join(say(part) for part in parts) if parts else None
