"""Calendar months and weeks: the one place a month is started, ended, stepped, counted and
bounded, and a week started (``week_start``: its Monday, for the dashboards' weekly series and the
long lists' week headings alike).

A month is named by any of its days. Everything here is plain date arithmetic but
``month_bounds``, which turns a month into aware datetimes in local time (``TIME_ZONE``,
Europe/Paris): the monthly cap of offers counts a mission in the month of its *local* start, so
its bounds are local midnights, not UTC ones.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from django.utils import timezone

DateOrDatetime = TypeVar("DateOrDatetime", bound=date)


def month_key(day: date) -> int:
    """The month as one integer (months since January of year 0): the months that follow each
    other are integers that follow each other, so a difference counts months."""
    return day.year * 12 + day.month - 1


def add_months(moment: DateOrDatetime, months: int) -> DateOrDatetime:
    """The same day ``months`` calendar months later (earlier when negative), on the month's last
    day when it has fewer (31 January + 1 → 28 or 29 February). A datetime keeps its time of day
    and its time zone."""
    year, month_index = divmod(month_key(moment) + months, 12)
    last = calendar.monthrange(year, month_index + 1)[1]
    return moment.replace(year=year, month=month_index + 1, day=min(moment.day, last))


def month_start(day: date) -> date:
    """The 1st of ``day``'s month (a date, even for a datetime)."""
    return date(day.year, day.month, 1)


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    """The 1st of the month after ``day``'s."""
    return add_months(month_start(day), 1)


def previous_month(day: date) -> date:
    """The 1st of the month before ``day``'s."""
    return add_months(month_start(day), -1)


def month_days(day: date) -> list[date]:
    """Every day of ``day``'s month, the 1st first."""
    first = month_start(day)
    return [first + timedelta(days=n) for n in range(month_end(day).day)]


def month_bounds(day: date) -> tuple[datetime, datetime]:
    """The aware local midnights starting ``day``'s month and the next one: the month is
    ``[start, end)``. Not a whole number of 24-hour days when the clocks change in it (March an
    hour shorter, October an hour longer in Europe/Paris)."""
    return _local_midnight(month_start(day)), _local_midnight(next_month(day))


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()))


def week_start(moment: date | datetime) -> date:
    """The Monday of the local week of ``moment`` (an aware datetime is read in Europe/Paris, so a
    late-Sunday instant that UTC already calls Monday stays in its own week)."""
    day = timezone.localdate(moment) if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())
