"""Who besides the instructor can read the course's secrets, on a machine where students have accounts.

A clone made with the usual umask (022) leaves the hidden tests (``solutions/``, and every version of them in
``.git``), the reference implementations (``grader/``), the tests and tools (which hold working answers) and
the gradebook readable by every account. The same-machine exchange is beside the course folder
(``grader.config.exchange_root``), so the course folder itself can be closed. ``make instructor``
(``python -m grader.permissions``) and ``grader grade`` say what is readable, with the one command that
fixes it. They warn rather than change modes: these are the instructor's own files
(a git checkout, perhaps shared with teaching assistants through a group), and what to share is the
instructor's decision. What grading writes (``submitted/``, ``autograded/``, ``feedback/``,
``grades.csv``, a gradebook it creates) is made the instructor's alone as it is written.
"""
from __future__ import annotations

import functools
import grp
import os
import pwd
import shlex
import stat
import sys
from pathlib import Path

from .config import COURSE_ROOT, SOURCE_DIRECTORY, exchange_root
from .layout import LANGUAGES

#: What students must not read, in the checkout: hidden tests and solutions (also in git's objects), the
#: reference, and the tests and tools, which hold working implementations of graded functions.
CHECKOUT_SECRETS = (".git", SOURCE_DIRECTORY, *(f"{language}/{SOURCE_DIRECTORY}" for language in LANGUAGES), "grader",
                    "tests", "tools")
#: ... and in the course folder: grades, students' work, grading's folders, the class report.
GRADING_SECRETS = ("gradebook.db", "grades.csv", "grades-detail.csv", "grades-canvas.csv", "grades-moodle.csv",
                   "nbgrader-grades.csv", "submitted", "autograded", "feedback", ".shards", "grading",
                   "report.html", "mistakes.csv", "resubmissions.json")
SECRETS = CHECKOUT_SECRETS + GRADING_SECRETS


@functools.cache
def _others_in_group(gid: int, owner: int) -> bool:
    """Whether an account other than ``owner`` belongs to group ``gid`` (as a member or by its own group)."""
    try:
        group = grp.getgrgid(gid)
    except KeyError:
        return False
    owner_name = next((p.pw_name for p in pwd.getpwall() if p.pw_uid == owner), None)
    return any(name != owner_name for name in group.gr_mem) or any(
        p.pw_gid == gid and p.pw_uid != owner for p in pwd.getpwall())


def readers(path: Path) -> str | None:
    """Who besides its owner can read ``path`` ("everyone", "group NAME"), counting the folders above it; or None."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return None
    read = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(info.st_mode) else 0)
    others = info.st_mode & read == read
    group = (info.st_mode & (read << 3) == read << 3) and _others_in_group(info.st_gid, info.st_uid)
    if not (others or group):
        return None
    for folder in Path(os.path.abspath(path)).parents:  # reaching it needs search permission on each
        mode = os.stat(folder).st_mode
        others = others and bool(mode & stat.S_IXOTH)
        group = group and bool(mode & (stat.S_IXOTH | stat.S_IXGRP))
    return "everyone" if others else f"group {grp.getgrgid(info.st_gid).gr_name}" if group else None


def exposed(root: Path = COURSE_ROOT, source_root: Path | None = None) -> dict[Path, str]:
    """``{secret: who can read it}`` for each of :data:`SECRETS` (under ``root``; solutions/ and grader/ under
    ``source_root``) that another account can read, itself or anything in it."""
    found = {}
    for name in SECRETS:
        base = Path(source_root or root) if name in CHECKOUT_SECRETS else Path(root)
        path = base / name
        if not os.path.lexists(path):
            continue
        paths = [path] if not path.is_dir() or path.is_symlink() else [path] + [
            Path(folder) / entry for folder, folders, files in os.walk(path) for entry in folders + files]
        for candidate in paths:
            who = readers(candidate)
            if who:
                found[path] = who
                break
    return found


def warning(root: Path = COURSE_ROOT, source_root: Path | None = None) -> str | None:
    """The warning to print (what is readable, by whom, and the exact command that fixes it), or None."""
    found = exposed(root, source_root)
    if not found:
        return None
    listed = ", ".join(f"{path} ({who})" for path, who in found.items())
    return (f"warning: other accounts on this machine can read the course's hidden tests, reference or grades: "
            f"{listed}. If students have accounts here, run: {closing_command(root, source_root, found)}")


def closing_command(root: Path, source_root: Path | None, found: dict[Path, str]) -> str:
    """One command that closes everything ``found``: the course folder (and the checkout, when grading writes
    elsewhere) made the instructor's alone, which closes all that is in it, files added later included. When the
    exchange is inside one of them (``CNN_COURSE_EXCHANGE`` set so), students must still reach it: then each
    secret is closed on its own."""
    folders = list(dict.fromkeys(Path(os.path.abspath(f)) for f in (root, source_root or root)))
    exchange = exchange_root(root)
    if any(exchange.is_relative_to(folder.resolve()) for folder in folders):
        return "chmod -R go-rwx " + " ".join(shlex.quote(str(path)) for path in found)
    return "chmod go-rwx " + " ".join(shlex.quote(str(folder)) for folder in folders)


def main() -> int:
    """``python -m grader.permissions [COURSE_FOLDER]``: print the warning, if any; always exit 0."""
    text = warning(Path(sys.argv[1]) if len(sys.argv) > 1 else COURSE_ROOT)
    if text:
        print(text, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
