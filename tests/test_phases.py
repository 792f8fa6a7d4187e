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


def test_gradebook_opens_share_one_engine_per_database_within_the_block_and_none_after(tmp_path):
    """nbgrader opens a gradebook a dozen times per submission: inside ``one_engine_per_gradebook`` the opens of one
    database share an engine (its compiled SQL kept), what one open writes the next reads, each close still closes
    its connections; the latest few databases are kept, older ones disposed; after the block, nbgrader is as it was."""
    import shutil

    import nbgrader.api as api

    from grader.engine.converters import KEPT_ENGINES, one_engine_per_gradebook

    original = api.create_engine
    api.Gradebook(f"sqlite:///{tmp_path / '0.db'}").close()  # a new database runs alembic (a second): made once
    for i in range(1, KEPT_ENGINES + 2):
        shutil.copyfile(tmp_path / "0.db", tmp_path / f"{i}.db")
    urls = [f"sqlite:///{tmp_path / f'{i}.db'}" for i in range(KEPT_ENGINES + 2)]
    with one_engine_per_gradebook():
        with api.Gradebook(urls[0]) as gb:
            gb.add_student("ada")
            first = gb.engine
        with api.Gradebook(urls[0]) as gb:
            assert gb.engine is first and gb.find_student("ada").id == "ada"
            assert first.pool.checkedout() == 1
        assert first.pool.checkedout() == 0
        engines = [api.Gradebook(url) for url in urls[1:]]
        for gb in engines:
            gb.close()
        with api.Gradebook(urls[0]) as gb:
            assert gb.engine is not first and gb.find_student("ada").id == "ada"  # evicted: a new engine, same data
        with api.Gradebook(urls[-1]) as gb:
            assert gb.engine is engines[-1].engine
    assert api.create_engine is original
    with api.Gradebook(urls[-1]) as gb:
        assert gb.engine is not engines[-1].engine


def test_a_shards_gradebook_waits_for_no_disk_write_and_the_courses_does(tmp_path):
    """A worker's shard gradebook is scratch (merged into the course's, then removed): its commits (48 a submission)
    wait for no sync to disk; every other gradebook keeps SQLite's defaults (the course's must survive a crash).
    Its scores are still written and read back."""
    import shutil

    import nbgrader.api as api

    from grader.engine.converters import one_engine_per_gradebook

    api.Gradebook(f"sqlite:///{tmp_path / 'course.db'}").close()
    shutil.copyfile(tmp_path / "course.db", tmp_path / "shard.db")

    def settings(gb):
        return [gb.db.execute(api.text(f"PRAGMA {name}")).scalar() for name in ("synchronous", "journal_mode")]

    with one_engine_per_gradebook(scratch=True):
        with api.Gradebook(f"sqlite:///{tmp_path / 'shard.db'}") as gb:
            assert settings(gb) == [0, "memory"]
            gb.add_student("ada")
        with api.Gradebook(f"sqlite:///{tmp_path / 'shard.db'}") as gb:
            assert gb.find_student("ada").id == "ada"
    with one_engine_per_gradebook(), api.Gradebook(f"sqlite:///{tmp_path / 'course.db'}") as gb:
        assert settings(gb) == [2, "delete"]  # FULL, a journal file
    with api.Gradebook(f"sqlite:///{tmp_path / 'shard.db'}") as gb:
        assert settings(gb) == [2, "delete"] and gb.find_student("ada").id == "ada"
