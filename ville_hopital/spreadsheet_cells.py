"""Text written into a CSV file that a spreadsheet will open.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel and
LibreOffice as a formula: an establishment or unit named ``=HYPERLINK(...)`` would become a live link
(or worse) in an ARS agent's spreadsheet. OWASP's rule: prefix such a *text* cell with an apostrophe,
which the spreadsheet shows as text. Numbers are written by the exporters themselves (a negative
figure starts with ``-`` and must stay a number), so only text values go through here.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_text_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
