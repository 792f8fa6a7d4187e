"""Every graded function's reference is held to something outside it, by convention.

A reference is what students are graded against, and the catalogue's correct implementation is
written by the same author: neither checks the other's understanding of the contract. So every
function of ``grader.course.reference.__all__`` must be called (as ``R.<function>``) by a test in a
``tests/test_reference*.py`` module, the modules of independent checks: plain-loop oracles
(``tests/oracle_naive.py``), scipy, hypothesis properties, adjoint or finite-difference identities,
the numbers the course spec fixes. Those modules never compare the reference with itself.
"""
from __future__ import annotations

import ast
from pathlib import Path

from grader.course import notebooks, reference

TESTS = Path(__file__).resolve().parent


def _held_by_independent_tests(folder: Path = TESTS) -> dict[str, set[str]]:
    """``{function: {test names}}``: the functions each test of ``folder``/test_reference*.py calls as ``R.f``."""
    held: dict[str, set[str]] = {}
    for path in sorted(folder.glob("test_reference*.py")):
        for test in ast.parse(path.read_text()).body:
            if isinstance(test, ast.FunctionDef) and test.name.startswith("test_"):
                for node in ast.walk(test):
                    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "R":
                        held.setdefault(node.attr, set()).add(f"{path.name}::{test.name}")
    return held


def test_every_reference_is_checked_against_something_outside_it():
    held = _held_by_independent_tests()
    missing = [f"{function} ({notebook})" for notebook in notebooks.assignments()
               for function in notebooks.functions(notebook) if function not in held]
    assert not missing, (
        f"nothing outside its reference checks {', '.join(missing)}: add a test to tests/test_reference_NN.py "
        "(`from grader import reference as R`) that calls R.<function> and compares it with an independent "
        "oracle (plain loops in tests/oracle_naive.py, scipy), a hypothesis property, or an adjoint or "
        "finite-difference identity - never with the reference itself")


def test_the_convention_counts_only_what_a_test_calls(tmp_path):
    (tmp_path / "test_reference_99.py").write_text(
        "from grader import reference as R\n\ndef helper():\n    R.relu(0)\n\n"
        "def test_pad():\n    assert R.pad2d is not None\n")
    assert _held_by_independent_tests(tmp_path) == {"pad2d": {"test_reference_99.py::test_pad"}}  # a helper holds nothing
    assert set(reference.__all__) <= set(_held_by_independent_tests())
