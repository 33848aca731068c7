"""Independent feasibility check of an assignment: every violated constraint, in words.

It recomputes everything from the instance (distances, skills, availability, calendars) and
shares no code path with candidate generation, so a bug there cannot hide itself here.
"""

from __future__ import annotations

import numpy as np

from territories.geo import haversine_km

from .instance import Assignment, Instance, decode_skills
from .rules import (
    Calendars,
    calendars,
    column,
    hours_violations,
    rest_after_24h_violations,
    rest_night_then_day_violations,
)


def check_assignment(instance: Instance, assignment: Assignment) -> list[str]:
    """List every constraint the assignment violates (empty list: feasible)."""
    problems = _check_indices(instance, assignment)
    if problems:
        return problems  # the other checks index the instance with these values
    problems += _check_pairs(instance, assignment)
    problems += _check_positions(instance, assignment)
    problems += _check_calendars(instance, assignment)
    return problems


def _label(instance: Instance, a: Assignment, i: int) -> str:
    return (f"shift {instance.shifts.ids[a.shift[i]]} position {a.position[i]} "
            f"(pro {instance.pros.ids[a.pro[i]]})")


def _check_indices(instance: Instance, a: Assignment) -> list[str]:
    out = []
    if not (len(a.shift) == len(a.pro) == len(a.position) == len(a.km)):
        return ["assignment arrays have different lengths"]
    if len(a) and (a.shift.min() < 0 or a.shift.max() >= len(instance.shifts)):
        out.append("shift index out of range")
    if len(a) and (a.pro.min() < 0 or a.pro.max() >= len(instance.pros)):
        out.append("pro index out of range")
    return out


def _check_pairs(instance: Instance, a: Assignment) -> list[str]:
    """Profession, skills, declared availability and travel radius of each row."""
    p, s, e = instance.pros, instance.shifts, instance.establishments
    out = []
    prof_bad = p.profession[a.pro] != s.profession[a.shift]
    for i in np.flatnonzero(prof_bad):
        out.append(f"{_label(instance, a, i)}: profession {instance.professions[p.profession[a.pro[i]]]} "
                   f"is not {instance.professions[s.profession[a.shift[i]]]}")
    missing = np.any(s.required[a.shift] & ~p.skills[a.pro], axis=1)
    for i in np.flatnonzero(missing):
        need = decode_skills(s.required[a.shift[i]] & ~p.skills[a.pro[i]], instance.skills)
        out.append(f"{_label(instance, a, i)}: lacks required skills {need}")
    out += _check_available(instance, a)
    est = s.estab[a.shift]
    km = haversine_km(p.lat[a.pro], p.lon[a.pro], e.lat[est], e.lon[est])
    for i in np.flatnonzero(km > p.radius_km[a.pro]):
        out.append(f"{_label(instance, a, i)}: {km[i]:.3f} km exceeds radius {p.radius_km[a.pro[i]]:g} km")
    return out


def _check_available(instance: Instance, a: Assignment) -> list[str]:
    av, s = instance.availability, instance.shifts
    width = 2 * (instance.horizon + 1)
    declared = av.pro.astype(np.int64) * width + 2 * av.day.astype(np.int64) + av.slot
    wanted = a.pro.astype(np.int64) * width + 2 * s.day[a.shift].astype(np.int64) + s.slot[a.shift]
    return [f"{_label(instance, a, i)}: slot not declared available"
            for i in np.flatnonzero(~np.isin(wanted, declared))]


def _check_positions(instance: Instance, a: Assignment) -> list[str]:
    s, p = instance.shifts, instance.pros
    out = []
    for i in np.flatnonzero((a.position < 1) | (a.position > s.positions[a.shift])):
        out.append(f"{_label(instance, a, i)}: position outside 1..{s.positions[a.shift[i]]}")
    out += _duplicates(instance, a, a.position, "position filled twice")
    out += _duplicates(instance, a, a.pro, "professional twice on the same shift")
    count = np.bincount(a.pro, minlength=len(p))
    for q in np.flatnonzero(count > p.remaining_missions):
        out.append(f"pro {p.ids[q]}: {count[q]} missions + {p.used_missions[q]} booked "
                   f"exceeds max_missions {p.max_missions[q]}")
    return out


def _duplicates(instance: Instance, a: Assignment, other: np.ndarray, message: str) -> list[str]:
    key = a.shift.astype(np.int64) * (1 << 31) + other
    order = np.argsort(key, kind="stable")
    dup = order[1:][key[order][1:] == key[order][:-1]]
    return [f"{_label(instance, a, i)}: {message}" for i in dup]


def _check_calendars(instance: Instance, a: Assignment) -> list[str]:
    s, rules = instance.shifts, instance.rules
    cal = calendars(instance, a.pro, s.day[a.shift], s.slot[a.shift])
    out = _double_bookings(instance, cal)
    if rules.rest_night_then_day:
        rows, cols = rest_night_then_day_violations(cal)
        out += [f"pro {_pro_id(instance, cal, r)}: night of day {_day(c)} then day shift of day {_day(c) + 1} "
                "(11 h rest)" for r, c in zip(rows, cols, strict=True)]
    if rules.rest_after_24h:
        rows, cols = rest_after_24h_violations(cal)
        out += [f"pro {_pro_id(instance, cal, r)}: 24-hour guard on day {_day(c)} then work on day {_day(c) + 1}"
                for r, c in zip(rows, cols, strict=True)]
    if rules.max_slots_per_7_days is not None:
        rows, cols = hours_violations(cal, rules.max_slots_per_7_days)
        out += [f"pro {_pro_id(instance, cal, r)}: more than {rules.max_hours_per_7_days:g} h in days "
                f"{_day(c)}..{_day(c) + 6}" for r, c in zip(rows, cols, strict=True)]
    return out


def _double_bookings(instance: Instance, cal: Calendars) -> list[str]:
    rows, cols = np.nonzero((cal.new > 1) | (cal.booked & (cal.new > 0)))
    return [f"pro {_pro_id(instance, cal, r)}: two missions on day {_day(c)} slot {'DN'[c & 1]}"
            for r, c in zip(rows, cols, strict=True)]


def _pro_id(instance: Instance, cal: Calendars, row: int) -> int:
    return int(instance.pros.ids[cal.pros[row]])


def _day(col: int) -> int:
    return int(col) // 2 - (column(0, 0) // 2)
