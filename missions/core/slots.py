"""The half-day slot model every part of missions shares: which (day, slot) a moment maps to,
which slots a booked mission covers, and the horizon of a matching.

A shift starting 06:00–17:59 (local time) is the ``D`` slot (0) of that day, 18:00–05:59 the ``N``
slot (1; of the previous day before 06:00). A shift longer than 12 h still occupies one slot in the
engine; once booked it covers every slot it overlaps (``slots_covered``, on FORMAT.md's own
08:00 / 20:00 slot starts).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

#: A day starts at 06:00 for the slot mapping; the day slot runs until 17:59.
DAY_SLOT_FROM, NIGHT_SLOT_FROM = 6, 18


def slot_of(moment: datetime) -> tuple[date, int]:
    """The (day, slot) a shift starting at ``moment`` maps to: 06:00–17:59 → D (0), else N (1)."""
    local = timezone.localtime(moment)
    if DAY_SLOT_FROM <= local.hour < NIGHT_SLOT_FROM:
        return local.date(), 0
    if local.hour >= NIGHT_SLOT_FROM:
        return local.date(), 1
    return local.date() - timedelta(days=1), 1


def slot_start(day: date, slot: int) -> datetime:
    """The aware start of the mapping window of a slot (06:00 for D, 18:00 for N)."""
    return timezone.make_aware(datetime.combine(day, time(NIGHT_SLOT_FROM if slot else DAY_SLOT_FROM)))


def _format_slot_start(day: date, slot: int) -> datetime:
    """FORMAT.md's own slot start: 08:00 (D) or 20:00 (N)."""
    return timezone.make_aware(datetime.combine(day, time(20 if slot else 8)))


def slots_covered(starts_at: datetime, ends_at: datetime) -> list[tuple[date, int]]:
    """Every slot a booked mission occupies: its start slot, then each following slot (D 08:00–20:00,
    N 20:00–08:00) that begins before the mission ends — a 24 h guard 08:00→08:00 takes D and N."""
    day, slot = slot_of(starts_at)
    out = [(day, slot)]
    while len(out) < 14:
        day, slot = (day, 1) if slot == 0 else (day + timedelta(days=1), 0)
        if _format_slot_start(day, slot) >= ends_at:
            break
        out.append((day, slot))
    return out


def horizon_bounds(start: date, horizon_days: int) -> tuple[datetime, datetime]:
    """Shifts starting in [06:00 on ``start``, 06:00 on ``start + horizon_days``) belong to the horizon."""
    return slot_start(start, 0), slot_start(start + timedelta(days=horizon_days), 0)
