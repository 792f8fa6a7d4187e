"""``python -m grader`` (also the ``grader`` command): build, check, grade, benchmark.

    python -m grader build                   rebuild notebooks/, solutions/*.ipynb and fixtures
    python -m grader check PATH.ipynb        grade one notebook with the hidden tests (self-study)
    python -m grader grade SUBMISSIONS       autograde a class, write grades.csv and feedback
    python -m grader report [COURSE]         what the class got wrong: report.html, mistakes.csv, summary
    python -m grader export [--format F]     write the grade tables (grades.csv, Canvas's, Moodle's) from the gradebook
    python -m grader roster ROSTER.csv       the class roll from an LMS roster (Canvas, Moodle or nbgrader columns)
    python -m grader bundle [--out DIR]      build what students get: notebooks, cnn_course wheel, README
    python -m grader bundle --language zh    the same, with the Chinese notebooks
    python -m grader translations            bring the translation catalogues up to date with the sources
    python -m grader benchmark [NOTEBOOK]    time notebook execution, grading and widgets
    python -m grader benchmark --floods      the grader's peak memory under output floods
    python -m grader benchmark --profile     seconds per grading phase, per notebook
    python -m grader benchmark --scale 200   a class of 200: time, memory, linearity
    python -m grader benchmark --cluster     grading on a loopback Dask cluster beside --jobs 2
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .config import CELL_TIMEOUT, COURSE_ROOT
from .engine.grades import FORMATS


def check(path: str, as_json: bool = False, timeout: int | None = None) -> int:
    """Grade one learner's notebook exactly as autograde would (never modifying it): warm when a check server
    this user left behind is waiting, else cold (:mod:`grader.engine.checking`)."""
    from .engine.checking import check as run

    status, out, err = run(path, as_json, timeout)
    sys.stderr.write(err)
    sys.stdout.write(out)
    return status


def build(deprecated_name: str | None = None) -> int:
    from .authoring.build import release as build_all

    if deprecated_name:  # nbgrader's release means publishing to students; this only builds
        print(f"`grader {deprecated_name}` is now `grader build` (the old name goes in the next version)", file=sys.stderr)
    for path in build_all():
        print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The ``grader`` console script and ``python -m grader``."""
    parser = argparse.ArgumentParser(prog="grader", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("build", help="rebuild notebooks/, solutions/*.ipynb and visible-test fixtures")
    commands.add_parser("release", help="deprecated name of build (nbgrader's release publishes; this builds)")
    p = commands.add_parser("check", help="grade one notebook with the hidden tests and print hints")
    p.add_argument("path", help="a copy of notebooks/NN_topic/NN_topic.ipynb, wherever it lives")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--timeout", type=int, default=None, metavar="S",
                   help=f"seconds one cell may run before it is stopped and scores 0 (default {CELL_TIMEOUT})")
    p = commands.add_parser("grade", help="autograde a class: grades.csv, feedback HTML, summary")
    p.add_argument("submissions", help="nbgrader's submitted/ tree, or a folder or zip of notebooks named by student id")
    p.add_argument("--out", default=str(COURSE_ROOT),
                   help="course folder for gradebook.db, submitted/, autograded/, feedback/, grades.csv (default: the "
                        "repository, where nbgrader's formgrader and commands find them; all git-ignored)")
    p.add_argument("--jobs", type=int, default=1, help="grade in N parallel processes (default 1)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a Dask cluster instead: its scheduler's address (tls://HOST:PORT) or scheduler "
                        "file; each worker grades in its own sandbox from its own checkout, which must be the "
                        "same as this one (pip install -e \".[cluster]\"; README: Grading on a cluster)")
    p.add_argument("--force", action="store_true", help="regrade students already graded")
    p.add_argument("--keep-on-time", action="store_true",
                   help="a late resubmission does not replace a graded on-time one (default: the newest counts, as "
                        "in nbgrader, and the summary, grades.csv and the report say when it replaced an on-time one)")
    p.add_argument("--timeout", type=int, default=None, metavar="S",
                   help=f"seconds one cell may run before it is stopped and scores 0 (default {CELL_TIMEOUT})")
    p.add_argument("--memory", default=None, metavar="SIZE",
                   help="memory one kernel may use, e.g. 2G (default), 512M; more is killed and not graded")
    p.add_argument("--wall", type=int, default=None, metavar="S",
                   help="seconds a whole notebook may run (default 300); later cells are stopped and score 0")
    p.add_argument("--format", action="append", choices=FORMATS, default=[], metavar="FORMAT",
                   help="also write grades-FORMAT.csv for an LMS: canvas, moodle (repeatable; grades.csv and "
                        "grades-detail.csv are always written)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run student code WITHOUT the bubblewrap sandbox, with your user's rights: it can read "
                        "the answers, change any grade and any of your files; only for trusted submissions")
    p = commands.add_parser("report", help="what a graded class got wrong: report.html, mistakes.csv and a summary")
    p.add_argument("course", nargs="?", default=str(COURSE_ROOT),
                   help="the course folder `grade --out` wrote, or formgrader's (default: the repository)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")
    p = commands.add_parser("export", help="write the grade tables from the gradebook (after manual grading, say)")
    p.add_argument("--format", action="append", choices=FORMATS, default=[], metavar="FORMAT",
                   help="also write grades-FORMAT.csv: canvas, moodle (repeatable)")
    p.add_argument("--out", default=str(COURSE_ROOT), help="the course folder (default: the repository)")
    p = commands.add_parser("roster", help="add the class roll to the gradebook from an LMS roster (CSV)")
    p.add_argument("roster", help="a CSV with Canvas's, Moodle's or nbgrader's columns (grader/instructor/roster.py)")
    p.add_argument("--course", default=str(COURSE_ROOT), help="the course folder (default: the repository)")
    p = commands.add_parser("translations", help="bring the translation catalogues (locale/) up to date with the "
                                                 "English sources: new paragraphs empty, changed ones fuzzy")
    p.add_argument("--language", default="zh", help="the language (default zh)")
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                   help="also start a catalogue for these notebooks (default: update those that have one)")
    p = commands.add_parser("bundle", help="build the student bundle: notebooks, the cnn_course wheel, README")
    p.add_argument("--out", default=None, help="folder to write (replaced; default dist/student-bundle)")
    p.add_argument("--language", default="en", choices=["en", "zh"],
                   help="the notebooks' and README's language (default en; zh: 中文)")
    p = commands.add_parser("benchmark", help="time notebook execution and grading on this machine")
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="only these notebooks (default: all)")
    p.add_argument("--floods", action="store_true",
                   help="instead, the grader's peak memory under each kind of output flood a submission can send")
    p.add_argument("--profile", action="store_true",
                   help="instead, where each submission's grading time goes: seconds per phase, per notebook")
    p.add_argument("--cluster", type=int, nargs="?", const=12, metavar="N",
                   help="instead, grade N submissions of 02 (default 12) with --jobs 2 and on a loopback Dask "
                        "cluster (1 scheduler, 2 one-thread workers): both times and their ratio")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --scale: grade on this Dask scheduler instead of --jobs 2")
    p.add_argument("--scale", type=int, metavar="N",
                   help="instead, grade a class of N submissions (02, 05, 07) with --jobs 2, then as 10 classes "
                        "of N/10: wall time, throughput, peak memory, linearity")
    args = parser.parse_args(argv)
    if args.command in ("benchmark", "translations") and args.notebooks:
        from .layout import assignment_named

        catalogues: tuple[str, ...] = ()
        if args.command == "translations":
            from .authoring.translate import MESSAGE_CATALOGUES as catalogues
        try:  # "02" or 02_padding_stride; a name the course does not have is said at once, with the ones it has
            args.notebooks = [name if name in catalogues else assignment_named(name) for name in args.notebooks]
        except ValueError as error:
            print(f"grader {args.command}: {error}", file=sys.stderr)
            return 2
    if args.command in ("build", "release"):
        return build("release" if args.command == "release" else None)
    if args.command == "check":
        return check(args.path, args.json, args.timeout)
    if args.command == "grade":
        from .engine import sandbox
        from .engine.batch import grade

        for name, value in (("CNN_COURSE_KERNEL_MEMORY", args.memory), ("CNN_COURSE_NOTEBOOK_WALL", args.wall)):
            if value is not None:
                os.environ[name] = str(value)  # read by the workers and the sandbox launcher
        if args.scheduler:
            local = [f"--{name}" for name in ("memory", "wall") if getattr(args, name) is not None]
            if args.no_sandbox or local:
                print(f"grader grade: {' and '.join(local + ['--no-sandbox'] * args.no_sandbox)} cannot be used with "
                      f"--scheduler: the workers sandbox every submission, with the limits of their own "
                      f"environment (CNN_COURSE_KERNEL_MEMORY, CNN_COURSE_NOTEBOOK_WALL)", file=sys.stderr)
                return 2
        elif args.no_sandbox:
            os.environ[sandbox.SWITCH] = "off"
        elif sandbox.problem():
            print(f"grader grade: cannot sandbox student code: {sandbox.problem()}; pass --no-sandbox to grade "
                  f"trusted submissions with your user's rights", file=sys.stderr)
            return 2
        else:
            os.environ.pop(sandbox.SWITCH, None)
        return grade(args.submissions, Path(args.out), jobs=args.jobs, force=args.force, keep_on_time=args.keep_on_time,
                     timeout=args.timeout, formats=tuple(args.format), scheduler=args.scheduler)
    if args.command == "report":
        from .instructor.report import report

        code, text = report(Path(args.course).expanduser().resolve(), args.json)
        print(text, file=sys.stderr if code else sys.stdout)
        return code
    if args.command == "export":
        from .engine.grades import write_tables

        if not (Path(args.out) / "gradebook.db").exists():
            print(f"grader export: {args.out}: no gradebook.db (nothing graded there yet)", file=sys.stderr)
            return 2
        csv_path = write_tables(Path(args.out).resolve(), formats=tuple(args.format))
        for path in [csv_path, csv_path.with_name("grades-detail.csv")] + [
                csv_path.with_name(f"grades-{kind}.csv") for kind in args.format if kind != "csv"]:
            print(f"wrote {path}")
        return 0
    if args.command == "roster":
        from .instructor.roster import import_roster

        code, text = import_roster(Path(args.course), Path(args.roster))
        print(text, file=sys.stderr if code == 2 else sys.stdout)
        return code
    if args.command == "translations":
        from .authoring.translate import update_catalogues

        print("\n".join(update_catalogues(args.language, only=args.notebooks or None)))
        return 0
    if args.command == "bundle":
        from .authoring.bundle import DEFAULT_OUT, bundle
        print(f"wrote {bundle(Path(args.out) if args.out else DEFAULT_OUT, language=args.language)}")
        return 0
    if args.command == "benchmark":
        from . import benchmark
        if args.floods:
            return benchmark.flood_memory()
        if args.cluster:
            return benchmark.cluster(args.cluster)
        if args.scale:
            return benchmark.scale(args.scale, scheduler=args.scheduler)
        return benchmark.profile(args.notebooks or None) if args.profile else benchmark.main(args.notebooks or None)
    return 2  # pragma: no cover - argparse rejects unknown commands
