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
from ..translations import catalogue_path, translated

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
                   header_comment=(f"# {name} ({language}) translation of the messages of {assignment}/ and its data: hints,\n"
                                   f"# case notes, labels (make translations; README)." if assignment in MESSAGE_CATALOGUES else
                                   f"# {name} ({language}) translation of the course notebook {assignment}: one message per\n"
                                   f"# paragraph of solutions/{assignment}/{assignment}.py (make translations; README)."))


def read_catalogue(path: Path, language: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def write_catalogue(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, include_previous=True, sort_output=False, ignore_obsolete=True)


def update_catalogues(language: str, root: Path = COURSE_ROOT, only: list[str] | None = None) -> list[str]:
    """Bring each existing catalogue of ``language`` (or those of ``only``, made when missing) up to date with its
    source; returns one line per catalogue: its path and how many entries are new, fuzzy, translated."""
    report = []
    for assignment in only or assignments(root) + list(MESSAGE_CATALOGUES):
        path = catalogue_path(assignment, language, root)
        if not path.exists() and not only:
            continue
        fresh = message_template(assignment, root) if assignment in MESSAGE_CATALOGUES else template(assignment, root)
        catalog = read_catalogue(path, language) if path.exists() else new_catalogue(assignment, language)
        catalog.update(fresh, update_header_comment=False)
        catalog.project, catalog.fuzzy = fresh.project, False
        write_catalogue(catalog, path)
        messages = [m for m in catalog if m.id]
        report.append(f"{path.relative_to(root)}: {len(messages)} {'messages' if assignment in MESSAGE_CATALOGUES else 'paragraphs'}, "
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



# --- the words of the checks, the grader and the widgets ---------------------------------------------------------

#: The catalogues of messages (not notebooks): ``cnn_course`` holds what the student package says (its ``tr("...")``
#: strings, the visible cases' notes and hints), compiled into the package by ``make notebooks``; ``grader`` what only
#: grading says (hidden cases' notes, the other hints, the feedback page), read by the grader from the ``.po`` itself.
MESSAGE_CATALOGUES = ("cnn_course", "grader")
#: A phrase of a page template: ``{{ "Comment" | say }}``.
_TEMPLATE_PHRASE = r'"((?:[^"\\]|\\.)+)"\s*\|\s*say\b'


def _marked(folder: Path, root: Path) -> list[tuple[str, tuple[str, int]]]:
    """Every ``tr("...")`` message in the Python files below ``folder``, with where it is."""
    from babel.messages.extract import extract_from_dir

    found = []
    for filename, line, message, _, _ in extract_from_dir(str(folder), method_map=[("**.py", "python")],
                                                          keywords={"tr": None, "N_": None, "Said": None, "ft": None}, comment_tags=()):
        if isinstance(message, str) and message:
            found.append((message, (str((folder / filename).relative_to(root)), line)))
    return found


def _template_phrases(root: Path) -> list[tuple[str, tuple[str, int]]]:
    import re

    found = []
    for path in sorted((root / "grader" / "templates").rglob("*.j2")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [(phrase, (str(path.relative_to(root)), number)) for phrase in re.findall(_TEMPLATE_PHRASE, line)]
    return found


def _visible_data(root: Path) -> list[tuple[str, tuple[str, int]]]:
    """The notes and hints of the visible cases, as the student package ships them (``cnn_course/fixtures``)."""
    import json

    found = []
    for path in sorted((root / "cnn_course" / "fixtures").glob("*.json")):
        where = (str(path.relative_to(root)), 0)
        for case_set in json.loads(path.read_text())["case_sets"].values():
            for case in case_set["cases"]:
                found.append((case["note"], where))
                found += [(variant[0], where) for variant in case["variants"]]
    return found


def _grading_data(root: Path) -> list[tuple[str, tuple[str, int]]]:
    """What grading says that is data: the hidden cases' notes (also without the answer they end with, as the
    bundle shows a case it cannot verify), every typical mistake's hint, the test cells' labels, the unverifiable."""
    from ..cases import CASE_SETS
    from ..course.mistakes import all_variants
    from ..engine.feedback import test_comment
    from .bundle import UNVERIFIABLE, unanswered_note

    found = []
    for case_set in CASE_SETS.values():
        where = (f"grader/cases/nb{case_set.notebook}.py", 0)
        if not case_set.visible:
            for case in case_set.cases():
                found += [(case.note, where), (unanswered_note(case.note), where)]
    for variants in all_variants().values():
        found += [(hint, ("grader/course/mistakes.py", 0)) for hint, _ in variants]
    found.append((UNVERIFIABLE, ("grader/authoring/bundle.py", 0)))
    for assignment in assignments(root):
        solution = root / SOURCE_DIRECTORY / assignment / f"{assignment}.ipynb"
        for cell in nbformat.read(solution, as_version=4).cells:
            grading = cell.metadata.get("nbgrader", {})
            comment = test_comment(cell) if grading.get("grade") and not grading.get("solution") else None
            if comment:
                found.append((comment, (str(solution.relative_to(root)), 0)))
    return found


def message_template(name: str, root: Path = COURSE_ROOT) -> Catalog:
    """The messages of catalogue ``name`` (:data:`MESSAGE_CATALOGUES`), each once, with where it comes from."""
    catalog = Catalog(project=f"cnn-course {name}", charset="utf-8", fuzzy=False, creation_date=EPOCH)
    root = Path(root)
    if name == "cnn_course":
        found = _marked(root / "cnn_course", root) + _visible_data(root)
    else:
        shipped = {message for message, _ in _marked(root / "cnn_course", root) + _visible_data(root)}
        found = [(message, where) for message, where in
                 _marked(root / "grader", root) + _template_phrases(root) + _grading_data(root)
                 if message not in shipped]
    for message, where in found:
        if message in catalog:
            if where[1] and where not in catalog[message].locations:
                catalog[message].locations.append(where)
        else:
            catalog.add(message, locations=[where] if where[1] else [], auto_comments=[] if where[1] else [where[0]])
    return catalog


def translations(name: str, language: str, root: Path = COURSE_ROOT) -> dict[str, str]:
    """``{English: translation}`` of catalogue ``name`` in ``language``: its translated entries that are not fuzzy."""
    path = catalogue_path(name, language, root)
    return translated(path, language) if path.exists() else {}


def write_messages(messages: dict[str, str], language: str, path: Path) -> Path:
    """A compiled catalogue (``.mo``, what ``gettext`` reads) of ``messages`` at ``path``; the same bytes for the
    same messages (sorted, with the fixed date)."""
    from babel.messages.mofile import write_mo

    catalog = new_catalogue("cnn_course", language)
    for english, said in sorted(messages.items()):
        catalog.add(english, said)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_mo(handle, catalog)
    return path


def compile_package_messages(root: Path = COURSE_ROOT, build_root: Path | None = None) -> list[Path]:
    """``cnn_course/locale/<language>/LC_MESSAGES/cnn_course.mo`` from each language's ``cnn_course.po``."""
    from cnn_course.i18n import mo_path

    return [write_messages(translations("cnn_course", language, root), language, mo_path(language, build_root or root))
            for language in LANGUAGES if catalogue_path("cnn_course", language, root).exists()]


def stale_messages(name: str, language: str, root: Path = COURSE_ROOT) -> list[str]:
    """The messages of catalogue ``name`` with no up-to-date translation in ``language`` (missing, empty or fuzzy)."""
    done = translations(name, language, root)
    return [f"{(m.locations or [(m.auto_comments or ['?'])[0], 0])[0]}: {m.id.splitlines()[0][:80]}"
            for m in message_template(name, root) if m.id and m.id not in done]
