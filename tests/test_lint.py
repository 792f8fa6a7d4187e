"""The code follows the project's ruff configuration (pyproject.toml): unused names, undefined names, bugbear, import order."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed: pip install -e '.[test]'")
    result = subprocess.run([ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-1000:]


def test_every_import_points_down_the_floors_of_grader():
    """import-linter's contracts (pyproject.toml): grader's layers, the student package apart from grader/, the
    kernel side apart from the grading engine. No import circle can come back: a layer never imports a higher one."""
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint_imports is None:
        pytest.fail("import-linter is not installed: pip install -e '.[test]'")
    result = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-1000:]


def test_every_module_of_grader_has_its_floor():
    """A new module must be given its place in the layers contract, or the contract would not check it."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    placed = {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
               for p in (ROOT / "grader").rglob("*.py")
               if p.name != "__init__.py" or "import " in p.read_text()} - {"grader"}  # a room's bare __init__ imports nothing

    def has_floor(module):  # the module, or a package it is in, is a layer
        parts = module.split(".")
        return any(".".join(parts[:n]) in placed for n in range(2, len(parts) + 1))

    unplaced = sorted(m for m in modules if not has_floor(m))
    assert unplaced == [], f"place these in [tool.importlinter] layers: {unplaced}"


def test_the_build_command_is_build_and_release_is_its_deprecated_name(capsys):
    """nbgrader's release publishes to students; the course's command only builds, so it is called build."""
    from grader.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert "build" in shown and "deprecated name of build" in shown
