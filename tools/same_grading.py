"""Grade one fixed class with two commits of the course and say whether anything a student or an instructor
sees changed: grades.csv, grades-detail.csv and every feedback page's text (times and the notebooks' own
timing lines aside). For refactors, which must change nothing:

    .venv/bin/python tools/same_grading.py BEFORE AFTER      # commits; prints what differs, exits 1 if anything

The class: for each notebook, the solution, the untouched student version, and submission k with the
catalogue's k-th wrong implementation of every graded function, until each wrong implementation has been
handed in once (about 60 notebooks, a minute or two per commit on 2 cores).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What may differ between two gradings of the same work: dates and times, and the notebooks' own timings.
NOISE = [re.compile(r"\d{4}-\d\d-\d\d[ T][\d:.]+( UTC)?"), re.compile(r"[-+]?\d*\.?\d+(e[-+]?\d+)?\s*(ms|s)\b"),
         re.compile(r"\d+x faster"), re.compile(r"<[^>]*>"), re.compile(r"\s+")]


def make_class(folder: Path) -> None:
    sys.path.insert(0, str(ROOT))
    import nbformat

    from grader.cases import for_notebook
    from grader.config import assignments
    from grader.course import catalogue
    from tests.course_copies import solved_notebook, with_sources

    for assignment in assignments():
        released = nbformat.read(ROOT / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
        nbformat.write(solved_notebook(ROOT, assignment), folder / f"solved__{assignment}.ipynb")
        nbformat.write(released, folder / f"blank__{assignment}.ipynb")
        functions = sorted({s.function for s in for_notebook(assignment)})
        for k in range(max(len(catalogue.wrong_for(f)) for f in functions)):  # every wrong implementation once
            wrong = {f: catalogue.wrong_for(f)[k].source for f in functions if len(catalogue.wrong_for(f)) > k}
            nbformat.write(with_sources(released, wrong), folder / f"wrong{k}__{assignment}.ipynb")


def text(path: Path) -> str:
    content = path.read_text(errors="replace")
    for pattern in NOISE:
        content = pattern.sub("", content)
    return content


def main(before: str, after: str) -> int:
    sys.path.insert(0, str(ROOT))
    from tests.course_copies import python_for

    with tempfile.TemporaryDirectory(prefix="same-grading-") as work:
        work = Path(work)
        (work / "class").mkdir()
        make_class(work / "class")
        outs = []
        for name, commit in (("before", before), ("after", after)):
            tree, out = work / name, work / f"{name}-out"
            subprocess.run(["git", "worktree", "add", "-q", "-f", str(tree), commit], cwd=ROOT, check=True)
            try:
                subprocess.run([str(python_for(tree, work / f"{name}-venv")), "-m", "grader", "grade",
                                str(work / "class"), "--out", str(out), "--jobs", "2"], cwd=tree, check=True,
                               capture_output=True)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)
            outs.append(out)
        differ = [name for name in ("grades.csv", "grades-detail.csv")
                  if (outs[0] / name).read_text() != (outs[1] / name).read_text()]
        pages = sorted(p.relative_to(outs[0] / "feedback") for p in (outs[0] / "feedback").rglob("*.html"))
        differ += [str(p) for p in pages if not (outs[1] / "feedback" / p).exists()
                   or text(outs[0] / "feedback" / p) != text(outs[1] / "feedback" / p)]
        print(f"{len(pages)} feedback pages and 2 tables compared: "
              + ("the same" if not differ else f"{len(differ)} differ: {', '.join(differ)}"))
        shutil.rmtree(work / "class")
        return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
