"""The one helper of long lists (``ville_hopital.list_pages``): a page number that is never a 500,
the row before a page (a group « (suite) »), groups cut where the key changes, and weeks named by
their local Monday — across a year's end (ISO week 53) and both DST Sundays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from ville_hopital.list_pages import (
    group_by_week,
    group_rows,
    list_page,
    page_number,
    week_heading,
)
from ville_hopital.months import week_start

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("raw", "number"),
    [(None, 1), ("", 1), ("0", 1), ("-1", 1), ("abc", 1), ("2.5", 1), ("1e3", 1), ("٣", 1),
     ("99999999999999999999", 1), ("3", 3)],
)
def test_a_page_number_from_the_query_string(raw, number):
    assert page_number(raw) == number


@pytest.mark.parametrize(("raw", "number", "first"), [("0", 1, 0), ("abc", 1, 0), ("2", 2, 25), ("3", 3, 50),
                                                      ("4", 3, 50), ("2147483647", 3, 50)])
def test_out_of_range_pages_are_the_nearest_page(raw, number, first):
    page = list_page(list(range(60)), number=raw)
    assert page.number == number and page[0] == first and len(page) == (10 if number == 3 else 25)


def test_an_empty_list_has_one_empty_page():
    page = list_page([], number="7")
    assert page.number == 1 and list(page) == [] and not page.has_other_pages()


def test_a_page_knows_the_row_before_it_and_a_group_that_goes_on():
    rows = [("a", n) for n in range(3)] + [("b", n) for n in range(4)]
    first = list_page(rows, number="1", per_page=4)
    second = list_page(rows, number="2", per_page=4)
    assert second.row_before == ("b", 0)

    def groups(page):
        return [(g.heading, [n for _, n in g.rows], g.continued)
                for g in group_rows(page, key=lambda row: row[0], heading=str.upper)]

    assert groups(first) == [("A", [0, 1, 2], False), ("B", [0], False)]
    assert groups(second) == [("B", [1, 2, 3], True)]  # began on page 1: « (suite) »


def test_groups_follow_the_order_they_are_given():
    """A key that comes back later is a new group: the list is ordered by its key first."""
    groups = group_rows([1, 1, 2, 1], key=lambda n: n, heading=str)
    assert [(g.heading, g.rows) for g in groups] == [("1", [1, 1]), ("2", [2]), ("1", [1])]


def test_a_week_is_named_by_its_local_monday_across_the_year_end():
    # Thursday 31 December 2026 and Friday 1 January 2027 are one week (ISO week 53 of 2026).
    new_year = [date(2026, 12, 28), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 3)]
    assert {week_start(day) for day in new_year} == {date(2026, 12, 28)}
    assert week_start(date(2027, 1, 4)) == date(2027, 1, 4)
    assert date(2027, 1, 1).isocalendar()[:2] == (2026, 53)  # what a key by ISO number would have to get right
    with translation.override("fr"):
        assert week_heading(date(2026, 12, 28), today=date(2026, 12, 31)) == "Cette semaine"
        assert week_heading(date(2027, 1, 4), today=date(2026, 12, 31)) == "La semaine prochaine"
        assert week_heading(date(2026, 12, 21), today=date(2027, 1, 1)) == "La semaine dernière"
        assert week_heading(date(2026, 12, 28), today=date(2027, 1, 11)) == "Semaine du lundi 28 décembre 2026"
        assert week_heading(date(2027, 1, 11), today=date(2026, 12, 31)) == "Semaine du lundi 11 janvier 2027"
    with translation.override("en"):
        assert week_heading(date(2026, 12, 28), today=date(2027, 2, 1)) == "Week of Monday 28 December 2026"
        assert week_heading(date(2027, 1, 4), today=date(2026, 12, 31)) == "Next week"


def test_the_week_of_an_instant_is_the_local_one_on_both_dst_sundays():
    # Spring: Sunday 28 March 2027 23:30 and Monday 29 March 00:30 (summer time, UTC+2) are both
    # on Sunday in UTC, but in two weeks in Paris.
    sunday_night = datetime(2027, 3, 28, 23, 30, tzinfo=PARIS)
    monday_early = datetime(2027, 3, 29, 0, 30, tzinfo=PARIS)
    assert sunday_night.astimezone(UTC).date() == monday_early.astimezone(UTC).date() == date(2027, 3, 28)
    assert week_start(sunday_night) == date(2027, 3, 22)
    assert week_start(monday_early) == date(2027, 3, 29)
    # Autumn: 02:30 happens twice on Sunday 31 October 2027; both are that Sunday, in the week of the 25th.
    twice = [datetime(2027, 10, 31, 2, 30, tzinfo=PARIS, fold=fold) for fold in (0, 1)]
    assert twice[0].astimezone(UTC) != twice[1].astimezone(UTC)
    assert {week_start(moment) for moment in twice} == {date(2027, 10, 25)}
    # A page of instants either side of the change, newest first, cut at Paris' midnight.
    moments = [datetime(2027, 3, 29, 0, 30, tzinfo=PARIS), datetime(2027, 3, 28, 3, 0, tzinfo=PARIS),
               datetime(2027, 3, 28, 1, 59, tzinfo=PARIS), datetime(2027, 3, 22, 0, 0, tzinfo=PARIS),
               datetime(2027, 3, 21, 23, 59, tzinfo=PARIS)]
    with translation.override("fr"):
        weeks = group_by_week([m.astimezone(UTC) for m in moments], when=lambda m: m, today=date(2027, 3, 29))
        assert [(w.heading, len(w.rows)) for w in weeks] == [
            ("Cette semaine", 1), ("La semaine dernière", 3), ("Semaine du lundi 15 mars 2027", 1),
        ]


def test_weeks_from_today_hold_on_any_day():
    """Built from the clock: on 31 December, a DST Sunday or 29 February alike (``make test-dates``)."""
    from django.utils import timezone

    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    with translation.override("fr"):
        assert week_heading(week_start(today), today=today) == "Cette semaine"
        assert week_heading(monday + timedelta(days=7), today=today) == "La semaine prochaine"
        assert week_heading(monday - timedelta(days=7), today=today) == "La semaine dernière"
        later = monday + timedelta(days=21)
        assert week_heading(later, today=today).startswith("Semaine du lundi ")
        assert week_heading(later, today=today).endswith(str(later.year))
        days = [today + timedelta(days=n) for n in range(-10, 11)]
        weeks = group_by_week(days, when=lambda day: day, today=today)
        assert all(len({week_start(day) for day in week.rows}) == 1 for week in weeks)
        assert sum(len(week.rows) for week in weeks) == 21 and len(weeks) in (3, 4)
        assert [week.key for week in weeks] == sorted(week.key for week in weeks)
