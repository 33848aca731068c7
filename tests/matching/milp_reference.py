"""An independent exact model with ``scipy.optimize.milp``: one binary per feasible pair.

Written from FORMAT.md alone (plain loops, ``math`` haversine, sets for skills), sharing no
code with the engine beyond reading the Instance arrays, so agreement means something.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import lil_matrix

from missions.matching.instance import Instance

R_KM = 6371.0088


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * R_KM * math.asin(math.sqrt(min(1.0, a)))


def _bits(mask_row: np.ndarray) -> set[int]:
    return {b for b in range(64 * len(mask_row)) if int(mask_row[b // 64]) >> (b % 64) & 1}


@dataclass
class MilpResult:
    objective: float
    pairs: list[tuple[int, int]]


def solve_milp(inst: Instance) -> MilpResult:
    p, s, e, rules = inst.pros, inst.shifts, inst.establishments, inst.rules
    avail = set(zip(p.ids[inst.availability.pro].tolist(), inst.availability.day.tolist(),
                    inst.availability.slot.tolist(), strict=True))
    booked = set(zip(inst.booked.pro.tolist(), inst.booked.day.tolist(), inst.booked.slot.tolist(), strict=True))
    pairs, value = [], []
    for i in range(len(p)):
        for j in range(len(s)):
            if p.profession[i] != s.profession[j] or not _bits(s.required[j]) <= _bits(p.skills[i]):
                continue
            if (int(p.ids[i]), int(s.day[j]), int(s.slot[j])) not in avail:
                continue
            km = haversine(p.lat[i], p.lon[i], e.lat[s.estab[j]], e.lon[s.estab[j]])
            if km <= p.radius_km[i]:
                pairs.append((i, j))
                value.append(inst.meta.big * int(s.urgency[j]) - km)
    if not pairs:
        return MilpResult(0.0, [])
    rows: list[tuple[list[int], float]] = []
    for j in range(len(s)):
        rows.append(([k for k, (_, jj) in enumerate(pairs) if jj == j], float(s.positions[j])))
    for i in range(len(p)):
        mine = [k for k, (ii, _) in enumerate(pairs) if ii == i]
        if not mine:
            continue
        rows.append((mine, float(max(int(p.max_missions[i]) - int(p.used_missions[i]), 0))))
        rows += _calendar_rows(inst, i, mine, pairs, booked, rules)
    a = lil_matrix((len(rows), len(pairs)))
    ub = np.zeros(len(rows))
    for r, (cols, limit) in enumerate(rows):
        for c in cols:
            a[r, c] += 1
        ub[r] = limit
    res = milp(-np.array(value), constraints=LinearConstraint(a.tocsr(), -np.inf, ub),
               integrality=np.ones(len(pairs)), bounds=(0, 1), options={"mip_rel_gap": 0.0, "time_limit": 60})
    assert res.status == 0, res.message
    x = np.round(res.x).astype(bool)
    chosen = [pairs[k] for k in np.flatnonzero(x)]
    return MilpResult(float(sum(value[k] for k in np.flatnonzero(x))), chosen)


def _calendar_rows(inst, i, mine, pairs, booked, rules) -> list[tuple[list[int], float]]:
    """Per professional: one shift per (day, slot) and the switched-on rules; booked slots count."""
    s = inst.shifts
    at: dict[tuple[int, int], list[int]] = {}
    for k in mine:
        j = pairs[k][1]
        at.setdefault((int(s.day[j]), int(s.slot[j])), []).append(k)

    def pattern(slots: list[tuple[int, int]], limit: int) -> list[tuple[list[int], float]]:
        cols = [k for ds in slots for k in at.get(ds, [])]
        const = sum(1 for ds in slots if (i, *ds) in booked)
        return [(cols, float(max(limit - const, 0)))] if cols else []

    out = []
    h = inst.horizon
    for d in range(-7, h + 8):
        for sl in (0, 1):
            out += pattern([(d, sl)], 1)
        if rules.rest_night_then_day:
            out += pattern([(d, 1), (d + 1, 0)], 1)
        if rules.rest_after_24h:
            out += pattern([(d, 0), (d, 1), (d + 1, 0)], 2)
            out += pattern([(d, 0), (d, 1), (d + 1, 1)], 2)
        if rules.max_hours_per_7_days is not None:
            limit = int(rules.max_hours_per_7_days // 12)
            out += pattern([(dd, sl) for dd in range(d, d + 7) for sl in (0, 1)], limit)
    return out
