"""The language the checks and widgets speak: the notebook's own (its metadata), English by default.

Messages are written in English in the code and marked ``tr("...")`` (placeholders in braces, filled with
``.format`` after translation, so a translator may move them). Their translations are gettext catalogues,
``locale/<language>/LC_MESSAGES/cnn_course.po`` in the course repository (``make translations``), compiled by
``make notebooks`` into ``cnn_course/locale/<language>/LC_MESSAGES/cnn_course.mo``, which the package ships. A
hint or a case's note is data, not code: it is looked up by its English text the same way.

Which language: the one :func:`speaking` chose (the grader judging a notebook, ``cnn_course check``), else in a
kernel the notebook's: ``CNN_COURSE_NOTEBOOK_LANGUAGE``, or the metadata ``cnn_course.language`` of the notebook
the kernel was started for (JupyterLab says which in ``JPY_SESSION_NAME``; otherwise the one notebook in the
working folder). A notebook's metadata is the student's to change: a language the course does not have is English.
"""
from __future__ import annotations

import contextlib
import gettext
import json
import os
from contextvars import ContextVar
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterator, Mapping

#: The languages the course speaks; the first is the one its code is written in.
LANGUAGES = ("en", "zh")
#: Set by whoever starts a kernel for a notebook whose language it knows (``cnn_course check``).
ENVIRONMENT = "CNN_COURSE_NOTEBOOK_LANGUAGE"
#: Where a notebook names its language: ``metadata["cnn_course"]["language"]``.
METADATA_KEY = "language"
DOMAIN = "cnn_course"

_chosen: ContextVar[str | None] = ContextVar("cnn_course_language", default=None)
_extra: dict[str, dict[str, str]] = {}


def known(language: object) -> str:
    """``language`` when the course speaks it, else English (a notebook's metadata may say anything)."""
    return language if isinstance(language, str) and language in LANGUAGES else LANGUAGES[0]


def notebook_language(metadata: Mapping | None) -> str:
    """The language a notebook's metadata names (``{"cnn_course": {"language": "zh"}}``), else English."""
    course = (metadata or {}).get("cnn_course") if isinstance(metadata, Mapping) else None
    return known(course.get(METADATA_KEY) if isinstance(course, Mapping) else None)


@lru_cache(maxsize=8)
def _file_language(path: str, stamp: tuple[int, int]) -> str:
    try:
        with open(path, "rb") as handle:
            return notebook_language(json.load(handle).get("metadata"))
    except (OSError, ValueError, AttributeError, RecursionError):
        return LANGUAGES[0]


def file_language(path: str | os.PathLike) -> str:
    """The language of the notebook file at ``path`` (read once per version of the file), else English."""
    try:
        info = os.stat(path)
    except OSError:
        return LANGUAGES[0]
    return _file_language(str(path), (info.st_mtime_ns, info.st_size))


def kernel_language() -> str:
    """In a kernel: the language of the notebook it runs (see the module's text)."""
    if os.environ.get(ENVIRONMENT):
        return known(os.environ[ENVIRONMENT])
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb"):
        return file_language(session)
    try:
        notebooks = [entry.path for entry in os.scandir(".") if entry.name.endswith(".ipynb")]
    except OSError:
        notebooks = []
    return file_language(notebooks[0]) if len(notebooks) == 1 else LANGUAGES[0]


def language() -> str:
    """The language messages are said in now."""
    return _chosen.get() or kernel_language()


@contextlib.contextmanager
def speaking(chosen: str | None) -> Iterator[str]:
    """Say messages in ``chosen`` (English when the course does not speak it) within the ``with`` block."""
    token = _chosen.set(known(chosen))
    try:
        yield _chosen.get()
    finally:
        _chosen.reset(token)


@lru_cache(maxsize=None)
def _shipped(chosen: str) -> dict[str, str]:
    """The translations the package ships for ``chosen``: every ``.mo`` file of its ``locale/<chosen>/LC_MESSAGES``."""
    found: dict[str, str] = {}
    folder = resources.files(__package__).joinpath("locale", chosen, "LC_MESSAGES")
    if not folder.is_dir():
        return found
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".mo"):
            with entry.open("rb") as handle:
                found.update({k: v for k, v in gettext.GNUTranslations(handle)._catalog.items()
                              if isinstance(k, str) and k and v})
    return found


def add_translations(chosen: str, messages: Mapping[str, str]) -> None:
    """Translations from elsewhere (the grader's own catalogue: hidden cases, its pages), used after the package's."""
    _extra.setdefault(chosen, {}).update({k: v for k, v in messages.items() if k and v})


def N_(message: str) -> str:
    """Marks ``message`` for the catalogues where it is written (a template chosen later): it stays English here."""
    return message


def tr(message: str) -> str:
    """``message`` in the language spoken now (itself when untranslated, or in English)."""
    chosen = language()
    if chosen == LANGUAGES[0] or not message:
        return message
    return _shipped(chosen).get(message) or _extra.get(chosen, {}).get(message) or message


def in_english(text: str) -> str:
    """The English message a translation in any of the course's languages was made from (``text`` when none was)."""
    for chosen in LANGUAGES[1:]:
        english = _english_of(chosen).get(text)
        if english:
            return english
    return text


def _english_of(chosen: str) -> dict[str, str]:
    return {translated: english for english, translated in {**_extra.get(chosen, {}), **_shipped(chosen)}.items()}


def in_every_language(message: str) -> list[str]:
    """``message`` as each of the course's languages says it (English first)."""
    said = []
    for chosen in LANGUAGES:
        with speaking(chosen):
            said.append(tr(message))
    return said


class Said(str):
    """An English sentence that remembers its template and values, so that it can be said in another language.

    It is the English text as a string (code compares and combines sentences in English: the diagnosis's rules), and
    :meth:`translated` says it in the language spoken now; a value with a ``translated`` method is said so too.
    """

    def __new__(cls, template: str, **values) -> "Said":
        said = super().__new__(cls, template.format(**values))
        said.template, said.values = template, values
        return said

    def translated(self) -> str:
        return tr(self.template).format(**{k: v.translated() if hasattr(v, "translated") else v
                                           for k, v in self.values.items()})


def say(sentence: str) -> str:
    """``sentence`` in the language spoken now: a :class:`Said` by its template, anything else as a message."""
    return sentence.translated() if hasattr(sentence, "translated") else tr(sentence)


def mo_path(chosen: str, root: str | os.PathLike | None = None) -> Path:
    """Where the package's compiled catalogue of ``chosen`` lives (under ``root``, the course, or this package)."""
    base = Path(root) / "cnn_course" if root is not None else Path(__file__).resolve().parent
    return base / "locale" / chosen / "LC_MESSAGES" / f"{DOMAIN}.mo"
