"""grader.engine.phases: the timer behind ``benchmark --profile`` (no grading here: see test_pipeline)."""
import time

from grader.benchmark import profile_rows
from grader.engine import phases


def test_a_nested_phase_counts_once_and_take_starts_the_tally_again():
    phases.take()
    with phases.phase("outer"):
        time.sleep(0.02)
        with phases.phase("inner"):
            time.sleep(0.05)
    spent = phases.take()
    assert spent["inner"] >= 0.05
    assert 0.02 <= spent["outer"] < spent["inner"]  # the inner block's time is not counted twice
    assert phases.take() == {}


def test_profile_rows_average_graded_submissions_per_notebook():
    profile = [{"student": "a", "assignment": "02", "graded": True, "phases": {"kernel start": 1.0, "feedback": 2.0}},
               {"student": "b", "assignment": "02", "graded": True, "phases": {"kernel start": 3.0}},
               {"student": "c", "assignment": "02", "graded": False, "phases": {"kernel start": 50.0}}]
    row = profile_rows(profile)["02"]
    assert row["kernel start"] == 2.0 and row["feedback"] == 1.0 and row["tables"] == 0.0
