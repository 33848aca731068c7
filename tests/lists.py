"""Reading a long list's page as a screen reader meets it: its group headings, in order (real
``<h2>``/``<h3>`` elements of class ``group-heading``), and the week of a day."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from django.utils.formats import date_format
from django.utils.translation import override

_HEADING = re.compile(r'<h(?P<level>[2-6]) class="group-heading"[^>]*>(?P<text>.*?)</h(?P=level)>', re.S)


def group_headings(page: str, *, level: int | None = None) -> list[str]:
    """The text of each group heading of ``page`` (HTML), tags removed (« Pourvues (suite) »)."""
    found = []
    for match in _HEADING.finditer(page):
        if level is None or int(match["level"]) == level:
            found.append(" ".join(html.unescape(re.sub(r"<[^>]+>", "", match["text"])).split()))
    return found


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_of(day: date) -> str:
    """The French heading of a week that is neither this one nor the next or last: « Semaine du
    lundi 28 décembre 2026 »."""
    with override("fr"):
        return f"Semaine du {date_format(monday_of(day), 'l j F Y')}"
