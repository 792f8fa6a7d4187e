"""The course in other languages, from one source: gettext catalogues of the English notebooks' prose.

The English sources (``solutions/NN_topic/NN_topic.py``) stay the one source of code, tests and structure. Each
markdown cell is cut into paragraphs (at blank lines; a fenced code block or a ``$$`` formula is never cut), and
each paragraph is one message of ``locale/<language>/LC_MESSAGES/NN_topic.po``, the format Poedit, Weblate and
Transifex read. A translated notebook is the English one with each paragraph replaced by its translation: the same
cells, ids, grade_ids, points, code and hidden tests, so one gradebook grades both.

``python -m grader translations`` (``make translations``) brings every catalogue up to date with the sources: a new
paragraph gets an empty entry, a changed one keeps its old translation marked *fuzzy* with the old English beside
it (``#| msgid``), for the translator to review. ``make notebooks`` refuses a catalogue with an empty or fuzzy
entry for a paragraph of its notebook, naming each (:class:`StaleTranslation`).
"""
from __future__ import annotations

import datetime
from pathlib import Path

import jupytext
import nbformat
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from ..layout import COURSE_ROOT, LANGUAGES, SOURCE_DIRECTORY, assignments

LOCALE_DIRECTORY = "locale"
#: Notebook metadata naming a notebook's language: the checks, ``grader check`` and the feedback speak it.
LANGUAGE_KEY = "language"
#: The date catalogues are stamped with (their header's POT-Creation-Date): fixed, so that a catalogue changes only
#: when a paragraph does.
EPOCH = datetime.datetime(2026, 12, 6, tzinfo=datetime.timezone.utc)


class StaleTranslation(ValueError):
    """A catalogue lacks the translation of a paragraph, or has one made for an older English paragraph."""


def paragraphs(markdown: str) -> list[str]:
    """A markdown cell's text cut at blank lines, each paragraph without its surrounding blank lines; a fenced code
    block (```) or a display formula ($$ ... $$) that holds a blank line stays in one paragraph."""
    found, current, fenced, formula = [], [], False, False
    for line in markdown.split("\n"):
        if not line.strip() and not fenced and not formula:
            if current:
                found.append("\n".join(current))
                current = []
            continue
        current.append(line)
        fenced ^= line.count("```") % 2 == 1  # an opening fence may follow a list item's number
        formula ^= line.count("$$") % 2 == 1
    if current:
        found.append("\n".join(current))
    return found


def source_path(assignment: str, root: Path = COURSE_ROOT) -> Path:
    return Path(root) / SOURCE_DIRECTORY / assignment / f"{assignment}.py"


def catalogue_path(assignment: str, language: str, root: Path = COURSE_ROOT) -> Path:
    return Path(root) / LOCALE_DIRECTORY / language / "LC_MESSAGES" / f"{assignment}.po"


def template(assignment: str, root: Path = COURSE_ROOT) -> Catalog:
    """Every paragraph of the notebook's markdown cells, in order, each with the source line where it starts."""
    path = source_path(assignment, root)
    lines = path.read_text(encoding="utf-8").split("\n")
    catalog = Catalog(project=f"cnn-course {assignment}", charset="utf-8", fuzzy=False, creation_date=EPOCH)
    at = 0
    for cell in jupytext.read(path).cells:
        if cell.cell_type != "markdown":
            continue
        for paragraph in paragraphs(cell.source):
            first = paragraph.split("\n", 1)[0]
            found = next((i for i in range(at, len(lines)) if lines[i].rstrip() == f"# {first}".rstrip()), at)
            at = found + 1
            catalog.add(paragraph, locations=[(str(path.relative_to(root)), found + 1)])
    return catalog


def new_catalogue(assignment: str, language: str) -> Catalog:
    name = LANGUAGES.get(language, language)
    return Catalog(locale=language, fuzzy=False, project=f"cnn-course {assignment}", version="1",
                   copyright_holder="the cnn-course authors", msgid_bugs_address="the course's issue tracker",
                   creation_date=EPOCH, revision_date=EPOCH, last_translator="cnn-course",
                   language_team=f"cnn-course {language}",
                   header_comment=f"# {name} ({language}) translation of the course notebook {assignment}: one message per\n"
                                  f"# paragraph of solutions/{assignment}/{assignment}.py (make translations; README).")


def read_catalogue(path: Path, language: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def write_catalogue(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, include_previous=True, sort_output=False)


def update_catalogues(language: str, root: Path = COURSE_ROOT, only: list[str] | None = None) -> list[str]:
    """Bring each existing catalogue of ``language`` (or those of ``only``, made when missing) up to date with its
    source; returns one line per catalogue: its path and how many entries are new, fuzzy, translated."""
    report = []
    for assignment in only or assignments(root):
        path = catalogue_path(assignment, language, root)
        if not path.exists() and not only:
            continue
        fresh = template(assignment, root)
        catalog = read_catalogue(path, language) if path.exists() else new_catalogue(assignment, language)
        catalog.update(fresh, update_header_comment=False)
        catalog.project, catalog.fuzzy = fresh.project, False
        write_catalogue(catalog, path)
        messages = [m for m in catalog if m.id]
        report.append(f"{path.relative_to(root)}: {len(messages)} paragraphs, "
                      f"{sum(not m.string for m in messages)} untranslated, {sum(m.fuzzy for m in messages)} fuzzy")
    return report


def translated_assignments(language: str, root: Path = COURSE_ROOT) -> list[str]:
    """The assignments that have a catalogue in ``language``."""
    return [a for a in assignments(root) if catalogue_path(a, language, root).exists()]


def stale_entries(assignment: str, language: str, root: Path = COURSE_ROOT, catalog: Catalog | None = None) -> list[str]:
    """The notebook's paragraphs whose translation is missing or fuzzy (made for an older English paragraph) in
    ``catalog`` (default: the notebook's catalogue of ``language``)."""
    if catalog is None:
        catalog = read_catalogue(catalogue_path(assignment, language, root), language)
    stale = []
    for message in template(assignment, root):
        if not message.id:
            continue
        translated = catalog.get(message.id)
        if translated is None or not translated.string or translated.fuzzy:
            where = message.locations[0]
            why = "fuzzy" if translated is not None and translated.fuzzy else "untranslated"
            stale.append(f"{where[0]}:{where[1]} ({why}): {message.id.splitlines()[0][:70]}")
    return stale


def translate(nb: nbformat.NotebookNode, assignment: str, language: str,
              root: Path = COURSE_ROOT) -> nbformat.NotebookNode:
    """``nb`` (built from the English source: solution or student version) with every markdown paragraph in
    ``language``, and its language in the notebook's metadata. Raises :class:`StaleTranslation` naming every
    paragraph without an up-to-date translation."""
    path = catalogue_path(assignment, language, root)
    catalog = read_catalogue(path, language)
    stale = stale_entries(assignment, language, root, catalog)
    if stale:
        raise StaleTranslation(f"{path.relative_to(root)}: no up-to-date translation for {len(stale)} paragraph(s) "
                               f"(run `make translations`, translate them, and clear their fuzzy flags):\n  "
                               + "\n  ".join(stale))
    out = nbformat.from_dict(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source = _translated_cell(cell.source, catalog)
    out.metadata.setdefault("cnn_course", {})[LANGUAGE_KEY] = language
    return out


def _translated_cell(source: str, catalog: Catalog) -> str:
    return "\n\n".join(catalog.get(p).string for p in paragraphs(source))

