"""A small mutation run: do the fast tests notice when the code they cover is broken?

    .venv/bin/python tools/mutate.py                      # every target below
    .venv/bin/python tools/mutate.py grader/engine/schema.py     # one of them
    .venv/bin/python tools/mutate.py --root /tmp/copy     # mutate a copy of the repository instead

For each target module it makes one mutant per mutation point - a comparison flipped (``==`` to
``!=``, ``<`` to ``<=``, ``in`` to ``not in``...), an arithmetic operator swapped (``+``/``-``,
``*``/``//``...), ``and``/``or`` swapped, a ``not`` dropped, ``True``/``False`` swapped, an integer
constant moved by one - writes it over the module, runs the fast tests that cover it (stopping at the
first failure) and puts the module back. A mutant no test fails "survives": a line no test holds.
It prints each survivor (line and change) and the counts, and exits 1 when any survived.

Deliberately hand-rolled (no mutmut dependency): the mutations are few and simple, and the tests
are the project's own fast ones. The module is rewritten with ``ast.unparse``, so comments are lost
in the mutant only; the original is always restored (even on Ctrl-C).
"""
from __future__ import annotations

import argparse
import ast
import copy
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Module -> the fast test files that cover it.
TARGETS = {
    "cnn_course/record.py": ["tests/test_record.py", "tests/test_probes.py", "tests/test_catalogue.py"],
    "grader/engine/schema.py": ["tests/test_schema.py", "tests/test_hostile_metadata.py", "tests/test_record.py"],
    "grader/course/verdict.py": ["tests/test_record.py", "tests/test_catalogue.py", "tests/test_diagnose.py",
                          "tests/test_hints_02.py"],
}

_SWAPS = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult, ast.Div: ast.Mult,
    ast.And: ast.Or, ast.Or: ast.And,
}


def _is_docstring(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    return isinstance(parent, ast.Expr) and isinstance(node, ast.Constant) and isinstance(node.value, str)


def mutation_points(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    """``(node, what the mutation does)`` for every place one simple change can be made."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    points = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            points += [((node, i), f"{type(op).__name__} -> {_SWAPS[type(op)].__name__}")
                       for i, op in enumerate(node.ops) if type(op) in _SWAPS]
        elif isinstance(node, (ast.BinOp, ast.BoolOp)) and type(node.op) in _SWAPS:
            points.append(((node, None), f"{type(node.op).__name__} -> {_SWAPS[type(node.op)].__name__}"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            points.append(((node, None), "drop `not`"))
        elif isinstance(node, ast.Constant) and not _is_docstring(node, parents):
            if isinstance(node.value, bool):
                points.append(((node, None), f"{node.value} -> {not node.value}"))
            elif isinstance(node.value, int):
                points.append(((node, None), f"{node.value} -> {node.value + 1}"))
    return points


def mutant(source: str, index: int) -> tuple[str, int, str]:
    """The source with mutation ``index`` applied: (text, line, what changed)."""
    tree = ast.parse(source)
    (node, op_index), what = mutation_points(tree)[index]
    line = node.lineno
    if isinstance(node, ast.Compare):
        node.ops[op_index] = _SWAPS[type(node.ops[op_index])]()
    elif isinstance(node, (ast.BinOp, ast.BoolOp)):
        node.op = _SWAPS[type(node.op)]()
    elif isinstance(node, ast.UnaryOp):
        replacement = copy.copy(node.operand)
        for parent in ast.walk(tree):
            for field, value in ast.iter_fields(parent):
                if value is node:
                    setattr(parent, field, replacement)
                elif isinstance(value, list) and any(v is node for v in value):
                    value[[i for i, v in enumerate(value) if v is node][0]] = replacement
    elif isinstance(node.value, bool):
        node.value = not node.value
    else:
        node.value += 1
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n", line, what


def killed(root: Path, tests: list[str], timeout: float) -> bool:
    """True when the fast tests fail (or hang) on the module as it is now."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow", *tests]
    try:
        run = subprocess.run(command, cwd=root, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return True
    return run.returncode != 0


def run(root: Path, target: str, timeout: float) -> tuple[int, list[str]]:
    """Mutate ``target`` point by point; return (mutants made, survivors described)."""
    path = root / target
    original = path.read_text()
    count = len(mutation_points(ast.parse(original)))
    survivors = []
    try:
        for index in range(count):
            text, line, what = mutant(original, index)
            path.write_text(text)
            if not killed(root, TARGETS[target], timeout):
                survivors.append(f"{target}:{line}: {what}")
                print(f"  survived  {survivors[-1]}", flush=True)
    finally:
        path.write_text(original)
    return count, survivors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", default=list(TARGETS), metavar="MODULE", help=", ".join(TARGETS))
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (or a copy) to mutate")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a test run may take (longer: killed)")
    args = parser.parse_args(argv)
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"no tests listed for {', '.join(unknown)} (add them to TARGETS)")
    began, total, survived = time.monotonic(), 0, []
    for target in args.targets:
        print(f"{target}: running {' '.join(TARGETS[target])}", flush=True)
        count, survivors = run(args.root, target, args.timeout)
        print(f"{target}: {count} mutants, {len(survivors)} survived", flush=True)
        total += count
        survived += survivors
    print(f"\n{total} mutants, {total - len(survived)} killed, {len(survived)} survived "
          f"({time.monotonic() - began:.0f} s)")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
