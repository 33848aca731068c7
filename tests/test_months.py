"""Tests for ville_hopital.months: calendar-month arithmetic on fixed dates (pure functions; the
bounds read the project's time zone, Europe/Paris)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ville_hopital.months import (
    add_months,
    month_bounds,
    month_days,
    month_end,
    month_key,
    month_start,
    next_month,
    previous_month,
)

PARIS = ZoneInfo("Europe/Paris")
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
offsets = st.integers(min_value=-1200, max_value=1200)


# --------------------------------------------------------------------------- add_months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # December → January
        (date(2027, 1, 15), -1, date(2026, 12, 15)),  # January → December
        (date(2026, 11, 30), 2, date(2027, 1, 30)),
        (date(2027, 2, 10), -14, date(2025, 12, 10)),
        (date(2027, 5, 20), 0, date(2027, 5, 20)),
        (date(2027, 5, 20), 120, date(2037, 5, 20)),
        (date(2027, 5, 20), -120, date(2017, 5, 20)),
    ],
)
def test_add_months_keeps_the_day_across_year_ends(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 3, 31), 1, date(2027, 4, 30)),  # a 30-day month
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
        (date(2027, 5, 31), -1, date(2027, 4, 30)),
        (date(2028, 3, 31), -1, date(2028, 2, 29)),
        (date(2027, 3, 31), -13, date(2026, 2, 28)),
        (date(2027, 8, 31), -6, date(2027, 2, 28)),
        (date(2027, 8, 31), -12, date(2026, 8, 31)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2027, 1, 30), -2, date(2026, 11, 30)),
    ],
)
def test_add_months_clamps_the_day_to_the_months_end(day, months, expected):
    assert add_months(day, months) == expected


def test_add_months_keeps_a_datetimes_time_and_zone():
    moment = datetime(2027, 8, 31, 23, 59, 30, 15, tzinfo=UTC)
    earlier = add_months(moment, -6)
    assert earlier == datetime(2027, 2, 28, 23, 59, 30, 15, tzinfo=UTC)
    assert type(earlier) is datetime and earlier.tzinfo is UTC
    assert type(add_months(date(2027, 8, 31), -6)) is date


def test_add_months_keeps_the_local_time_across_a_clock_change():
    """Winter to summer time: the same wall-clock time, so an hour less in between."""
    winter = datetime(2027, 2, 15, 9, 0, tzinfo=PARIS)
    summer = add_months(winter, 2)
    assert summer == datetime(2027, 4, 15, 9, 0, tzinfo=PARIS)
    assert summer.utcoffset() == timedelta(hours=2) and winter.utcoffset() == timedelta(hours=1)
    assert add_months(summer, -2) == winter


@given(days, offsets)
def test_add_months_moves_by_whole_months_and_clamps_only_when_it_must(day, months):
    moved = add_months(day, months)
    assert month_key(moved) == month_key(day) + months
    assert moved.day == min(day.day, month_end(moved).day)


@given(days.filter(lambda d: d.day <= 28), offsets)
def test_add_months_is_undone_by_its_opposite_up_to_the_28th(day, months):
    assert add_months(add_months(day, months), -months) == day


# --------------------------------------------------------------------------- month_key


def test_month_key_counts_months_across_year_ends():
    assert month_key(date(2027, 1, 31)) - month_key(date(2026, 12, 1)) == 1
    assert month_key(date(2027, 12, 1)) - month_key(date(2027, 1, 31)) == 11
    assert month_key(date(2027, 3, 1)) == month_key(date(2027, 3, 31))
    assert month_key(datetime(2027, 3, 31, 23, 0, tzinfo=PARIS)) == month_key(date(2027, 3, 1))


# --------------------------------------------------------------------------- first, last, next, previous


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2027, 1, 1), date(2027, 1, 1), date(2027, 1, 31)),
        (date(2027, 2, 14), date(2027, 2, 1), date(2027, 2, 28)),
        (date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29)),
        (date(2100, 2, 3), date(2100, 2, 1), date(2100, 2, 28)),  # not a leap year
        (date(2027, 4, 30), date(2027, 4, 1), date(2027, 4, 30)),
        (date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_month_start_and_end(day, start, end):
    assert (month_start(day), month_end(day)) == (start, end)


def test_a_datetime_gives_dates():
    moment = datetime(2027, 10, 31, 23, 30, tzinfo=PARIS)
    assert type(month_start(moment)) is date and month_start(moment) == date(2027, 10, 1)
    assert type(month_end(moment)) is date and month_end(moment) == date(2027, 10, 31)
    assert type(next_month(moment)) is date and next_month(moment) == date(2027, 11, 1)


@pytest.mark.parametrize(
    ("day", "before", "after"),
    [
        (date(2026, 12, 31), date(2026, 11, 1), date(2027, 1, 1)),
        (date(2027, 1, 1), date(2026, 12, 1), date(2027, 2, 1)),
        (date(2027, 1, 31), date(2026, 12, 1), date(2027, 2, 1)),
        (date(2028, 3, 31), date(2028, 2, 1), date(2028, 4, 1)),
    ],
)
def test_next_and_previous_month_are_firsts(day, before, after):
    assert (previous_month(day), next_month(day)) == (before, after)


@given(days)
def test_the_month_ends_the_day_before_the_next_starts(day):
    assert month_end(day) + timedelta(days=1) == next_month(day)
    assert previous_month(next_month(day)) == month_start(day)


@pytest.mark.parametrize(("day", "count"), [(date(2027, 2, 9), 28), (date(2028, 2, 9), 29), (date(2027, 4, 9), 30),
                                            (date(2026, 12, 9), 31)])
def test_month_days(day, count):
    every = month_days(day)
    assert len(every) == count
    assert every[0] == month_start(day) and every[-1] == month_end(day)
    assert all(b - a == timedelta(days=1) for a, b in pairwise(every))


# --------------------------------------------------------------------------- bounds in local time


def test_month_bounds_are_local_midnights():
    start, end = month_bounds(date(2027, 1, 17))
    assert (start, end) == (datetime(2027, 1, 1, tzinfo=PARIS), datetime(2027, 2, 1, tzinfo=PARIS))
    assert start.astimezone(UTC) == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    assert end - start == timedelta(days=31)


def test_december_bounds_end_in_the_next_year():
    start, end = month_bounds(date(2026, 12, 31))
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=PARIS), datetime(2027, 1, 1, tzinfo=PARIS))


def test_march_is_an_hour_short_of_31_days():
    """The clocks go forward on the last Sunday: 28 March 2027 is a 23-hour day."""
    start, end = month_bounds(date(2027, 3, 28))
    assert start.astimezone(UTC) == datetime(2027, 2, 28, 23, 0, tzinfo=UTC)  # UTC+1
    assert end.astimezone(UTC) == datetime(2027, 3, 31, 22, 0, tzinfo=UTC)  # UTC+2
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=31, hours=-1)  # hours that pass


def test_october_is_an_hour_over_31_days():
    """The clocks go back on the last Sunday: 31 October 2027 is a 25-hour day."""
    start, end = month_bounds(date(2027, 10, 1))
    assert start.astimezone(UTC) == datetime(2027, 9, 30, 22, 0, tzinfo=UTC)  # UTC+2
    assert end.astimezone(UTC) == datetime(2027, 10, 31, 23, 0, tzinfo=UTC)  # UTC+1
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=31, hours=1)


def test_a_datetime_late_at_night_is_bounded_by_its_own_date():
    """The caller picks the day (a local date): the bounds never shift it through UTC."""
    assert month_bounds(datetime(2027, 3, 31, 23, 30, tzinfo=PARIS))[1] == datetime(2027, 4, 1, tzinfo=PARIS)
