"""The course's exchange classes: nbgrader's same-machine exchange, safe when students are accounts on it.

A student owns her submission in ``exchange/<course>/inbound/`` and may change it after
``nbgrader submit``: add links to ``/etc/shadow``, to ``solutions/`` or to the gradebook, a FIFO,
extra files. nbgrader's collect copies that folder with ``shutil.copytree``, following links, as the
instructor (often root), and keeps its modes (world-writable folders). :class:`SafeCollect` copies
only the assignment's notebooks and nbgrader's own files, each a regular file opened without
following a link (``grader.engine.student_files``), into folders that are the instructor's alone; what it
leaves out, it names in the log. :class:`SafeReleaseFeedback` gives the released feedback the mode
students need to fetch it (the instructor's ``feedback/`` copy stays private).

Selected in ``grader.config.configure_instructor`` (``ExchangeFactory.collect``, ``.release_feedback``).
"""
from __future__ import annotations

import glob
import logging
import os
import stat
from datetime import datetime
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback

from ..engine.student_files import NBGRADER_FILES, RefusedFile, copy_regular, make_folder_private, refusal


def _not_owned_by(path: str, username: str) -> str | None:
    """Why the inbound folder ``path`` is not ``username``'s own submission, or None.

    nbgrader submit runs as the student, so her folder is hers. Checked where ``username`` is an
    account of this machine; elsewhere (a hub whose students all share one uid) nothing can be told.
    """
    import pwd

    try:
        uid = pwd.getpwnam(username).pw_uid
    except (KeyError, UnicodeError, ValueError):
        return None
    owner = os.lstat(path).st_uid
    if owner == uid:
        return None
    try:
        owner_name = pwd.getpwuid(owner).pw_name
    except KeyError:
        owner_name = f"uid {owner}"
    return f"it is in {username}'s name but was made by {owner_name}"


class SafeCollect(ExchangeCollect):
    """nbgrader's collect, copying only regular notebook files of the assignment and nbgrader's own files.

    Every student can make folders in inbound: one whose name nbgrader cannot read (no timestamp, a
    date that is none) stopped the collect of the whole class, and a student id with markup in it
    would be written unescaped into formgrader's pages. Such folders are named in the log and skipped.
    """

    def _path_to_record(self, path):
        name = os.path.basename(path)
        try:
            record = super()._path_to_record(path)
        except Exception as error:  # nbgrader's ExchangeError, dateutil's ParserError, OverflowError ...
            self.log.error("Not collected: %s (not a name nbgrader submit makes: %s)", name,
                           str(error).splitlines()[0][:120] if str(error) else type(error).__name__)
            return {"username": "", "filename": name, "timestamp": datetime.min, "unreadable": True}
        impostor = _not_owned_by(path, record["username"])
        if impostor:
            # Another account made a folder in alice's name, dated later than hers: nbgrader would only
            # warn and collect it in place of her own submission.
            self.log.error("Not collected: %s (%s)", name, impostor)
            # Not in her name: nbgrader keeps only the newest folder per name, and this one must not compete.
            return {"username": "", "filename": name, "timestamp": datetime.min, "unreadable": True}
        return record

    def init_src(self):
        from ..engine.batch import student_id_problem

        super().init_src()
        kept = []
        for record in self.src_records:
            if record.get("unreadable"):  # named above
                continue
            why = student_id_problem(record["username"]) if record["username"] else "no student name"
            if why:
                self.log.error("Not collected: %s (%s)", record["filename"],
                               why.replace("; rename the file or folder", ""))
            else:
                kept.append(record)
        self.src_records = kept

    def _notebook_names(self) -> set[str] | None:
        """File names of the assignment's notebooks in its source folder; None when there is no source here."""
        source = Path(self.coursedir.format_path(self.coursedir.source_directory, ".", self.coursedir.assignment_id))
        names = {p.name for p in source.glob("*.ipynb")} if source.is_dir() else set()
        return names or None

    def do_copy(self, src, dest, log=None):
        """Copy the student's submission folder ``src`` to ``dest`` (made here, mode 0700, files 0600)."""
        src, dest = Path(src), Path(dest)
        group = self.coursedir.groupshared
        student = src.name.split("+", 1)[0]
        for folder in (dest.parent, dest.parent.parent):  # submitted/<student>, submitted: nbgrader made them
            make_folder_private(folder, group)
        info = os.lstat(src)
        mode = info.st_mode
        if not stat.S_ISDIR(mode):
            self.log.error("Not collected: %s's submission %s", student,
                           refusal(src.name, mode) or f"{src.name} is a file, not a folder")
            return
        notebooks = self._notebook_names()
        limit = self.coursedir.max_file_size * 1000 if self.coursedir.max_file_size else None
        dest.mkdir(parents=True, exist_ok=True)
        make_folder_private(dest, group)
        for entry in sorted(os.scandir(src), key=lambda e: e.name):
            name = entry.name
            wanted = name in NBGRADER_FILES or (name.endswith(".ipynb") and (notebooks is None or name in notebooks))
            if not wanted:
                self.log.warning("Not collected: %s's %s (not a file of the assignment)", student, name)
                continue
            if limit and entry.stat(follow_symlinks=False).st_size > limit:
                self.log.warning("Not collected: %s's %s (larger than %d KB)", student, name,
                                 self.coursedir.max_file_size)
                continue
            try:
                # src itself no link either; each file the student's own (not a hard link to another's)
                copy_regular(src / name, dest / name, below=src.parent, group=group, owner=info.st_uid)
            except RefusedFile as refused:  # named from the submission's folder
                self.log.error("Not collected: %s's %s", student, str(refused).removeprefix(f"{src.name}/"))


def _released_name(record: logging.LogRecord) -> bool:
    """nbgrader logs "Feedback released to: <hash>-tmp.html", the temporary name it then renames: say the real one."""
    if isinstance(record.msg, str) and record.msg.startswith("Feedback released to:"):
        record.msg, record.args = record.getMessage().replace("-tmp.html", ".html"), ()
    return True


def unreleasable(feedback: Path) -> str | None:
    """Why nbgrader cannot release the feedback folder ``feedback`` (it reads both files of it), or None."""
    for name in NBGRADER_FILES:
        path = feedback / name
        if path.is_symlink() or not path.is_file():
            fix = ("grade the submission again: grading records the time of grading when the student's is missing"
                   if name == "timestamp.txt" else "nbgrader names the released file by the secret of the student's submission")
            return f"its {name} is {'a link' if path.is_symlink() else 'missing'}; {fix}"
    return None


class SafeReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's release_feedback; the released copies readable by the students who fetch them.

    ``feedback/`` is the instructor's alone (files 0600): ``shutil.copy`` would carry that mode into
    the exchange, where the student (another account) must read her feedback, under a name only she
    can compute (a hash of her submission's secret).
    """

    def copy_files(self):
        """nbgrader's release, one student's feedback folder at a time: a folder it cannot release (no
        ``submission_secret.txt``, a ``timestamp.txt`` that is missing or a link) is named and skipped, and
        the rest of the class is released. nbgrader stopped the whole release at the first such folder."""
        pattern = self.src_path
        for folder in sorted(glob.glob(pattern)):
            problem = unreleasable(Path(folder))
            if problem:
                self.log.error("Not released: %s (%s)", folder, problem)
                continue
            self.src_path = glob.escape(folder)
            self.log.addFilter(_released_name)
            try:
                super().copy_files()
            except OSError as error:
                self.log.error("Not released: %s (%s)", folder, error)
            finally:
                self.log.removeFilter(_released_name)
        self.src_path = pattern
        for released in Path(self.dest_path).glob("*.html"):
            if not released.is_symlink() and released.stat().st_uid == os.getuid():
                os.chmod(released, 0o664 if self.coursedir.groupshared else 0o644)
