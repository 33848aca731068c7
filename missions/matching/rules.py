"""Working-time rules on a professional's calendar of half-day slots.

A calendar column is ``2 * (day + 6) + slot`` so that booked missions up to 7 days before day 1
get a non-negative column; D columns are even, N columns odd, and N(d) is immediately
followed by D(d+1). Two views of the same rules live here:

* vectorised over occupancy matrices (checker, detection of violations after the flow);
* incremental on one professional's calendar as a Python int bitmask (first-come baseline and
  repair), because each test is then a handful of integer operations.

A violation only counts if it involves at least one slot assigned by the engine: a calendar
that already broke a rule through booked missions alone is not the engine's doing, but the
engine never adds a slot to such a broken pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .instance import BOOKED_MARGIN_DAYS, Instance, Rules

DAY_OFFSET = BOOKED_MARGIN_DAYS - 1  # day 1 - 7 maps to column 0
SLOTS_PER_WINDOW = 14  # 7 days x 2 slots


def n_columns(horizon: int) -> int:
    return 2 * (horizon + 2 * BOOKED_MARGIN_DAYS)


def column(day: np.ndarray | int, slot: np.ndarray | int) -> np.ndarray | int:
    return 2 * (day + DAY_OFFSET) + slot


# --------------------------------------------------------------------------------------------
# Vectorised: whole calendars at once
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendars:
    """Dense occupancy of the professionals in ``pros`` (booked and newly assigned slots)."""

    pros: np.ndarray  # pro indices, one row each
    booked: np.ndarray  # bool (len(pros), n_columns)
    new: np.ndarray  # int16 count of engine assignments per slot (> 1 means a double booking)

    @property
    def busy(self) -> np.ndarray:
        return self.booked | (self.new > 0)


def calendars(instance: Instance, pro: np.ndarray, day: np.ndarray, slot: np.ndarray) -> Calendars:
    """Calendars of every professional that has a booked or a new slot."""
    b = instance.booked
    pros = np.unique(np.concatenate([b.pro, pro]).astype(np.int32))
    width = n_columns(instance.horizon)
    booked = np.zeros((len(pros), width), bool)
    booked[np.searchsorted(pros, b.pro), column(b.day.astype(np.int32), b.slot)] = True
    new = np.zeros((len(pros), width), np.int16)
    np.add.at(new, (np.searchsorted(pros, pro), column(day.astype(np.int32), slot)), 1)
    return Calendars(pros, booked, new)


def rest_night_then_day_violations(cal: Calendars) -> tuple[np.ndarray, np.ndarray]:
    """(row, night column) where N(d) and D(d+1) are both worked and one of them is new."""
    busy, new = cal.busy, cal.new > 0
    both = busy[:, 1:-1:2] & busy[:, 2::2]
    involved = new[:, 1:-1:2] | new[:, 2::2]
    rows, k = np.nonzero(both & involved)
    return rows, 2 * k + 1


def rest_after_24h_violations(cal: Calendars) -> tuple[np.ndarray, np.ndarray]:
    """(row, guard day column) where D(d)+N(d) is followed by any slot of d+1, one of them new."""
    busy, new = cal.busy, cal.new > 0
    guard = busy[:, 0:-2:2] & busy[:, 1:-2:2]
    next_day = busy[:, 2::2] | busy[:, 3::2]
    involved = new[:, 0:-2:2] | new[:, 1:-2:2] | new[:, 2::2] | new[:, 3::2]
    rows, k = np.nonzero(guard & next_day & involved)
    return rows, 2 * k


def hours_violations(cal: Calendars, max_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, first column of the 7-day window) where more than ``max_slots`` slots are worked."""
    busy = cal.busy.astype(np.int32)
    new = (cal.new > 0).astype(np.int32)
    per_day = busy[:, 0::2] + busy[:, 1::2]
    new_day = new[:, 0::2] + new[:, 1::2]
    window = _window_sums(per_day, 7)
    new_window = _window_sums(new_day, 7)
    rows, w = np.nonzero((window > max_slots) & (new_window > 0))
    return rows, 2 * w


def _window_sums(per_day: np.ndarray, width: int) -> np.ndarray:
    csum = np.concatenate([np.zeros((per_day.shape[0], 1), per_day.dtype), np.cumsum(per_day, axis=1)], axis=1)
    return csum[:, width:] - csum[:, :-width]


def violating_pros(instance: Instance, pro: np.ndarray, day: np.ndarray, slot: np.ndarray,
                   rules: Rules | None = None) -> np.ndarray:
    """Indices of professionals whose calendar breaks a switched-on rule (all rules, incl. base)."""
    rules = rules or instance.rules
    cal = calendars(instance, pro, day, slot)
    bad = np.zeros(len(cal.pros), bool)
    bad[np.nonzero(((cal.new > 1) | (cal.booked & (cal.new > 0))).any(axis=1))] = True
    if rules.rest_night_then_day:
        bad[rest_night_then_day_violations(cal)[0]] = True
    if rules.rest_after_24h:
        bad[rest_after_24h_violations(cal)[0]] = True
    if rules.max_slots_per_7_days is not None:
        bad[hours_violations(cal, rules.max_slots_per_7_days)[0]] = True
    return cal.pros[bad]


# --------------------------------------------------------------------------------------------
# Incremental: one calendar as an int bitmask
# --------------------------------------------------------------------------------------------

_WINDOW_MASK = (1 << SLOTS_PER_WINDOW) - 1
_DAY_MASK = 0b11


class CalendarBook:
    """Per-professional bitmask calendars, seeded with booked missions, grown one slot at a time."""

    def __init__(self, instance: Instance):
        self.rules = instance.rules
        self.max_slots = instance.rules.max_slots_per_7_days
        self.masks = [0] * len(instance.pros)
        b = instance.booked
        for p, c in zip(b.pro.tolist(), column(b.day.astype(np.int64), b.slot).tolist(), strict=True):
            self.masks[p] |= 1 << c

    def can_add(self, pro: int, col: int) -> bool:
        mask = self.masks[pro]
        if mask >> col & 1:
            return False
        if self.rules.rest_night_then_day and _breaks_night_then_day(mask, col):
            return False
        new = mask | 1 << col
        if self.rules.rest_after_24h and _breaks_24h_around(new, col):
            return False
        return self.max_slots is None or not _breaks_window(new, col, self.max_slots)

    def add(self, pro: int, col: int) -> None:
        self.masks[pro] |= 1 << col

    def remove(self, pro: int, col: int) -> None:
        self.masks[pro] &= ~(1 << col)


def slot_breaks(mask: int, col: int, rules: Rules) -> tuple[bool, bool, bool]:
    """Which switched-on rule adding slot ``col`` to the calendar ``mask`` breaks, one by one:
    (rest after a night, rest after a 24 h guard, more than ``max_slots_per_7_days`` in 7 days).
    Whether ``col`` itself is taken is the caller's question. ``CalendarBook.can_add`` asks the
    same three rules (short-circuited); the platform's eligibility names each one."""
    new = mask | 1 << col
    return (
        rules.rest_night_then_day and _breaks_night_then_day(mask, col),
        rules.rest_after_24h and _breaks_24h_around(new, col),
        rules.max_slots_per_7_days is not None and _breaks_window(new, col, rules.max_slots_per_7_days),
    )


def _breaks_24h_around(new: int, col: int) -> bool:
    day = col >> 1
    return _breaks_24h(new, day - 1) or _breaks_24h(new, day)


def _breaks_window(new: int, col: int, max_slots: int) -> bool:
    day = col >> 1
    return any(
        ((new >> (2 * first)) & _WINDOW_MASK).bit_count() > max_slots for first in range(max(day - 6, 0), day + 1)
    )


def _breaks_night_then_day(mask: int, col: int) -> bool:
    if col & 1:  # a night: is the next day's day slot taken?
        return bool(mask >> (col + 1) & 1)
    return col > 0 and bool(mask >> (col - 1) & 1)  # a day: was the previous night worked?


def _breaks_24h(mask: int, day: int) -> bool:
    if day < 0:
        return False
    guard = (mask >> (2 * day)) & _DAY_MASK == _DAY_MASK
    return guard and bool((mask >> (2 * day + 2)) & _DAY_MASK)
