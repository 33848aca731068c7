"""Long lists on the HTML pages: one bounded page of rows, and the page's rows in groups with a heading.

Every list that grows without bound is read through ``list_page``: its ``?page=`` may be anything —
``0``, ``-3``, ``abc``, a number past the end or past any integer — and is never a 500 (before the
first page: the first; past the last: the last). Each page is then shown with the one paging block,
``{% list_pager page %}`` (``templatetags/list_pages.py``).

Grouping happens on the page's rows, in Python, after the page is read: no query is added, so a page
costs the same number of queries whatever the list's length. Each list's selector names its key —
HR's board its triage group (computed in SQL, so that the order and the groups agree), the dated
lists the week of a date (``group_by_week``). The week is the local one (Europe/Paris) and is named by
its Monday, never by an ISO week number: the week of Monday 28 December 2026 holds 1 January 2027
(ISO week 53 of 2026), and a DST Sunday (a 23- or 25-hour day) belongs to its Monday's week like any
other. A page reads the row just before it too (in the same query), so a group that began on the
previous page is marked ``continued`` (« (suite) »).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ville_hopital.input_hygiene import query_int
from ville_hopital.months import week_start

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

#: Rows of a page when a list does not say otherwise: a phone scrolls through it, the pager close by.
PAGE_SIZE = 25

_NOTHING: Any = object()


class _Paginator(Paginator):
    """Django's paginator, reading one row more before the page (``row_before``) in the page's query."""

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = list(self.object_list[max(bottom - 1, 0):top])
        before = _NOTHING
        if bottom > 0 and rows:
            before, rows = rows[0], rows[1:]
        page = self._get_page(rows, number, self)
        page.row_before = before
        return page


def page_number(raw: str | None) -> int:
    """The page asked for in a query string: a positive number, else the first page."""
    return query_int(raw, default=1) or 1


def list_page(rows: QuerySet[T] | Sequence[T], *, number: str | None, per_page: int = PAGE_SIZE) -> Page:
    """One page of ``rows`` (ordered): ``number`` as the query string gave it; out of range, the
    nearest page. Two queries for a queryset (the count and the rows), whatever its length."""
    return _Paginator(rows, per_page).get_page(page_number(number))


@dataclass(frozen=True)
class RowGroup(Generic[T]):
    """Consecutive rows of a page that share a key, under one heading."""

    key: Hashable
    heading: str
    rows: list[T] = field(default_factory=list)
    #: The group began on the previous page.
    continued: bool = False

    @property
    def slug(self) -> str:
        """The key as it may stand in an element's id (a week's: its Monday, ``2026-12-07``)."""
        return "".join(c if c.isalnum() else "-" for c in str(self.key))


def group_rows(page: Page | Iterable[T], *, key: Callable[[T], K], heading: Callable[[K], str]) -> list[RowGroup[T]]:
    """The rows in their order, cut wherever the key changes (the list is ordered by that key first)."""
    before = getattr(page, "row_before", _NOTHING)
    groups: list[RowGroup[T]] = []
    for row in page:
        value = key(row)
        if groups and groups[-1].key == value:
            groups[-1].rows.append(row)
            continue
        continued = not groups and before is not _NOTHING and key(before) == value
        groups.append(RowGroup(key=value, heading=heading(value), rows=[row], continued=continued))
    return groups


def week_heading(monday: date, *, today: date) -> str:
    """« Cette semaine », « La semaine prochaine », « La semaine dernière », else « Semaine du lundi
    7 décembre 2026 » (in the active language)."""
    weeks = (monday - week_start(today)).days // 7
    if weeks == 0:
        return _("Cette semaine")
    if weeks == 1:
        return _("La semaine prochaine")
    if weeks == -1:
        return _("La semaine dernière")
    return _("Semaine du %(monday)s") % {"monday": date_format(monday, "l j F Y")}


def group_by_week(page: Page | Iterable[T], *, when: Callable[[T], datetime | date],
                  today: date | None = None) -> list[RowGroup[T]]:
    """The rows (ordered by ``when``, either way) in weeks, each headed relative to ``today``."""
    today = today or timezone.localdate()
    return group_rows(page, key=lambda row: week_start(when(row)),
                      heading=lambda monday: week_heading(monday, today=today))
