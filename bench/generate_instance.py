"""Generate a realistic matching instance (FORMAT.md layout) from the real communes.

Deterministic for a given seed. Professionals and establishments are placed in communes with
probability proportional to population (plus up to ~2 km of jitter for a home address), the
profession mix follows the Lozère sample, each professional declares about 4 slots a month,
radii are 10–80 km. National scale: ≈505,000 professionals, ≈2 million available slots,
≈200,000 positions; region ≈50,000 professionals; département proportional to population.

    python bench/generate_instance.py --scale region --out /tmp/vh-region [--scarce] [--all-rules]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from missions.matching.instance import (
    Establishments,
    Instance,
    Meta,
    Pros,
    Rules,
    Shifts,
    Slots,
    encode_skills,
    write_instance,
)

COMMUNES = Path("/work/shared/data/communes.csv")
NATIONAL_PROS = 505_000
NATIONAL_POSITIONS = 200_000
REGION_PROS = 50_000
SLOTS_PER_PRO = 4.0
HORIZON = 30

# (code, share of professionals, skills with their probability)
PROFESSIONS = [
    ("IDE", 0.345, {"GERIA": 0.4, "PEDIA": 0.1, "URGENCES": 0.1, "REA": 0.05, "RESPI": 0.1, "PSY": 0.05}),
    ("AS", 0.175, {"GERIA": 0.5, "PSY": 0.05}),
    ("KINE", 0.205, {"RESPI": 0.3, "NEURO": 0.2, "GERIA": 0.2, "PEDIA": 0.1}),
    ("MG", 0.144, {"GERIA": 0.3, "PEDIA": 0.1, "URGENCES": 0.1, "ECHO": 0.05}),
    ("SF", 0.045, {"SALLE_NAISS": 0.4, "ECHO": 0.3}),
    ("URG", 0.034, {"SMUR": 0.5, "REGUL": 0.3}),
    ("MAR", 0.010, {"REA": 0.4, "BLOC": 0.4, "PEDIA": 0.1}),
    ("MERM", 0.027, {"SCANNER": 0.5, "IRM": 0.4, "INTERV": 0.1}),
    ("PUER", 0.015, {"NEONAT": 0.4, "PEDIA": 0.5}),
]
# Establishment kinds: national counts, and which professions they post for (with weights).
KINDS = [
    ("CHU", 32, {"IDE": 3, "AS": 2, "URG": 1, "MAR": 1, "MERM": 1, "SF": 1, "PUER": 1, "KINE": 0.5}),
    ("CH", 1300, {"IDE": 3, "AS": 2, "URG": 1, "MAR": 0.5, "MERM": 0.5, "SF": 0.5, "MG": 0.5, "KINE": 0.3}),
    ("ESPIC", 700, {"IDE": 3, "AS": 2, "MG": 0.5, "KINE": 0.5, "MERM": 0.2}),
    ("CLINIQUE", 1000, {"IDE": 3, "AS": 1.5, "MAR": 0.5, "MERM": 0.3, "SF": 0.3, "KINE": 0.3}),
    ("EHPAD", 7500, {"IDE": 2, "AS": 3, "MG": 0.6, "KINE": 0.4}),
]
RADII = np.array([10, 20, 30, 40, 50, 80], float)
RADII_P = np.array([0.12, 0.25, 0.25, 0.15, 0.15, 0.08])


@dataclass(frozen=True)
class Communes:
    code: np.ndarray
    dep: np.ndarray
    region: np.ndarray
    population: np.ndarray
    lat: np.ndarray
    lon: np.ndarray


def load_communes(path: Path = COMMUNES) -> Communes:
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return Communes(
        code=np.array([r["code_insee"] for r in rows]), dep=np.array([r["departement"] for r in rows]),
        region=np.array([r["region"] for r in rows]),
        population=np.array([float(r["population"] or 0) for r in rows]),
        lat=np.array([float(r["latitude"]) for r in rows]), lon=np.array([float(r["longitude"]) for r in rows]),
    )


def select_area(c: Communes, scale: str, area: str | None) -> tuple[np.ndarray, int, str]:
    """Communes of the area, number of professionals, and a label."""
    total = c.population.sum()
    if scale == "national":
        return np.arange(len(c.code)), NATIONAL_PROS, "France"
    if scale == "region":
        code = area or "76"
        mask = c.region == code
        return np.flatnonzero(mask), REGION_PROS, f"région {code}"
    code = area or "35"
    mask = c.dep == code
    return np.flatnonzero(mask), round(NATIONAL_PROS * c.population[mask].sum() / total), f"département {code}"


def _place(rng: np.random.Generator, c: Communes, idx: np.ndarray, n: int, jitter_km: float):
    w = c.population[idx] + 1.0
    chosen = idx[rng.choice(len(idx), n, p=w / w.sum())]
    dlat = rng.uniform(-1, 1, n) * jitter_km / 111.2
    dlon = rng.uniform(-1, 1, n) * jitter_km / (111.2 * np.cos(np.radians(c.lat[chosen])))
    return chosen, c.lat[chosen] + dlat, c.lon[chosen] + dlon


def _skills(rng: np.random.Generator, prof: np.ndarray, chance_scale: float) -> list[list[str]]:
    out: list[list[str]] = [[] for _ in range(len(prof))]
    for k, (_, _, skills) in enumerate(PROFESSIONS):
        rows = np.flatnonzero(prof == k)
        for skill, p in skills.items():
            for r in rows[rng.random(len(rows)) < p * chance_scale]:
                out[r].append(skill)
    return out


def make_pros(rng: np.random.Generator, c: Communes, idx: np.ndarray, n: int):
    where, lat, lon = _place(rng, c, idx, n, 2.0)
    share = np.array([p[1] for p in PROFESSIONS])
    prof = rng.choice(len(PROFESSIONS), n, p=share / share.sum()).astype(np.int16)
    return Pros(
        ids=np.arange(1, n + 1, dtype=np.int64), profession=prof, skills=np.zeros((n, 1), np.uint64),
        lat=np.round(lat, 5), lon=np.round(lon, 5), commune=c.code[where],
        radius_km=rng.choice(RADII, n, p=RADII_P), max_missions=rng.choice(np.arange(1, 9), n,
                                                                            p=[.1, .2, .2, .2, .12, .08, .05, .05]),
        used_missions=np.zeros(n, np.int32),
    ), _skills(rng, prof, 1.0)


def make_availability(rng: np.random.Generator, n: int, per_pro: float) -> Slots:
    """~per_pro slots a month; a third of the days offered are 24-hour blocks (D and N)."""
    days_per_pro = rng.poisson(per_pro / 1.33, n)
    pro = np.repeat(np.arange(n, dtype=np.int32), days_per_pro)
    day = rng.integers(1, HORIZON + 1, len(pro)).astype(np.int16)
    kind = rng.choice(3, len(pro), p=[0.45, 0.22, 0.33])  # D only, N only, both
    rows_d = kind != 1
    rows_n = kind != 0
    pro = np.concatenate([pro[rows_d], pro[rows_n]])
    day = np.concatenate([day[rows_d], day[rows_n]])
    slot = np.concatenate([np.zeros(rows_d.sum(), np.int8), np.ones(rows_n.sum(), np.int8)])
    key = (pro.astype(np.int64) * (HORIZON + 1) + day) * 2 + slot
    _, first = np.unique(key, return_index=True)  # a day drawn twice is declared once
    return Slots(pro[first], day[first], slot[first])


def make_establishments(rng: np.random.Generator, c: Communes, idx: np.ndarray, share: float):
    kinds, lat, lon, where = [], [], [], []
    for name, national, _ in KINDS:
        n = max(1, round(national * share))
        if name == "CHU":  # university hospitals sit in the largest cities of the area
            top = idx[np.argsort(-c.population[idx])[:max(1, n)]]
            w_, la, lo = top, c.lat[top], c.lon[top]
        else:
            w_, la, lo = _place(rng, c, idx, n, 0.5)
        kinds += [name] * len(w_)
        lat.append(la)
        lon.append(lo)
        where.append(w_)
    where = np.concatenate(where)
    n = len(kinds)
    return Establishments(
        ids=np.arange(1, n + 1, dtype=np.int64), kind=np.array(kinds), commune=c.code[where], departement=c.dep[where],
        lat=np.round(np.concatenate(lat), 5), lon=np.round(np.concatenate(lon), 5),
    )


def make_shifts(rng: np.random.Generator, estabs: Establishments, positions_target: int):
    prof_codes = [p[0] for p in PROFESSIONS]
    kind_mix = {name: mix for name, _, mix in KINDS}
    kind_weight = {"CHU": 40.0, "CH": 6.0, "ESPIC": 3.0, "CLINIQUE": 3.0, "EHPAD": 1.0}
    w = np.array([kind_weight[k] for k in estabs.kind])
    n = int(positions_target / 1.5)
    estab = rng.choice(len(estabs.ids), n, p=w / w.sum()).astype(np.int32)
    prof = np.zeros(n, np.int16)
    for kind, mix in kind_mix.items():
        rows = np.flatnonzero(estabs.kind[estab] == kind)
        codes = np.array([prof_codes.index(p) for p in mix])
        pw = np.array(list(mix.values()))
        prof[rows] = codes[rng.choice(len(codes), len(rows), p=pw / pw.sum())]
    required = _skills(rng, prof, 0.35)
    return Shifts(
        ids=np.arange(1, n + 1, dtype=np.int64), estab=estab, profession=prof, required=np.zeros((n, 1), np.uint64),
        day=rng.integers(1, HORIZON + 1, n).astype(np.int16), slot=(rng.random(n) < 0.4).astype(np.int8),
        positions=rng.choice([1, 2, 3], n, p=[0.65, 0.2, 0.15]).astype(np.int32),
        urgency=rng.choice(np.arange(1, 6), n, p=[0.35, 0.25, 0.2, 0.12, 0.08]).astype(np.int8),
        posted_seq=rng.permutation(n).astype(np.int64) + 1,
    ), required


def generate(scale: str, seed: int = 1, area: str | None = None, scarce: bool = False, all_rules: bool = False,
             communes: Communes | None = None, demand: float | None = None) -> Instance:
    """``demand``, when given, sets the positions to that share of the available slots (the
    default mix is about 0.10; ``scarce`` is about 0.5)."""
    rng = np.random.default_rng(seed)
    c = communes or load_communes()
    idx, n_pros, label = select_area(c, scale, area)
    share = n_pros / NATIONAL_PROS
    pros, pro_skills = make_pros(rng, c, idx, n_pros)
    availability = make_availability(rng, n_pros, SLOTS_PER_PRO * (0.5 if scarce else 1.0))
    estabs = make_establishments(rng, c, idx, share)
    positions = NATIONAL_POSITIONS * share * (2.5 if scarce else 1.0)
    if demand is not None:
        positions = demand * len(availability)
    shifts, required = make_shifts(rng, estabs, int(positions))
    vocab = sorted({s for row in pro_skills + required for s in row})
    index = {s: i for i, s in enumerate(vocab)}
    pros = Pros(**{**pros.__dict__, "skills": encode_skills(pro_skills, index, 1)})
    shifts = Shifts(**{**shifts.__dict__, "required": encode_skills(required, index, 1)})
    rules = Rules(rest_night_then_day=True, rest_after_24h=all_rules, max_hours_per_7_days=48.0 if all_rules else None)
    meta = Meta("2025-11-03", HORIZON, 10000.0, rules,
                {"area": label, "generator": f"bench/generate_instance.py seed={seed} scale={scale}"
                 + (" scarce" if scarce else "") + ("" if demand is None else f" demand={demand:g}")})
    return Instance(pros, availability, estabs, shifts, meta, tuple(p[0] for p in PROFESSIONS), tuple(vocab))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["departement", "region", "national"], default="region")
    parser.add_argument("--area", help="département or region code (default 35 / 76)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scarce", action="store_true", help="demand exceeds supply")
    parser.add_argument("--all-rules", action="store_true", help="also rest_after_24h and 48 h / 7 days")
    parser.add_argument("--demand", type=float, help="positions as a share of the available slots")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    inst = generate(args.scale, args.seed, args.area, args.scarce, args.all_rules, demand=args.demand)
    t1 = time.perf_counter()
    write_instance(inst, args.out)
    print(f"{len(inst.pros)} pros, {len(inst.availability)} available slots, {len(inst.establishments)} "
          f"establishments, {len(inst.shifts)} shifts, {int(inst.shifts.positions.sum())} positions "
          f"(generated in {t1 - t0:.1f} s, written in {time.perf_counter() - t1:.1f} s) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
