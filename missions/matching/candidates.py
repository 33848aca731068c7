"""Candidate (professional, shift) pairs: every pair that passes the static hard constraints.

Never all pairs: rows are grouped by (profession, day, slot) — the only rows that can meet —
and inside a group a k-d tree over 3-D unit vectors returns the pairs whose chord is within
the group's largest travel radius. The exact haversine distance then applies each
professional's own radius. The k-d tree works on chords because a chord is a monotone
function of the great-circle distance, so the pruning is exact (plus a tiny safety margin,
the haversine test decides).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

# The one haversine (a plain NumPy module: the engine stays free of Django).
from territories.geo import EARTH_RADIUS_KM, haversine_km

from .instance import Instance, Slots


@dataclass(frozen=True)
class Candidates:
    """Feasible pairs sorted by (pro, slot index, shift)."""

    pro: np.ndarray  # int32
    shift: np.ndarray  # int32
    km: np.ndarray  # float64
    t: np.ndarray  # int16 slot index 2*(day-1) + slot

    def __len__(self) -> int:
        return len(self.pro)

    def subset(self, mask: np.ndarray) -> Candidates:
        return Candidates(self.pro[mask], self.shift[mask], self.km[mask], self.t[mask])


def slot_index(day: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """Half-day index: D(1)=0, N(1)=1, D(2)=2 … so N(d) and D(d+1) are consecutive."""
    return (2 * (day.astype(np.int32) - 1) + slot).astype(np.int32)


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def chord_for_km(km: float) -> float:
    """Chord length (unit sphere) of a great-circle distance, widened so rounding never drops a pair."""
    angle = min(km / EARTH_RADIUS_KM, np.pi)
    return float(2 * np.sin(angle / 2) * (1 + 1e-9) + 1e-12)


def blocked_slot_keys(instance: Instance) -> np.ndarray:
    """Sorted keys pro*K + t of slots made unusable by booked missions.

    A booked slot is taken; under ``rest_night_then_day`` a booked night N(d) also blocks D(d+1)
    and a booked D(d+1) blocks N(d). The other rules involving booked missions depend on what
    else is assigned, so the repair step and the checker handle them.
    """
    b = instance.booked
    if len(b) == 0:
        return np.zeros(0, np.int64)
    t = slot_index(b.day, b.slot)
    keys = [t]
    if instance.rules.rest_night_then_day:
        keys.append(np.where(b.slot == 1, t + 1, t - 1))
    k = _slot_key_space(instance)
    all_t = np.concatenate(keys)
    pros = np.concatenate([b.pro] * len(keys)).astype(np.int64)
    return np.unique(pros * k + all_t + _T_OFFSET)


_T_OFFSET = 64  # keeps keys of booked slots before day 1 non-negative


def _slot_key_space(instance: Instance) -> int:
    return 2 * instance.horizon + 2 * _T_OFFSET


def usable_availability(instance: Instance) -> Slots:
    """Declared availability minus the slots blocked by booked missions."""
    a = instance.availability
    blocked = blocked_slot_keys(instance)
    if len(blocked) == 0:
        return a
    keys = a.pro.astype(np.int64) * _slot_key_space(instance) + slot_index(a.day, a.slot) + _T_OFFSET
    keep = ~np.isin(keys, blocked)
    return Slots(a.pro[keep], a.day[keep], a.slot[keep])


def _group_keys(prof: np.ndarray, day: np.ndarray, slot: np.ndarray, horizon: int) -> np.ndarray:
    return (prof.astype(np.int64) * (horizon + 1) + day) * 2 + slot


def _pairs_in_group(pro_xyz: np.ndarray, radius: np.ndarray, shift_xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (row in pro_xyz, row in shift_xyz) within each professional's chord.

    Professionals are queried by radius class (each class with its own largest chord), so a
    10 km professional is not searched with the 80 km radius of the widest one.
    """
    tree_s = cKDTree(shift_xyz)
    out_i, out_j = [], []
    for cls_rows in _radius_classes(radius):
        r = chord_for_km(float(radius[cls_rows].max()))
        pairs = cKDTree(pro_xyz[cls_rows]).sparse_distance_matrix(tree_s, r, output_type="ndarray")
        out_i.append(cls_rows[pairs["i"]])
        out_j.append(pairs["j"].astype(np.int64))
    return np.concatenate(out_i), np.concatenate(out_j)


def _radius_classes(radius: np.ndarray, max_classes: int = 8) -> list[np.ndarray]:
    """Rows grouped by radius: exact values when few, else quantile buckets."""
    values = np.unique(radius)
    if len(values) <= max_classes:
        codes = np.searchsorted(values, radius)
    else:
        edges = np.quantile(radius, np.linspace(0, 1, max_classes + 1)[1:-1])
        codes = np.searchsorted(edges, radius)
    order = np.argsort(codes, kind="stable")
    cuts = np.flatnonzero(np.diff(codes[order])) + 1
    return [rows for rows in np.split(order, cuts) if len(rows)]


def build_candidates(instance: Instance, progress: bool = False) -> Candidates:
    """All (pro, shift) pairs meeting profession, skills, availability and radius constraints."""
    p, s, e = instance.pros, instance.shifts, instance.establishments
    avail = usable_availability(instance)
    h = instance.horizon
    a_key = _group_keys(p.profession[avail.pro], avail.day, avail.slot, h)
    s_key = _group_keys(s.profession, s.day, s.slot, h)
    a_order, s_order = np.argsort(a_key, kind="stable"), np.argsort(s_key, kind="stable")
    a_sorted, s_sorted = a_key[a_order], s_key[s_order]
    groups = np.intersect1d(a_sorted, s_sorted)
    pro_xyz = unit_vectors(p.lat, p.lon)
    estab_xyz = unit_vectors(e.lat, e.lon)
    parts: list[Candidates] = []
    iterator = groups
    if progress:
        from tqdm import tqdm  # not a cycle: the progress bar is optional, loaded only when asked for

        iterator = tqdm(groups, desc="candidates", unit="group", leave=False)
    for g in iterator:
        rows = a_order[np.searchsorted(a_sorted, g, "left"):np.searchsorted(a_sorted, g, "right")]
        shifts = s_order[np.searchsorted(s_sorted, g, "left"):np.searchsorted(s_sorted, g, "right")]
        pros = avail.pro[rows]
        i, j = _pairs_in_group(pro_xyz[pros], p.radius_km[pros], estab_xyz[s.estab[shifts]])
        parts.append(_filter_exact(instance, pros[i], shifts[j]))  # filter per group: small temporaries
    if not parts:
        return Candidates(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0), np.zeros(0, np.int16))
    pro = np.concatenate([c.pro for c in parts])
    shift = np.concatenate([c.shift for c in parts])
    km = np.concatenate([c.km for c in parts])
    t = np.concatenate([c.t for c in parts])
    order = np.lexsort((shift, t, pro))
    return Candidates(pro[order], shift[order], km[order], t[order])


def _filter_exact(instance: Instance, pro: np.ndarray, shift: np.ndarray) -> Candidates:
    """Exact radius (haversine) and skills (bitmask subset) tests."""
    p, s, e = instance.pros, instance.shifts, instance.establishments
    est = s.estab[shift]
    km = haversine_km(p.lat[pro], p.lon[pro], e.lat[est], e.lon[est])
    ok = km <= p.radius_km[pro]
    ok &= ~np.any(s.required[shift] & ~p.skills[pro], axis=1)
    pro, shift, km = pro[ok].astype(np.int32), shift[ok].astype(np.int32), km[ok]
    return Candidates(pro, shift, km, slot_index(s.day[shift], s.slot[shift]).astype(np.int16))
