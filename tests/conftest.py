"""Shared fixtures: the course built from its sources, independent of a student's working copy.

Students fill in ``notebooks/NN_topic/NN_topic.ipynb`` in place and then may run ``make test``:
tests that need "the student version" or "the solution" therefore use a fresh build of the
sources (``test_build.py`` proves it equals what is committed), never the working file.
"""
import subprocess
from pathlib import Path

import pytest

from grader import build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def built_course(tmp_path_factory) -> Path:
    """A folder with ``solutions/``, ``notebooks/`` and ``cnn_course/fixtures/`` built from the sources."""
    out = tmp_path_factory.mktemp("built-course")
    build.release(ROOT, out)
    return out


def committed_text(relative: str) -> str | None:
    """The file as committed (git HEAD), or None outside a git checkout or for a file not committed yet."""
    try:
        return subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def tracked_files(folder: str) -> set[Path] | None:
    """Files under ``folder`` (relative to the repository) that git tracks, or None outside a git checkout.

    A student's working copies in ``notebooks/`` (JupyterLab's "Duplicate" makes
    ``NN_topic-Copy1.ipynb``, checkpoints, exports) are never tracked: tests about what the
    repository ships look at these files only.
    """
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", folder], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {Path(name) for name in listed.split("\0") if name}


def failure_message(outcome: dict, expected: dict, variants: list[tuple[str, dict]]) -> str | None:
    """One case judged alone: ``None`` when right, else the problem and the hint (``checks.judge_cases``)."""
    from cnn_course.checks import judge_cases

    return judge_cases([(outcome, expected, lambda: variants)])[0]


def pytest_collection_modifyitems(items):
    """Slow tests first: pytest-xdist hands out work in this order, so a long test never ends the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
