"""What grading says in the notebook's language: the grader's own catalogues, given to ``cnn_course.i18n``.

``locale/<language>/LC_MESSAGES/grader.po`` holds what only grading says (hidden cases' notes, the hints of every
typical mistake, the feedback page's phrases); the student package ships the rest (``cnn_course.po``, compiled).
Read once per process, from the ``.po`` itself: nothing is generated for the grader.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from cnn_course import i18n

from .layout import COURSE_ROOT, LANGUAGES

LOCALE_DIRECTORY = "locale"


def catalogue_path(name: str, language: str, root: Path = COURSE_ROOT) -> Path:
    """``locale/<language>/LC_MESSAGES/<name>.po``: a notebook's catalogue, or one of the course's own words."""
    return Path(root) / LOCALE_DIRECTORY / language / "LC_MESSAGES" / f"{name}.po"


def translated(path: Path, language: str) -> dict[str, str]:
    """``{English: translation}`` of the catalogue (``.po``) at ``path``: its translated entries that are not fuzzy."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


@lru_cache(maxsize=1)
def install() -> None:
    """Give ``cnn_course.i18n`` the grader's translations of every language (once per process)."""
    for language in LANGUAGES:
        path = catalogue_path("grader", language)
        if path.exists():
            i18n.add_translations(language, translated(path, language))
