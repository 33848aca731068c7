"""The month grid of the availability calendar, and its shortcuts: pure functions over dates.

A slot is a pair ``(day, "D" | "N")``; in forms it travels as ``"2026-12-05:D"``.

Choices (the issue leaves them open):

* weeks are the rows of the grid, Monday first; "week 3" is the third row (the first row holds
  the 1st of the month, whatever its weekday), so "all nights of week 3" is what the user sees;
* "copy last month" repeats the weekly pattern: each day takes the slots of the same weekday
  four weeks earlier (five when four weeks back is still in this month), which keeps Saturdays
  on Saturdays — copying by day-of-month would shift every weekday;
* shortcuts only ever *add* slots; clearing is a separate action.
"""

from __future__ import annotations

import calendar as _calendar
import re
from collections.abc import Iterable
from datetime import date, timedelta

from professionals.models import Slot
from ville_hopital.months import month_days, month_key, month_start

SlotKey = tuple[date, str]
#: How far ahead the calendar goes (months after the current one).
CALENDAR_MONTHS_AHEAD = 12
#: The first year the calendar shows.
CALENDAR_FIRST_YEAR = 2000
SLOT_CODES = (Slot.DAY.value, Slot.NIGHT.value)
_VALUE = re.compile(r"^(\d{4})-(\d{2})-(\d{2}):([DN])$")


def slot_value(day: date, slot: str) -> str:
    return f"{day.isoformat()}:{slot}"


def parse_slot(value: str) -> SlotKey:
    """``"2026-12-05:D"`` → ``(date(2026, 12, 5), "D")``; ValueError on anything else."""
    match = _VALUE.match(value.strip())
    if not match:
        raise ValueError(value)
    year, month, day, slot = match.groups()
    return date(int(year), int(month), int(day)), slot


def months_ahead(year: int, month: int, *, today: date) -> int | None:
    """How many months after ``today``'s the month ``year``-``month`` is, or None when the calendar
    does not show it (no such month, before 2000, more than ``CALENDAR_MONTHS_AHEAD`` ahead): the page
    and the API answer 404 then."""
    if not 1 <= month <= 12 or not CALENDAR_FIRST_YEAR <= year <= date.max.year:
        return None
    ahead = month_key(date(year, month, 1)) - month_key(today)
    return None if ahead > CALENDAR_MONTHS_AHEAD else ahead


def month_weeks(year: int, month: int) -> list[list[date | None]]:
    """Rows of the grid, Monday first; days of the neighbouring months are None."""
    rows = _calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[d if d.month == month else None for d in row] for row in rows]


def week_of_month(day: date) -> int:
    """1-based row of ``day`` in its month's grid."""
    return (day.day + month_start(day).weekday() - 1) // 7 + 1


SHORTCUT_SLOTS = {"D": ("D",), "N": ("N",), "DN": ("D", "N")}


def shortcut_slots(year: int, month: int, days: str, slots: str) -> set[SlotKey]:
    """The slots a shortcut adds.

    ``days``: ``"wd5"`` (every Saturday: weekday 0 = Monday … 6 = Sunday), ``"w3"`` (week 3 of the
    grid), ``"all"`` (every day), ``"weekdays"`` (Monday to Friday), ``"weekends"``;
    ``slots``: ``"D"``, ``"N"`` or ``"DN"``. ValueError for anything else.
    """
    codes = SHORTCUT_SLOTS.get(slots)
    if codes is None:
        raise ValueError(slots)
    chosen = month_days(date(year, month, 1))
    if days == "all":
        pass
    elif days == "weekdays":
        chosen = [d for d in chosen if d.weekday() < 5]
    elif days == "weekends":
        chosen = [d for d in chosen if d.weekday() >= 5]
    elif re.fullmatch(r"wd[0-6]", days):
        chosen = [d for d in chosen if d.weekday() == int(days[2])]
    elif re.fullmatch(r"w[1-6]", days):
        chosen = [d for d in chosen if week_of_month(d) == int(days[1])]
    else:
        raise ValueError(days)
    return {(d, code) for d in chosen for code in codes}


def copy_previous_month(previous: Iterable[SlotKey], year: int, month: int) -> set[SlotKey]:
    """This month's slots that repeat ``previous`` (last month's declared slots) week for week."""
    source = set(previous)
    copied: set[SlotKey] = set()
    for day in month_days(date(year, month, 1)):
        back = day - timedelta(weeks=4)
        if back.month == month:
            back -= timedelta(weeks=1)
        for code in SLOT_CODES:
            if (back, code) in source:
                copied.add((day, code))
    return copied
