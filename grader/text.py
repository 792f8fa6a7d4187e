"""Text a student chose (file and folder names, ids, statuses), made safe to print and to put in a spreadsheet.

A floor below everything that writes a summary or a table: it imports only the standard library.
"""
from __future__ import annotations

import re
import unicodedata


def printable(text: str) -> str:
    """``text`` with control and invisible formatting characters escaped (``\\n``, ``\\x1b``, ``\\u202e``).

    Student names and statuses come from file and folder names a student chose: a newline there
    would print a fake line in the summary, an escape sequence would rewrite the terminal.
    """
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch)[0] == "C" else ch
                   for ch in str(text))


#: How a spreadsheet recognises a formula (OWASP's list for CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: A plain number as grades.csv writes scores and times ("20", "0.5", "-1", "1e-05"): nothing a spreadsheet runs.
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def spreadsheet_safe(text: str) -> str:
    """A grades.csv cell that no spreadsheet runs: plain numbers as they are; text printable, and a leading
    formula character (``= + - @``, tab, CR) behind a single quote, as OWASP recommends."""
    text = str(text)
    if _PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + printable(text) if text.startswith(_FORMULA_START) else printable(text)

