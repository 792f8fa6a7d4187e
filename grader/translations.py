"""What grading says in the notebook's language: the grader's own catalogues, given to ``cnn_course.i18n``.

``locale/<language>/LC_MESSAGES/grader.po`` holds what only grading says (hidden cases' notes, the hints of every
typical mistake, the feedback page's phrases); the student package ships the rest (``cnn_course.po``, compiled).
Read once per process, from the ``.po`` itself: nothing is generated for the grader.
"""
from __future__ import annotations

from functools import lru_cache

from cnn_course import i18n

from .layout import COURSE_ROOT, LANGUAGES

LOCALE_DIRECTORY = "locale"


@lru_cache(maxsize=1)
def install() -> None:
    """Give ``cnn_course.i18n`` the grader's translations of every language (once per process)."""
    from babel.messages.pofile import read_po

    for language in LANGUAGES:
        path = COURSE_ROOT / LOCALE_DIRECTORY / language / "LC_MESSAGES" / "grader.po"
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
            i18n.add_translations(language, {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy})
