"""Small random matching instances built in memory (no files), dense enough to create conflicts."""

from __future__ import annotations

import numpy as np

from missions.matching.instance import (
    Establishments,
    Instance,
    Meta,
    Pros,
    Rules,
    Shifts,
    Slots,
    encode_skills,
)

SKILLS = ("GERIA", "PEDIA", "URGENCES")
PROFESSIONS = ("IDE", "MG")


def random_instance(seed: int, n_pros: int = 14, n_estabs: int = 4, n_shifts: int = 14, horizon: int = 6,
                    rules: Rules | None = None, booked: int = 0, same_place: bool = False,
                    density: float = 0.45) -> Instance:
    """A random instance on a ~40 km square; ``same_place`` puts every pro on one point (ties)."""
    rng = np.random.default_rng(seed)
    rules = rules or Rules(rest_night_then_day=True)
    lat0, lon0 = 44.5, 3.5
    if same_place:
        plat, plon = np.full(n_pros, lat0), np.full(n_pros, lon0)
    else:
        plat, plon = lat0 + rng.uniform(-0.2, 0.2, n_pros), lon0 + rng.uniform(-0.25, 0.25, n_pros)
    pro_skills = [[s for s in SKILLS if rng.random() < 0.5] for _ in range(n_pros)]
    pros = Pros(
        ids=np.arange(1, n_pros + 1, dtype=np.int64) * 10,
        profession=rng.integers(0, len(PROFESSIONS), n_pros).astype(np.int16),
        skills=encode_skills(pro_skills, {s: i for i, s in enumerate(SKILLS)}, 1),
        lat=plat, lon=plon, commune=np.array(["48095"] * n_pros),
        radius_km=rng.choice([10.0, 20.0, 30.0, 50.0], n_pros),
        max_missions=rng.integers(1, 6, n_pros).astype(np.int32),
        used_missions=np.zeros(n_pros, np.int32),
    )
    availability = _random_slots(rng, n_pros, horizon, density=density)
    estabs = Establishments(
        ids=np.arange(1, n_estabs + 1, dtype=np.int64), kind=np.array(["CH"] * n_estabs),
        commune=np.array(["48095"] * n_estabs), departement=np.array(["48"] * n_estabs),
        lat=lat0 + rng.uniform(-0.15, 0.15, n_estabs), lon=lon0 + rng.uniform(-0.2, 0.2, n_estabs),
    )
    req = [[s for s in SKILLS if rng.random() < 0.2] for _ in range(n_shifts)]
    shifts = Shifts(
        ids=np.arange(1, n_shifts + 1, dtype=np.int64) * 7,
        estab=rng.integers(0, n_estabs, n_shifts).astype(np.int32),
        profession=rng.integers(0, len(PROFESSIONS), n_shifts).astype(np.int16),
        required=encode_skills(req, {s: i for i, s in enumerate(SKILLS)}, 1),
        day=rng.integers(1, horizon + 1, n_shifts).astype(np.int16),
        slot=rng.integers(0, 2, n_shifts).astype(np.int8),
        positions=rng.integers(1, 4, n_shifts).astype(np.int32),
        urgency=rng.integers(1, 6, n_shifts).astype(np.int8),
        posted_seq=rng.permutation(n_shifts).astype(np.int64),
    )
    booked_slots = Slots.empty()
    if booked:
        booked_slots = _random_slots(rng, n_pros, horizon, density=booked / (2 * horizon * n_pros), lo=0,
                                     hi=horizon + 1)
        pros = Pros(**{**pros.__dict__, "used_missions": np.bincount(booked_slots.pro, minlength=n_pros)
                       .astype(np.int32)})
    meta = Meta("2025-11-03", horizon, 10000.0, rules)
    return Instance(pros, availability, estabs, shifts, meta, PROFESSIONS, SKILLS, booked_slots)


def _random_slots(rng: np.random.Generator, n_pros: int, horizon: int, density: float, lo: int = 1,
                  hi: int | None = None) -> Slots:
    hi = horizon if hi is None else hi
    days = np.arange(lo, hi + 1)
    pro, day, slot = np.meshgrid(np.arange(n_pros), days, [0, 1], indexing="ij")
    keep = rng.random(pro.shape) < density
    return Slots(pro[keep].astype(np.int32), day[keep].astype(np.int16), slot[keep].astype(np.int8))


ALL_RULES = Rules(rest_night_then_day=True, rest_after_24h=True, max_hours_per_7_days=36.0)
