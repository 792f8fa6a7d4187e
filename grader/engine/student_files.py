"""Files that came from students: read and copied as regular files only, never through a link.

A student owns what she hands in (her exchange folder, a zip, a folder copied by hand) and may have
put symbolic links, FIFOs or device files there. The grader runs as the instructor, often as root:
following a link would read the answers, the gradebook or ``/etc/shadow`` with the instructor's
rights, and opening a FIFO or a link to ``/dev/zero`` would hang or fill the disk. So a student's
file is opened one path component at a time below a folder the instructor chose, each with
``O_NOFOLLOW``, and read only when ``fstat`` says it is a regular file. What the grader writes from
it is the instructor's alone (:func:`make_private`).

:func:`guard_nbgrader` applies the same rules to nbgrader's own ``autograde`` and
``generate_feedback`` (formgrader's buttons, the command line, and ``grader grade``'s shards).
"""
from __future__ import annotations

import datetime
import os
import re
import shutil
import stat
from pathlib import Path

#: nbformat's rule for a cell id (nbformat 4.5 and later); nbgrader refuses a notebook with any other.
CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: Files of nbgrader's own that travel with a submission (collect -> autograde -> feedback -> release).
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")

_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device file",
          stat.S_IFBLK: "a device file", stat.S_IFSOCK: "a socket"}


class RefusedFile(Exception):
    """A student's path that is not read; the message names it and says why, e.g. ``x.ipynb is a symbolic link``."""


def refusal(name: str, mode: int) -> str | None:
    """Why a student's file ``name`` of this ``st_mode`` (from lstat) is not read, or None for a regular file."""
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFREG:
        return None
    if kind == stat.S_IFLNK:
        return f"{name} is a symbolic link"
    return f"{name} is {_KINDS.get(kind, 'not a regular file')}, not a regular file"


def open_regular(path: str | Path, below: str | Path | None = None, owner: int | None = None) -> int:
    """A read-only descriptor of the regular file ``path``, reached from ``below`` without following any link.

    ``below`` (default: the file's folder) is the instructor's: it may itself be reached through links.
    Every component after it must be a real folder, the last a regular file; else :class:`RefusedFile`
    naming the first one that is not (relative to ``below``). Each component is checked with lstat and
    opened with O_NOFOLLOW (O_NONBLOCK: a FIFO swapped in never blocks), and must still be the file
    lstat saw: a link swapped in between is refused too. ``owner``: the uid the file must belong to
    (a student's hard link to a file of another account is refused).
    """
    path = Path(os.path.abspath(path))
    below = Path(os.path.abspath(below)) if below is not None else path.parent
    parts = path.relative_to(below).parts
    if not parts:
        raise RefusedFile(f"{path.name} is a folder, not a regular file")
    fd = os.open(below, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for index, part in enumerate(parts):
            name, last = "/".join(parts[:index + 1]), index == len(parts) - 1
            try:
                seen = os.stat(part, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                raise RefusedFile(f"{name}: no such file") from None
            reason = refusal(name, seen.st_mode) if last or not stat.S_ISDIR(seen.st_mode) else None
            if reason:
                raise RefusedFile(reason)
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | (0 if last else os.O_DIRECTORY)
            try:
                inner = os.open(part, flags, dir_fd=fd)
            except OSError as error:
                raise RefusedFile(f"{name} changed while it was opened ({error.strerror})") from None
            opened = os.fstat(inner)
            os.close(fd)
            fd = inner
            if (opened.st_dev, opened.st_ino) != (seen.st_dev, seen.st_ino):
                raise RefusedFile(f"{name} changed while it was opened")
            if last and owner is not None and opened.st_uid != owner:
                raise RefusedFile(f"{name} belongs to another account (a hard link to it?)")
        os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | Path, below: str | Path | None = None, limit: int | None = None) -> bytes:
    """The bytes of a student's regular file (see :func:`open_regular`); at most ``limit`` + 1 of them."""
    with os.fdopen(open_regular(path, below), "rb") as handle:
        return handle.read() if limit is None else handle.read(limit + 1)


#: Bytes a submitted notebook may have. A course notebook with every output is a few MB; reading
#: a bigger file whole (JSON cannot be read in parts) would let one file fill the grader's memory.
MAX_SUBMISSION_BYTES = 100 * 2**20
#: What parsing a notebook may build. Python keeps each JSON value as an object: parsed and checked by
#: nbformat, about 230 bytes per value (a notebook of 3 million empty ``{}``, 9 MB, took 1.6 GB). A course
#: notebook has a few thousand values; 500 000 cost at most about 120 MB.
MAX_JSON_VALUES = 500_000
#: Containers inside containers: a notebook has fewer than 20 (widget state included).
MAX_JSON_DEPTH = 100
#: The file decoded as Python text (1, 2 or 4 bytes per character, by its widest character: one emoji makes
#: a 100 MB file 400 MB of text, and its strings as much again once parsed).
MAX_TEXT_BYTES = 128 * 2**20


def notebook_problem(path: str | Path, below: str | Path | None = None) -> str | None:
    """Why the student's notebook ``path`` is not read as one: not her regular file (:class:`RefusedFile`'s
    message), larger than :data:`MAX_SUBMISSION_BYTES`, or JSON too costly to parse (:func:`notebook_json_problem`).
    """
    try:
        data = read_regular(path, below, limit=MAX_SUBMISSION_BYTES)
    except RefusedFile as refused:
        return str(refused)
    if len(data) > MAX_SUBMISSION_BYTES:
        return f"{Path(path).name} is larger than the {MAX_SUBMISSION_BYTES // 2**20} MB a submitted notebook may be"
    too_big = notebook_json_problem(data)
    return f"{Path(path).name}: {too_big}" if too_big else None



#: One JSON token: a string (escapes included), an opening or closing bracket, a number or literal; last, a quote
#: that opens no string (unterminated, or broken by a raw newline), where the parser must stop too.
_JSON_TOKEN = re.compile(rb'"[^"\\\n]*(?:\\.[^"\\\n]*)*"|[\[{]|[\]}]|[^\s,:\[\]{}"]+|"')


def notebook_json_problem(data: bytes) -> str | None:
    """Why parsing ``data`` (a submitted notebook's bytes) could cost more memory than grading may spend, or None.

    Its tokens are counted as a stream (a regular expression, no value built) and the count stops at the first
    bound passed, so the check itself costs next to nothing: the 9 MB notebook of 3 million ``{}`` is refused in
    about 0.1 s, in time linear in the file's size. Where the text is not JSON the count may run high, never
    low: the parser stops at the first thing it cannot read, and says what. (ijson's C parser was tried first: a
    5000-digit number crashed the process.)
    """
    width = 4 if re.search(rb"[\xf0-\xf4]", data) else 2 if re.search(rb"[\xc4-\xef]", data) else 1
    if width * len(data) > MAX_TEXT_BYTES:
        widest = {4: "characters outside Unicode's first plane (an emoji)", 2: "characters beyond Latin-1"}
        return (f"{len(data) / 2**20:.0f} MB holding {widest[width]}, {width * len(data) / 2**20:.0f} MB as text: more "
                f"than the {MAX_TEXT_BYTES // 2**20} MB of text a notebook may be (clear its outputs)")
    depth = 0
    for values, token in enumerate(_JSON_TOKEN.finditer(data), 1):
        first = token.group()[:1]
        if token.end() - token.start() == 1 and first == b'"':
            return None  # the parser fails here, having built only what came before (counted): it says why
        if first in (b"{", b"["):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return f"its JSON nests deeper than {MAX_JSON_DEPTH} levels (a notebook has fewer than 20)"
        elif first in (b"}", b"]"):
            depth -= 1
        if values > MAX_JSON_VALUES:
            return (f"its JSON holds more than {MAX_JSON_VALUES:,} values (a course notebook has a few thousand; "
                    "clear its outputs and metadata)")
    return None


def copy_regular(source: str | Path, target: str | Path, below: str | Path | None = None,
                 group: bool = False, owner: int | None = None) -> None:
    """Copy a student's regular file to ``target`` (the instructor's), mode 0600 (0660 with ``group``).

    Refused (:class:`RefusedFile`) as :func:`open_regular` refuses (``owner`` too); ``target`` is replaced, never
    written through (a link or a file of another mode there is removed first).
    """
    target = Path(target)
    with os.fdopen(open_regular(source, below, owner), "rb") as handle:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        mode = 0o660 if group else 0o600
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode), "wb") as out:
            os.fchmod(out.fileno(), mode)  # the umask does not decide
            shutil.copyfileobj(handle, out)


def make_private(path: str | Path, group: bool = False) -> None:
    """Folders 0700 and files 0600 from ``path`` down (2770 and 0660 with ``group``); links are left as they are."""
    path = Path(path)
    if path.is_symlink() or not path.exists():
        return
    folder_mode, file_mode = (0o2770, 0o660) if group else (0o700, 0o600)
    if not path.is_dir():
        os.chmod(path, file_mode)
        return
    for folder, _, files in os.walk(path):  # never descends through a link
        os.chmod(folder, folder_mode)
        for name in files:
            file = os.path.join(folder, name)
            if stat.S_ISREG(os.lstat(file).st_mode):
                os.chmod(file, file_mode)


# --- nbgrader's autograde and generate_feedback ---------------------------------------------------------

def guard_nbgrader() -> None:
    """Make nbgrader's ``Autograde`` and ``GenerateFeedback`` treat submissions as the rules above say.

    nbgrader 0.9.6 (pinned) reads every ``*.ipynb`` its glob finds and copies every other file of the
    student's folder into ``autograded/`` (bound into the sandbox) and then ``feedback/`` with
    ``shutil.copy``, following links, as the instructor; its folders get the umask's modes. With this:

    * a notebook that is a link, or is reached through one below ``submitted/`` (or ``autograded/``),
      or is not a regular file, is not graded: an error in the log names it;
    * of the other files, only nbgrader's (:data:`NBGRADER_FILES`), what the assignment's source ships
      and ``Autograde.exclude_overwriting`` are copied, each a regular file, never through a link;
    * a ``timestamp.txt`` that is a link, not a regular file or longer than 1 KB counts as absent;
    * the output folders (``autograded/``, ``feedback/``, each student's) are the instructor's alone.

    No configurable hook of nbgrader runs before it copies a student's files, hence these overrides of
    its methods; idempotent, and applied by ``grader.config.configure`` in every process that grades.
    """
    from nbgrader.converters.base import BaseConverter, NbGraderException
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import find_all_files, parse_utc

    if getattr(BaseConverter, "_cnn_course_guarded", False):
        return
    plain_init_notebooks, plain_init_assignment = BaseConverter.init_notebooks, BaseConverter.init_assignment
    plain_set_permissions = BaseConverter.set_permissions

    def guarded(converter) -> bool:
        from nbgrader.converters import Autograde, GenerateFeedback
        return isinstance(converter, (Autograde, GenerateFeedback))

    def top(converter, path) -> str:
        """The instructor's folder above ``path``: submitted/ (autograded/), or the course root in another layout."""
        step = os.path.abspath(converter.coursedir.format_path(converter._input_directory, ".", "."))
        return step if os.path.abspath(path).startswith(step + os.sep) else converter.coursedir.root

    def init_notebooks(self) -> None:
        plain_init_notebooks(self)
        if not guarded(self):
            return
        refused = []
        for folder, notebooks in list(self.assignments.items()):
            for notebook in list(notebooks):
                reason = notebook_problem(notebook, top(self, notebook))
                if reason:
                    self.log.error("Not graded: %s", reason)
                    refused.append(reason)
                    notebooks.remove(notebook)
            if not notebooks:
                del self.assignments[folder]
        if refused and not self.assignments:
            raise NbGraderException("Not graded: " + "; ".join(refused))

    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        if not guarded(self):
            return plain_init_assignment(self, assignment_id, student_id)
        source = Path(self._format_source(assignment_id, student_id))
        dest = Path(self._format_dest(assignment_id, student_id))
        shipped = Path(self.coursedir.format_path(self.coursedir.source_directory, ".", assignment_id))
        wanted = set(NBGRADER_FILES) | {os.path.relpath(f, shipped) for f in
                                        find_all_files(str(shipped), self.coursedir.ignore + ["*.ipynb"])}
        wanted |= set(getattr(self, "exclude_overwriting", {}).get(assignment_id, []))
        for relative in sorted(wanted):
            if not os.path.lexists(source / relative):
                continue
            try:
                copy_regular(source / relative, dest / relative, below=top(self, source), group=self.coursedir.groupshared)
            except RefusedFile as refused:
                self.log.warning("Not copied: %s", refused)
        from nbgrader.converters import GenerateFeedback
        stamp = dest / "timestamp.txt"
        if isinstance(self, GenerateFeedback) and not os.path.lexists(stamp):  # release_feedback needs one
            now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
            dest.mkdir(parents=True, exist_ok=True)
            with open(os.open(stamp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), "w") as handle:
                handle.write(now)
            self.log.warning("%s's %s had no submission time (timestamp.txt missing or refused): its feedback "
                             "records the time of grading, %s", student_id, assignment_id, now)

    def set_permissions(self, assignment_id: str, student_id: str) -> None:
        plain_set_permissions(self, assignment_id, student_id)
        if guarded(self):
            dest = Path(os.path.normpath(self._format_dest(assignment_id, student_id)))
            make_private(dest, group=self.coursedir.groupshared)
            output = Path(os.path.normpath(self.coursedir.format_path(self._output_directory, ".", ".")))
            if dest.is_relative_to(output):  # nbgrader's layout (directory_structure) may be another
                for folder in dest.relative_to(output).parents:  # autograded/<student>/, autograded/
                    make_folder_private(output / folder, group=self.coursedir.groupshared)

    def get_existing_timestamp(self, dest_path: str):
        path = os.path.join(dest_path, "timestamp.txt")
        if not os.path.lexists(path):
            return None
        try:
            text = read_regular(path, limit=1024)
        except RefusedFile as refused:
            self.log.warning("Ignored: %s", refused)
            return None
        if len(text) > 1024:
            self.log.warning("Ignored: %s is longer than a timestamp", path)
            return None
        text = text.decode("utf-8", "replace").strip()
        if not text:
            self.log.warning("Empty timestamp file: %s", path)
            return None
        try:
            return parse_utc(text)
        except ValueError:
            self.fail(f"Invalid timestamp string: {path}")

    BaseConverter.init_notebooks = init_notebooks
    BaseConverter.init_assignment = init_assignment
    BaseConverter.set_permissions = set_permissions
    CourseDirectory.get_existing_timestamp = get_existing_timestamp
    BaseConverter._cnn_course_guarded = True


def make_folder_private(folder: str | Path, group: bool = False) -> None:
    """One folder 0700 (2770 with ``group``), not what is in it; nothing when it is a link or missing."""
    folder = Path(folder)
    if folder.is_dir() and not folder.is_symlink():
        os.chmod(folder, 0o2770 if group else 0o700)
