"""``solve(instance) -> Result``: candidates, exact flow, repair of the extra rules, report.

Under the base rules (and ``rest_night_then_day``) the flow optimum is the exact optimum of
FORMAT.md's objective (up to the km resolution 1/S, a millimetre unless the instance is huge:
see ``flow.py``). With ``rest_after_24h`` or ``max_hours_per_7_days`` on, the flow is a
relaxation: its value is the upper bound, ``repair.py`` makes the assignment legal, and the
result reports ``gap = (upper_bound - objective) / upper_bound``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .candidates import Candidates, build_candidates
from .flow import MAX_UNITS_PER_KM, FlowProblem, arc_weights, solve_flow
from .instance import Assignment, Instance
from .repair import EXACT_ARCS, NEIGHBOURHOOD_ARCS, repair

# Candidate pairs per flow batch. Components are only packed together while small: the flow's
# time grows faster than its size (one 1.0 M-pair flow over every profession of a region took
# 9.9 s, the same pairs as one flow per component 5.9 s), so large components go alone.
BATCH_ARCS = 50_000


@dataclass(frozen=True)
class Result:
    """An assignment and what it is worth.

    ``objective`` = sum(BIG * urgency - km) over ``assignment``; ``upper_bound`` is a proven
    bound on the optimum (the flow relaxation, tightened where components were solved exactly);
    ``gap`` = (upper_bound - objective) / upper_bound. ``units_per_km`` is the integer
    resolution the flow used.
    """

    assignment: Assignment
    objective: float
    filled: int
    urgency_filled: int
    km_total: float
    upper_bound: float
    gap: float
    positions_total: int
    urgency_total: int
    method: str
    units_per_km: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "method": self.method,
            "filled": self.filled,
            "positions_total": self.positions_total,
            "urgency_filled": self.urgency_filled,
            "urgency_total": self.urgency_total,
            "km": round(self.km_total, 3),
            "objective": round(self.objective, 3),
            "upper_bound": None if np.isnan(self.upper_bound) else round(self.upper_bound, 3),
            "gap": None if np.isnan(self.gap) else self.gap,
            "units_per_km": self.units_per_km,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "counts": self.counts,
        }


def solve(instance: Instance, *, fairness: bool = True, candidates: Candidates | None = None,
          exact_arcs: int = EXACT_ARCS,
          neighbourhood_arcs: int = NEIGHBOURHOOD_ARCS, repair_time_limit: float = 10.0, progress: bool = False,
          batch_arcs: int = BATCH_ARCS) -> Result:
    """Optimal (base rules) or repaired-with-bound (extra rules) assignment of ``instance``.

    ``exact_arcs``: components with a rule violation up to this many candidate pairs are
    re-solved exactly (MIP); larger ones get per-offender exact neighbourhoods of up to
    ``neighbourhood_arcs`` pairs within ``repair_time_limit`` seconds, then a re-fill.
    ``fairness`` adds the convex tie-break that spreads missions over more professionals
    without ever lowering the objective. ``batch_arcs``: components are packed into one flow up
    to this many candidate pairs (the optimum does not depend on it). Booked missions (``instance.booked``) and
    ``pros.used_missions`` are honoured: see :mod:`missions.matching.instance`.
    """
    timings: dict[str, float] = {}
    t0, cpu0 = time.perf_counter(), time.process_time()
    cand = candidates if candidates is not None else build_candidates(instance, progress=progress)
    timings["candidates"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    s = instance.shifts
    urgency = s.urgency[cand.shift].astype(np.int64)
    flow = _solve_in_batches(instance, cand, urgency, fairness, progress, batch_arcs)
    timings["flow"] = time.perf_counter() - t1
    chosen, bound_units = flow.chosen, flow.main_units
    counts = {"pros": len(instance.pros), "shifts": len(s), "candidates": len(cand), "nodes": flow.nodes,
              "arcs": flow.arcs, "flow_batches": flow.batches}

    method = "flow"
    if instance.rules.needs_repair:
        t2 = time.perf_counter()
        w = arc_weights(cand.km, urgency, instance.meta.big, flow.units_per_km)
        outcome = repair(instance, cand, w, chosen, bound_units, exact_arcs, neighbourhood_arcs, repair_time_limit)
        chosen, bound_units = outcome.chosen, outcome.bound_units
        timings["repair"] = time.perf_counter() - t2
        st = outcome.stats
        counts |= {"violators": st.violators, "exact_components": st.exact_components,
                   "exact_optimal": st.exact_optimal, "heuristic_components": st.heuristic_components,
                   "dropped": st.dropped, "refilled": st.refilled, "neighbourhoods": st.neighbourhoods,
                   "neighbourhoods_skipped": st.neighbourhoods_skipped}
        method = "flow+repair"
    timings["total"] = time.perf_counter() - t0
    timings["cpu_total"] = time.process_time() - cpu0  # wall time suffers on a shared machine
    assignment = assignment_from(instance, cand, chosen)
    return make_result(instance, assignment, bound_units / flow.units_per_km, method, flow.units_per_km,
                       timings, counts)


@dataclass(frozen=True)
class _BatchedFlow:
    chosen: np.ndarray
    main_units: int  # in units of 1/units_per_km km
    units_per_km: int
    nodes: int  # of the largest batch
    arcs: int
    batches: int


def _solve_in_batches(instance: Instance, cand: Candidates, urgency: np.ndarray, fairness: bool,
                      progress: bool, batch_arcs: int) -> _BatchedFlow:
    """One flow per batch of connected components of the candidate graph: smaller networks use
    less memory and time, and the optimum of the whole is the union of the optima.

    Why that is exact: two components share no professional and no shift, and every constraint
    of the flow (a professional's remaining missions, a shift's positions, one shift per rest
    group of a professional) involves one professional or one shift, so the feasible set is the
    product of the components' feasible sets and the objective is a sum over components. A pair
    links a professional to a shift of their own profession, so a component never spans two
    professions: this is at least as fine as one flow per profession. No rule couples two
    professionals either (the extra rules are per calendar), so it holds under every rule set."""
    chosen = np.zeros(len(cand), bool)
    parts: list[tuple[int, int]] = []
    nodes = arcs = 0
    batches = component_batches(instance, cand, batch_arcs)
    iterator = batches
    if progress and len(batches) > 1:
        from tqdm import tqdm  # not a cycle: the progress bar is optional, loaded only when asked for

        iterator = tqdm(batches, desc="flow", unit="batch", leave=False)
    for idx in iterator:
        problem = FlowProblem(cand.subset(idx), urgency[idx], instance.pros.remaining_missions,
                              instance.shifts.positions, instance.meta.big,
                              pair_slots=instance.rules.rest_night_then_day, fairness=fairness)
        sol = solve_flow(problem)
        chosen[idx] = sol.chosen
        parts.append((sol.main_units, sol.units_per_km))
        nodes, arcs = max(nodes, sol.nodes), max(arcs, sol.arcs)
    units = min((u for _, u in parts), default=MAX_UNITS_PER_KM)
    # Batches may use different resolutions (powers of ten): convert to the coarsest, rounding
    # up so the sum stays an upper bound.
    main = sum(-(-m * units // u) for m, u in parts)
    return _BatchedFlow(chosen, main, units, nodes, arcs, len(batches))


def component_batches(instance: Instance, cand: Candidates, max_arcs: int) -> list[np.ndarray]:
    """Sorted candidate indices grouped by connected component, packed up to ``max_arcs``."""
    if len(cand) == 0:
        return []
    n_p = len(instance.pros)
    n = n_p + len(instance.shifts)
    graph = coo_matrix((np.ones(len(cand), np.int8), (cand.pro, n_p + cand.shift.astype(np.int64))), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    arc_label = label[cand.pro]
    order = np.argsort(arc_label, kind="stable")
    cuts = np.flatnonzero(np.diff(arc_label[order])) + 1
    out, current, size = [], [], 0
    for comp in np.split(order, cuts):
        if current and size + len(comp) > max_arcs:
            out.append(np.sort(np.concatenate(current)))
            current, size = [], 0
        current.append(comp)
        size += len(comp)
    out.append(np.sort(np.concatenate(current)))
    return out


def assignment_from(instance: Instance, cand: Candidates, chosen: np.ndarray) -> Assignment:
    """Turn chosen candidates into numbered positions (nearest professional gets position 1)."""
    idx = np.flatnonzero(chosen)
    shift, pro, km = cand.shift[idx], cand.pro[idx], cand.km[idx]
    order = np.lexsort((instance.pros.ids[pro], km, shift))
    shift, pro, km = shift[order], pro[order], km[order]
    first = np.r_[True, shift[1:] != shift[:-1]] if len(shift) else np.zeros(0, bool)
    start = np.maximum.accumulate(np.where(first, np.arange(len(shift)), 0)) if len(shift) else first
    position = (np.arange(len(shift)) - start + 1).astype(np.int32)
    return Assignment(shift.astype(np.int32), position, pro.astype(np.int32), km.astype(np.float64))


def make_result(instance: Instance, a: Assignment, upper_bound: float, method: str, units_per_km: int = 0,
                timings: dict[str, float] | None = None, counts: dict[str, int] | None = None) -> Result:
    s = instance.shifts
    urgency_filled = int(s.urgency[a.shift].astype(np.int64).sum())
    km_total = float(a.km.sum())
    objective = instance.meta.big * urgency_filled - km_total
    if np.isnan(upper_bound):
        gap = float("nan")  # a heuristic without a bound (first-come)
    else:
        gap = max((upper_bound - objective) / upper_bound, 0.0) if upper_bound > 0 else 0.0
    counts = dict(counts or {})
    counts["pros_used"] = len(np.unique(a.pro))
    return Result(
        assignment=a, objective=objective, filled=len(a), urgency_filled=urgency_filled, km_total=km_total,
        upper_bound=upper_bound, gap=gap,
        positions_total=int(s.positions.sum()),
        urgency_total=int((s.positions.astype(np.int64) * s.urgency).sum()), method=method,
        units_per_km=units_per_km, timings=timings or {}, counts=counts,
    )
