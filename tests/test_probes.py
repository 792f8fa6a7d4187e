"""Probes: the named test functions of numerical_gradient's cases, and how they survive the fixtures."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cnn_course import record
from cnn_course.probes import PROBES, Probe
from grader.course import reference as R


@pytest.mark.parametrize("name", list(PROBES))
def test_known_gradient_matches_central_differences(name):
    x = np.random.default_rng(0).standard_normal((3, 4))
    probe = Probe(name)
    assert isinstance(probe(x), float)
    assert np.allclose(R.numerical_gradient(probe, x), probe.gradient(x), rtol=1e-6, atol=1e-6)


def test_a_probe_is_data_and_a_function():
    probe = Probe("cubic_mix")
    assert callable(probe) and probe == "cubic_mix" and probe.__name__ == "cubic_mix"
    stored = json.loads(json.dumps(record.encode({"f": probe})))
    assert record.decode(stored) == {"f": "cubic_mix"} and isinstance(record.decode(stored)["f"], Probe)
    assert record.describe_args({"f": probe, "x": np.zeros(2)}) == "f=cubic_mix, x=<array 2>"
    with pytest.raises(ValueError, match="unknown probe"):
        Probe("nonsense")


def test_visible_fixture_stores_probe_names_and_the_check_runs_them():
    from cnn_course.checks import _fixtures

    case_set = _fixtures()["test_numerical_gradient_visible"]
    names = [record.decode(case["args"])["f"] for case in case_set["cases"]]
    assert names and all(isinstance(n, str) and n in PROBES for n in names)
