"""Enforcing ``rest_after_24h`` and ``max_hours_per_7_days`` after the flow.

The flow ignores these two rules, so its optimum is a relaxation: a proven upper bound. The
repair only touches the connected components (of the professional–shift candidate graph)
that contain a violation; everything else stays as the flow left it:

* a component small enough (``exact_arcs``) is re-solved exactly (MIP, SCIP), all rules on;
  its share of the bound is replaced by the proven bound, so the bound gets tighter;
* in a larger component, each offending professional first keeps the best subset of their
  shifts that obeys the rules (exact enumeration over their few shifts); then the offenders'
  neighbourhood is re-optimised exactly with everything else fixed (jointly when small, else
  one offender at a time: their own pairs and every pair into the shifts the flow gave them);
  finally the positions still open are re-filled by rounds of min-cost flow in which each
  professional may take one more shift that keeps their calendar legal (one per round, so two
  new shifts can never conflict with each other).

Components are independent (no shared shift, no shared professional), which is what makes
the per-component bound replacement valid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver import pywraplp
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .candidates import Candidates
from .flow import FlowProblem, solve_flow
from .instance import Instance
from .rules import CalendarBook, column, violating_pros

EXACT_ARCS = 20_000
NEIGHBOURHOOD_ARCS = 30_000
EXHAUSTIVE_SHIFTS = 12
REFILL_ROUNDS = 20


@dataclass
class RepairStats:
    violators: int = 0
    exact_components: int = 0
    exact_optimal: int = 0
    heuristic_components: int = 0
    dropped: int = 0
    refilled: int = 0
    neighbourhoods: int = 0
    neighbourhoods_skipped: int = 0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RepairOutcome:
    chosen: np.ndarray  # bool per candidate
    bound_units: int  # upper bound (units of w) after tightening by exact components
    stats: RepairStats


def repair(instance: Instance, cand: Candidates, w: np.ndarray, chosen: np.ndarray, bound_units: int,
           exact_arcs: int = EXACT_ARCS, neighbourhood_arcs: int = NEIGHBOURHOOD_ARCS,
           time_limit: float = 10.0) -> RepairOutcome:
    """Make ``chosen`` obey every rule; return it with a (possibly tighter) bound."""
    stats = RepairStats()
    s = instance.shifts
    bad = violating_pros(instance, cand.pro[chosen], s.day[cand.shift[chosen]], s.slot[cand.shift[chosen]])
    stats.violators = len(bad)
    if len(bad) == 0:
        return RepairOutcome(chosen, bound_units, stats)
    label = _component_labels(instance, cand)
    affected = np.unique(label[bad])  # label of a pro = label of its candidates
    arc_label = label[cand.pro]
    sizes = np.bincount(arc_label, minlength=label.max() + 1)
    # First make everybody legal (also the starting point given to the MIP as a hint).
    legal, stats.dropped = _drop_to_legal(instance, cand, w, chosen, bad)
    small = affected[sizes[affected] <= exact_arcs]
    large = affected[sizes[affected] > exact_arcs]
    for batch in _batches(small, sizes, exact_arcs):
        idx = np.flatnonzero(np.isin(arc_label, batch))
        relaxed = int(w[idx][chosen[idx]].sum())  # the flow's share of the bound
        sol = solve_exact(instance, cand, w, idx, hint=legal[idx], time_limit=time_limit)
        # Components are independent: their share of the bound becomes the best proven one.
        bound_units += min(sol.bound_units, relaxed) - relaxed
        if sol.objective_units >= int(w[idx][legal[idx]].sum()):
            legal[idx] = sol.chosen
        stats.exact_components += len(batch)
        stats.exact_optimal += len(batch) if sol.optimal else 0
    if len(large):
        stats.heuristic_components = len(large)
        offenders = bad[np.isin(label[bad], large)]
        legal = _neighbourhood_repair(instance, cand, w, legal, chosen, offenders, neighbourhood_arcs, time_limit,
                                      stats)
        legal, stats.refilled = refill(instance, cand, w, legal, np.isin(arc_label, large))
    return RepairOutcome(legal, bound_units, stats)


def _neighbourhood_repair(instance: Instance, cand: Candidates, w: np.ndarray, legal: np.ndarray,
                          flow_chosen: np.ndarray, offenders: np.ndarray, limit: int, time_limit: float,
                          stats: RepairStats) -> np.ndarray:
    """Re-optimise exactly, everything else fixed, the neighbourhood of the offenders: jointly
    (every shift they could work, with every professional able to work one of them) when that
    is small enough, else one offender at a time (their own candidate pairs and every pair
    into the shifts the flow gave them). ``time_limit`` caps the whole loop."""
    deadline = time.perf_counter() + time_limit
    shift_of = cand.shift
    joint = np.isin(shift_of, np.unique(shift_of[np.isin(cand.pro, offenders)]))
    if joint.sum() <= limit:  # offenders that interact are best re-optimised together
        idx = np.flatnonzero(joint)
        sol = solve_exact(instance, cand, w, idx, hint=legal[idx], fixed=legal & ~joint, time_limit=time_limit)
        if sol.objective_units >= int(w[idx][legal[idx]].sum()):
            legal[idx] = sol.chosen
        stats.neighbourhoods += 1
        return legal
    for p in offenders.tolist():
        left = deadline - time.perf_counter()
        if left <= 0:
            stats.neighbourhoods_skipped += 1
            continue
        mine = cand.pro == p
        # The shifts the flow gave them (anyone eligible may take a freed position) and every
        # shift they could work instead: small, so each solve takes a fraction of a second.
        in_scope = np.isin(shift_of, shift_of[mine & flow_chosen]) | mine
        idx = np.flatnonzero(in_scope)
        if len(idx) > limit:
            stats.neighbourhoods_skipped += 1
            continue
        sol = solve_exact(instance, cand, w, idx, hint=legal[idx], fixed=legal & ~in_scope, time_limit=left)
        if sol.objective_units >= int(w[idx][legal[idx]].sum()):
            legal[idx] = sol.chosen
        stats.neighbourhoods += 1
    return legal


def _component_labels(instance: Instance, cand: Candidates) -> np.ndarray:
    """Component label of every pro (0..n_pros-1) and shift (n_pros..): one graph node each."""
    n_p, n_s = len(instance.pros), len(instance.shifts)
    n = n_p + n_s
    graph = coo_matrix((np.ones(len(cand), np.int8), (cand.pro, n_p + cand.shift.astype(np.int64))), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    return label


def _batches(comps: np.ndarray, sizes: np.ndarray, limit: int) -> list[np.ndarray]:
    """Group small components into models of at most ``limit`` arcs (fewer solver calls)."""
    out, current, total = [], [], 0
    for c in comps[np.argsort(sizes[comps])]:
        if current and total + sizes[c] > limit:
            out.append(np.array(current))
            current, total = [], 0
        current.append(c)
        total += sizes[c]
    if current:
        out.append(np.array(current))
    return out


# --------------------------------------------------------------------------------------------
# Exact model over a set of candidates (all rules)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactSolution:
    chosen: np.ndarray  # bool per index given
    objective_units: int
    bound_units: int
    optimal: bool


def solve_exact(instance: Instance, cand: Candidates, w: np.ndarray, idx: np.ndarray, hint: np.ndarray | None = None,
                fixed: np.ndarray | None = None, time_limit: float = 10.0) -> ExactSolution:
    """Maximise sum(w) over candidates ``idx`` under every constraint (MIP solved by SCIP).

    ``fixed`` (bool per candidate) are assignments kept as they are: they take their slot, count
    in the calendars and caps of the model's professionals and fill their shifts' positions.
    Without it ``idx`` must cover whole components (all candidates of its pros and shifts). A MIP rather than CP-SAT: the model is a flow plus a
    few side constraints, its LP relaxation is nearly integral, and LP bounds close the gap
    at once where CP-SAT's bound stalls on objective coefficients of order 1e10.
    """
    solver = pywraplp.Solver.CreateSolver("SCIP")
    x = [solver.BoolVar(f"x{i}") for i in range(len(idx))]
    pro, shift = cand.pro[idx], cand.shift[idx]
    col = column(instance.shifts.day[shift].astype(np.int64), instance.shifts.slot[shift]).astype(np.int64)
    book = CalendarBook(instance)
    remaining = instance.pros.remaining_missions.astype(np.int64)
    positions = instance.shifts.positions.astype(np.int64)
    if fixed is not None:
        kept = np.flatnonzero(fixed)
        kept = kept[~np.isin(kept, idx)]
        remaining = remaining - np.bincount(cand.pro[kept], minlength=len(remaining))
        positions = positions - np.bincount(cand.shift[kept], minlength=len(positions))
        kept = kept[np.isin(cand.pro[kept], pro)]
        kcol = column(instance.shifts.day[cand.shift[kept]].astype(np.int64), instance.shifts.slot[cand.shift[kept]])
        for p_, c_ in zip(cand.pro[kept].tolist(), kcol.tolist(), strict=True):
            book.add(p_, c_)
    for s_, members in _groups(shift):
        solver.Add(solver.Sum([x[i] for i in members]) <= max(int(positions[s_]), 0))
    for p, members in _groups(pro):
        solver.Add(solver.Sum([x[i] for i in members]) <= max(int(remaining[p]), 0))
        _calendar_constraints(solver, instance, book.masks[p], {i: int(col[i]) for i in members}, x)
    objective = solver.Objective()
    for i, g in enumerate(idx):
        objective.SetCoefficient(x[i], float(w[g]))
    objective.SetMaximization()
    if hint is not None:
        solver.SetHint(x, [float(v) for v in hint])
    solver.SetTimeLimit(int(time_limit * 1000))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    status = solver.Solve(params)
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        raise RuntimeError(f"the exact repair model found no solution (status {status})")
    chosen = np.array([v.solution_value() > 0.5 for v in x], bool)
    value = int(w[idx][chosen].sum())
    optimal = status == pywraplp.Solver.OPTIMAL
    # The objective is integral: a float bound within 1 of an integer is rounded down safely.
    bound = value if optimal else int(np.floor(objective.BestBound() + 1.0))
    return ExactSolution(chosen, value, max(bound, value), optimal)


def _groups(values: np.ndarray):
    order = np.argsort(values, kind="stable")
    cuts = np.flatnonzero(np.diff(values[order])) + 1
    for members in np.split(order, cuts):
        if len(members):
            yield int(values[members[0]]), members.tolist()


def _calendar_constraints(solver: pywraplp.Solver, instance: Instance, booked_mask: int,
                          col_of: dict[int, int], x: list) -> None:
    """One professional: one shift per slot, rest rules, 7-day budget (booked slots count)."""
    rules = instance.rules
    by_col: dict[int, list] = {}
    for i, c in col_of.items():
        by_col.setdefault(c, []).append(x[i])

    def term(c: int) -> tuple[list, int]:
        return by_col.get(c, []), booked_mask >> c & 1 if c >= 0 else 0

    def at_most(cols: list[int], limit: int) -> None:
        lits, const = [], 0
        for c in cols:
            v, b = term(c)
            lits += v
            const += b
        if lits and len(lits) + const > limit:
            # max(.., 0): a pattern already broken by booked missions alone takes no new slot.
            solver.Add(solver.Sum(lits) <= max(limit - const, 0))

    for c in by_col:
        at_most([c], 1)
    days = sorted({c >> 1 for c in by_col})
    if rules.rest_night_then_day:
        for d in days:
            at_most([2 * d - 1, 2 * d], 1)
            at_most([2 * d + 1, 2 * d + 2], 1)
    if rules.rest_after_24h:
        for e in sorted({e for d in days for e in (d - 1, d)}):
            at_most([2 * e, 2 * e + 1, 2 * e + 2], 2)
            at_most([2 * e, 2 * e + 1, 2 * e + 3], 2)
    limit = rules.max_slots_per_7_days
    if limit is not None:
        for first in sorted({f for d in days for f in range(d - 6, d + 1)}):
            at_most(list(range(2 * first, 2 * first + 14)), limit)


# --------------------------------------------------------------------------------------------
# Large components: drop to a legal subset, then re-fill
# --------------------------------------------------------------------------------------------


def _drop_to_legal(instance: Instance, cand: Candidates, w: np.ndarray, chosen: np.ndarray,
                   offenders: np.ndarray) -> tuple[np.ndarray, int]:
    """Each offender keeps the most valuable legal subset of their assigned shifts."""
    chosen = chosen.copy()
    book = CalendarBook(instance)
    s = instance.shifts
    mine = np.flatnonzero(chosen & np.isin(cand.pro, offenders))
    dropped = 0
    for p, members in _groups(cand.pro[mine]):
        arcs = mine[members]
        cols = column(s.day[cand.shift[arcs]].astype(np.int64), s.slot[cand.shift[arcs]]).tolist()
        keep = _best_legal_subset(book, p, arcs.tolist(), cols, w)
        for a in arcs:
            if a not in keep:
                chosen[a] = False
                dropped += 1
    return chosen, dropped


def _best_legal_subset(book: CalendarBook, p: int, arcs: list[int], cols: list[int], w: np.ndarray) -> set[int]:
    order = sorted(range(len(arcs)), key=lambda i: -int(w[arcs[i]]))
    if len(arcs) > EXHAUSTIVE_SHIFTS:
        keep = set()
        for i in order:  # greedy by value
            if book.can_add(p, cols[i]):
                book.add(p, cols[i])
                keep.add(arcs[i])
        return keep
    best: tuple[int, list[int]] = (-1, [])

    def dfs(k: int, value: int, taken: list[int]) -> None:
        nonlocal best
        if value > best[0]:
            best = (value, list(taken))
        if k == len(order):
            return
        rest = sum(int(w[arcs[i]]) for i in order[k:])
        if value + rest <= best[0]:
            return  # cannot beat the best even by taking everything left
        i = order[k]
        if book.can_add(p, cols[i]):
            book.add(p, cols[i])
            taken.append(arcs[i])
            dfs(k + 1, value + int(w[arcs[i]]), taken)
            taken.pop()
            book.remove(p, cols[i])
        dfs(k + 1, value, taken)

    dfs(0, 0, [])
    return set(best[1])


def refill(instance: Instance, cand: Candidates, w: np.ndarray, chosen: np.ndarray,
           scope: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Fill open positions with legal extra shifts, one per professional per round."""
    chosen = chosen.copy()
    s = instance.shifts
    col = column(s.day[cand.shift].astype(np.int64), s.slot[cand.shift]).astype(np.int64)
    book = CalendarBook(instance)
    for a in np.flatnonzero(chosen):
        book.add(int(cand.pro[a]), int(col[a]))
    added = 0
    for _ in range(REFILL_ROUNDS):
        room = s.positions - np.bincount(cand.shift[chosen], minlength=len(s))
        left = instance.pros.remaining_missions - np.bincount(cand.pro[chosen], minlength=len(instance.pros))
        open_ = ~chosen & (room[cand.shift] > 0) & (left[cand.pro] > 0)
        if scope is not None:
            open_ &= scope
        idx = np.flatnonzero(open_)
        legal = np.array([book.can_add(int(cand.pro[a]), int(col[a])) for a in idx], bool)
        idx = idx[legal] if len(idx) else idx
        if len(idx) == 0:
            break
        sol = solve_flow(FlowProblem(cand.subset(idx), s.urgency[cand.shift[idx]], np.ones(len(instance.pros), np.int64),
                                     room, instance.meta.big, pair_slots=False, fairness=False))
        new = idx[sol.chosen]
        if len(new) == 0:
            break
        chosen[new] = True
        for a in new:
            book.add(int(cand.pro[a]), int(col[a]))
        added += len(new)
    return chosen, added
