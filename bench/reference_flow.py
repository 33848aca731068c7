"""The yardstick of the matching command's pace: a plain exact min-cost-flow script.

It reads an instance folder (docs/matching.md, FORMAT), builds the candidate pairs itself
(pandas joins on profession, day and slot, then the travel radius and the skills) and solves
one OR-Tools ``SimpleMinCostFlow`` per profession. It shares no code with the engine on
purpose: it is the independent, straightforward way to solve the same problem, so the engine
has to be at least as fast to earn its extra machinery. Only the base rules and
``rest_night_then_day`` (both exact in a flow) are supported, without ``booked.csv``.

    python bench/reference_flow.py /tmp/vh-region --out /tmp/reference.csv
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow

EARTH_KM = 6371.0088  # FORMAT's radius (IUGG mean)
UNITS_PER_KM = 10**6  # costs in millimetres, as the engine
CHUNK_PAIRS = 4_000_000


def read_folder(folder: Path) -> dict:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    rules = {"rest_night_then_day": True, "rest_after_24h": False, "max_hours_per_7_days": None,
             **meta.get("rules", {})}
    if rules["rest_after_24h"] or rules["max_hours_per_7_days"] is not None or (folder / "booked.csv").exists():
        raise SystemExit("reference_flow: only the base rules and rest_night_then_day, without booked.csv")
    pros = pd.read_csv(folder / "pros.csv", dtype={"pro_id": np.int64, "profession": str, "skills": str,
                                                   "lat": np.float64, "lon": np.float64, "radius_km": np.float64,
                                                   "max_missions": np.int64},
                       usecols=lambda c: c in {"pro_id", "profession", "skills", "lat", "lon", "radius_km",
                                               "max_missions", "used_missions"}, keep_default_na=False)
    avail = pd.read_csv(folder / "availability.csv", dtype={"pro_id": np.int64, "day": np.int64, "slot": str})
    estabs = pd.read_csv(folder / "establishments.csv", usecols=["estab_id", "lat", "lon"],
                         dtype={"estab_id": np.int64, "lat": np.float64, "lon": np.float64})
    shifts = pd.read_csv(folder / "shifts.csv", usecols=["shift_id", "estab_id", "profession", "required_skills",
                                                         "day", "slot", "positions", "urgency"],
                         dtype={"shift_id": np.int64, "estab_id": np.int64, "profession": str,
                                "required_skills": str, "day": np.int64, "slot": str, "positions": np.int64,
                                "urgency": np.int64}, keep_default_na=False)
    return {"big": float(meta["BIG_km_per_urgency"]), "rules": rules, "pros": pros, "avail": avail,
            "estabs": estabs, "shifts": shifts}


def skill_masks(pros: pd.Series, shifts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Skills as uint64 bit masks (up to 64 distinct skills, plenty for the generated instances)."""
    vocab: dict[str, int] = {}

    def mask(text: str) -> int:
        bits = 0
        for token in text.split("|"):
            token = token.strip()
            if token:
                bits |= 1 << vocab.setdefault(token, len(vocab))
        return bits

    p = [mask(t) for t in pros]
    s = [mask(t) for t in shifts]
    if len(vocab) > 64:
        raise SystemExit("reference_flow: more than 64 distinct skills")
    return np.array(p, dtype=np.uint64), np.array(s, dtype=np.uint64)


def prepared(d: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Availability rows with their professional's data, shifts with their establishment's."""
    pros, shifts = d["pros"].copy(), d["shifts"].copy()
    pros["mask"], shifts["mask"] = skill_masks(pros["skills"], shifts["required_skills"])
    pros["pro"] = np.arange(len(pros))
    shifts["shift"] = np.arange(len(shifts))
    shifts = shifts.merge(d["estabs"].rename(columns={"lat": "e_lat", "lon": "e_lon"}), on="estab_id")
    avail = d["avail"].merge(pros[["pro_id", "pro", "profession", "lat", "lon", "radius_km", "mask"]], on="pro_id")
    for frame in (avail, shifts):
        frame["t"] = 2 * (frame["day"] - 1) + (frame["slot"] == "N")
    return avail, shifts


def candidates(avail: pd.DataFrame, shifts: pd.DataFrame) -> pd.DataFrame:
    """Every (availability row, shift) of the same half-day (the caller splits by profession)
    within the professional's radius, the professional holding every required skill.

    Shifts are sorted by (half-day, latitude) so each availability row only meets the shifts of
    its half-day inside its latitude band (a great-circle distance is at least the latitude
    difference times R·π/180, so the band loses no pair); the haversine decides the rest.
    """
    km_per_degree = EARTH_KM * np.pi / 180
    key = shifts["t"].to_numpy() * 1000.0 + shifts["e_lat"].to_numpy() + 90  # latitude + 90 < 1000
    shifts = shifts.iloc[np.argsort(key, kind="stable")]
    s_key = np.sort(key)
    band = avail["radius_km"].to_numpy() / km_per_degree * (1 + 1e-9) + 1e-9
    a_key = avail["t"].to_numpy() * 1000.0 + avail["lat"].to_numpy() + 90
    lo, hi = np.searchsorted(s_key, a_key - band, "left"), np.searchsorted(s_key, a_key + band, "right")
    count = hi - lo
    # Pairs are examined a few million at a time: the national instance meets ~10⁸ in the bands.
    ends = np.searchsorted(np.cumsum(count), np.arange(CHUNK_PAIRS, count.sum() + CHUNK_PAIRS, CHUNK_PAIRS), "right")
    parts, first = [], 0
    for last in np.unique(np.r_[ends, len(avail)]):
        if last > first:
            parts.append(_pairs(avail, shifts, np.arange(first, last), lo[first:last], count[first:last]))
        first = last
    if not parts:
        return pd.DataFrame({"pro": [], "shift": [], "t": [], "km": []})
    return pd.concat(parts, ignore_index=True)


def _pairs(avail: pd.DataFrame, shifts: pd.DataFrame, rows: np.ndarray, lo: np.ndarray,
           count: np.ndarray) -> pd.DataFrame:
    a_row = np.repeat(rows, count)
    s_row = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(count.sum())
    lat, lon = avail["lat"].to_numpy()[a_row], avail["lon"].to_numpy()[a_row]
    e_lat, e_lon = shifts["e_lat"].to_numpy()[s_row], shifts["e_lon"].to_numpy()[s_row]
    phi1, phi2 = np.radians(lat), np.radians(e_lat)
    h = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(e_lon - lon) / 2) ** 2
    km = 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    ok = km <= avail["radius_km"].to_numpy()[a_row]
    ok &= (shifts["mask"].to_numpy()[s_row] & ~avail["mask"].to_numpy()[a_row]) == 0
    return pd.DataFrame({"pro": avail["pro"].to_numpy()[a_row[ok]], "shift": shifts["shift"].to_numpy()[s_row[ok]],
                         "t": shifts["t"].to_numpy()[s_row[ok]], "km": km[ok]})


def solve_profession(pairs: pd.DataFrame, cap: np.ndarray, positions: np.ndarray, urgency: np.ndarray,
                     big: float, pair_slots: bool) -> np.ndarray:
    """Exact min-cost flow for one profession; returns the chosen rows of ``pairs``."""
    pro, shift, t = pairs["pro"].to_numpy(), pairs["shift"].to_numpy(), pairs["t"].to_numpy()
    # One rest node per (professional, group) where a group is a slot, or with the rest rule the
    # pair {N(d), D(d+1)}: at most one shift per group is exactly the rule.
    group = (t + 1) // 2 if pair_slots else t
    pros_u = np.unique(pro)
    shifts_u, shift_i = np.unique(shift, return_inverse=True)
    width = int(group.max()) + 1
    groups_u, group_i = np.unique(pro.astype(np.int64) * width + group, return_inverse=True)
    source, sink = 0, 1
    pro_node = 2 + np.arange(len(pros_u))
    group_node = 2 + len(pros_u) + np.arange(len(groups_u))
    shift_node = 2 + len(pros_u) + len(groups_u) + np.arange(len(shifts_u))
    n_nodes = 2 + len(pros_u) + len(groups_u) + len(shifts_u)
    w = (round(big * UNITS_PER_KM) * urgency[shift] - np.floor(pairs["km"].to_numpy() * UNITS_PER_KM)).astype(np.int64)
    group_pro = np.searchsorted(pros_u, groups_u // width)
    supply = int(cap[pros_u].sum())
    tails = np.concatenate([group_node[group_i], np.full(len(pros_u), source), pro_node[group_pro],
                            shift_node, [source]])
    heads = np.concatenate([shift_node[shift_i], pro_node, group_node, np.full(len(shifts_u), sink), [sink]])
    caps = np.concatenate([np.ones(len(pairs)), cap[pros_u], np.ones(len(groups_u)), positions[shifts_u], [supply]])
    costs = np.concatenate([-w, np.zeros(len(pros_u) + len(groups_u) + len(shifts_u) + 1)])
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32),
                                             caps.astype(np.int64), costs.astype(np.int64))
    supplies = np.zeros(n_nodes, np.int64)
    supplies[source], supplies[sink] = supply, -supply
    mcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
    if mcf.solve() != mcf.OPTIMAL:
        raise SystemExit("reference_flow: the min-cost flow is not optimal")
    return mcf.flows(np.arange(len(pairs), dtype=np.int32)) > 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    d = read_folder(args.folder)
    pros, shifts = d["pros"], d["shifts"]
    used = pros["used_missions"].to_numpy() if "used_missions" in pros else 0
    cap = np.maximum(pros["max_missions"].to_numpy() - used, 0)
    positions, urgency = shifts["positions"].to_numpy(), shifts["urgency"].to_numpy()
    avail, shifts_e = prepared(d)
    t1 = time.perf_counter()
    chosen, n_pairs, t_cand = [], 0, 0.0
    for profession, a_part in avail.groupby("profession", sort=False):
        tc = time.perf_counter()
        pairs = candidates(a_part, shifts_e[shifts_e["profession"] == profession])
        t_cand += time.perf_counter() - tc
        n_pairs += len(pairs)
        if len(pairs):
            chosen.append(pairs[solve_profession(pairs, cap, positions, urgency, d["big"],
                                                 d["rules"]["rest_night_then_day"])])
    t3 = time.perf_counter()
    t2 = t1 + t_cand
    out = pd.concat(chosen) if chosen else pd.DataFrame({"pro": [], "shift": [], "t": [], "km": []}, dtype=np.int64)
    out = out.assign(shift_id=shifts["shift_id"].to_numpy()[out["shift"].to_numpy()],
                     pro_id=pros["pro_id"].to_numpy()[out["pro"].to_numpy()])
    out = out.sort_values(["shift_id", "km", "pro_id"])
    out["position"] = out.groupby("shift_id").cumcount() + 1
    out[["shift_id", "position", "pro_id", "km"]].to_csv(args.out, index=False, float_format="%.3f")
    objective = d["big"] * float(urgency[out["shift"].to_numpy()].sum()) - float(out["km"].sum())
    print(json.dumps({"filled": len(out), "objective": round(objective, 6), "candidates": n_pairs,
                      "rules": d["rules"], "timings": {"read": round(t1 - t0, 3), "candidates": round(t_cand, 3),
                                                       "flow": round(t3 - t2, 3),
                                                       "write": round(time.perf_counter() - t3, 3)}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
