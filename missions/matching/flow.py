"""The min-cost flow core (OR-Tools ``SimpleMinCostFlow``).

Network (one unit of flow = one filled position)::

    source ──(cap 1, fairness cost k-1 for the k-th unit)──> pro p          (c_p parallel arcs)
    pro p ──(cap 1)──> rest node (p, {N(d), D(d+1)})                         (one per pair)
    rest node ──(cap 1, cost -F*w(p,s))──> shift s ──(cap positions)──> sink
    source ──(cap ∞, cost 0)──> sink                                         (the bypass)

Why the rest nodes make the flow exact under ``rest_night_then_day``: the only conflicts among
one professional's slots are "same slot" and "N(d) with D(d+1)". With half-day index t
(D(1)=0, N(1)=1, D(2)=2 …) the pairs {N(d), D(d+1)} = {2d-1, 2d} partition the slots into
disjoint groups (singletons D(1) and N(horizon) at the ends) inside which at most one shift is
allowed, and no conflict crosses two groups. So "at most one unit through each rest node" is
exactly the rule, and every integral flow is a feasible assignment and vice versa. Without the
rule the groups are the single slots.

Costs are integers: ``w = round(BIG*S)*urgency - floor(km*S)`` with S units per km. Flooring
km means ``w/S >= BIG*urgency - km`` for every pair, so the flow optimum divided by S is a
valid upper bound on the true objective, and it differs from the real value of the same
solution by less than one unit per assignment.

Fairness (convex cost k-1 on the k-th unit a professional receives) never changes the main
objective. The main cost is multiplied by F = c_max (largest number of units one professional
can receive, so the largest fairness marginal is F-1). If a flow f' had a better main cost
than the combined optimum f*, f' - f* would decompose into simple cycles of the residual
network of f*, one of them (gamma) with main cost <= -1 unit. A simple cycle passes through the
source at most once, so it uses at most one forward source arc (fairness <= F-1) and one
backward one (fairness <= 0): its combined cost is <= -F + F - 1 < 0, contradicting the
optimality of f*. Hence the combined optimum is main-optimal and, among main-optimal flows,
has the least convex fairness cost (missions spread over more professionals).

Overflow: OR-Tools multiplies costs by (nodes + 1) and refuses |cost| > INT64_MAX / (2 (n+1));
S is the largest power of ten (at most 1e6, i.e. millimetres) that keeps
F * BIG * 5 * S under that limit with a safety margin for node potentials.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from .candidates import Candidates

INT64_MAX = np.iinfo(np.int64).max
POTENTIAL_SAFETY = 16
MAX_UNITS_PER_KM = 10**6


class FlowError(RuntimeError):
    """OR-Tools did not return an optimal flow (should not happen on valid inputs)."""


@dataclass(frozen=True)
class FlowProblem:
    """A flow over a subset of candidates, with the capacities left on each side."""

    cand: Candidates
    urgency: np.ndarray  # int per candidate
    pro_cap: np.ndarray  # int per pro (whole instance), units a pro may still take
    shift_room: np.ndarray  # int per shift (whole instance), positions still open
    big: float
    pair_slots: bool  # True: rest nodes {N(d), D(d+1)}; False: one node per slot
    fairness: bool = True


@dataclass(frozen=True)
class FlowSolution:
    chosen: np.ndarray  # bool per candidate of the problem
    main_units: int  # sum of w over chosen candidates (integer objective, units of 1/S km)
    units_per_km: int
    fairness_weight: int
    nodes: int
    arcs: int


def group_key(t: np.ndarray, pair_slots: bool) -> np.ndarray:
    """Rest-node key of a half-day index: {N(d), D(d+1)} share ((t+1)//2) when pairing."""
    t = t.astype(np.int64)
    return (t + 1) // 2 if pair_slots else t


def choose_units_per_km(n_nodes: int, big: float, max_urgency: int, fairness_weight: int) -> int:
    """Largest power of ten S <= 1e6 keeping every scaled arc cost inside OR-Tools' range."""
    limit = INT64_MAX // (2 * (n_nodes + 2)) // POTENTIAL_SAFETY
    per_unit = (big * max_urgency + 1) * fairness_weight
    s = MAX_UNITS_PER_KM
    while s > 1 and per_unit * s > limit:
        s //= 10
    return s


def arc_weights(km: np.ndarray, urgency: np.ndarray, big: float, units_per_km: int) -> np.ndarray:
    """Integer value of each pair: ceil(BIG*S)*u - floor(km*S) >= S * (BIG*u - km)."""
    big_units = int(np.ceil(big * units_per_km - 1e-9))
    return big_units * urgency.astype(np.int64) - np.floor(km * units_per_km).astype(np.int64)


def solve_flow(problem: FlowProblem) -> FlowSolution:
    """Exact min-cost flow over the problem's candidates (see the module docstring)."""
    c = problem.cand
    if len(c) == 0:
        return FlowSolution(np.zeros(0, bool), 0, MAX_UNITS_PER_KM, 1, 0, 0)
    net = _Network.build(problem)
    s = choose_units_per_km(net.n_nodes, problem.big, int(problem.urgency.max()), net.fairness_weight)
    w = arc_weights(c.km, problem.urgency, problem.big, s)
    flows = net.solve(-w * net.fairness_weight)
    chosen = flows > 0
    return FlowSolution(chosen, int(w[chosen].sum()), s, net.fairness_weight, net.n_nodes, net.n_arcs)


@dataclass
class _Network:
    """Node numbering and the fixed (cost-free) arcs; candidate arcs are added at solve time."""

    n_nodes: int
    tails: list[np.ndarray]
    heads: list[np.ndarray]
    caps: list[np.ndarray]
    costs: list[np.ndarray]
    cand_tail: np.ndarray  # node each candidate arc leaves (rest node or pro)
    cand_head: np.ndarray  # shift node
    supply: int
    fairness_weight: int

    @property
    def n_arcs(self) -> int:
        return sum(len(t) for t in self.tails) + len(self.cand_tail)

    @classmethod
    def build(cls, problem: FlowProblem) -> _Network:
        c = problem.cand
        source, sink = 0, 1
        pros, pro_of_cand = np.unique(c.pro, return_inverse=True)
        shifts, shift_of_cand = np.unique(c.shift, return_inverse=True)
        pro_node0 = 2
        shift_node0 = pro_node0 + len(pros)
        rest_node0 = shift_node0 + len(shifts)

        # Rest groups: consecutive candidates share (pro, key) because candidates are sorted.
        key = c.pro.astype(np.int64) * 4096 + group_key(c.t, problem.pair_slots)
        first = np.r_[True, key[1:] != key[:-1]]
        group = np.cumsum(first) - 1
        group_size = np.bincount(group)
        single = group_size[group] == 1
        # A group with a single candidate needs no rest node: the pro→shift arc carries cap 1.
        multi_groups = np.flatnonzero(group_size > 1)
        rest_node_of_group = np.full(len(group_size), -1, np.int64)
        rest_node_of_group[multi_groups] = rest_node0 + np.arange(len(multi_groups))
        n_nodes = rest_node0 + len(multi_groups)

        cand_tail = np.where(single, pro_node0 + pro_of_cand, rest_node_of_group[group])
        cand_head = shift_node0 + shift_of_cand

        # Pro → rest node arcs, one per multi-candidate group.
        group_pro = pro_of_cand[np.flatnonzero(first)]
        t_rest = pro_node0 + group_pro[multi_groups]
        h_rest = rest_node_of_group[multi_groups]

        # Units a pro can take: its remaining cap, and never more than its number of groups.
        groups_per_pro = np.bincount(group_pro, minlength=len(pros))
        cap = np.minimum(problem.pro_cap[pros], groups_per_pro).astype(np.int64)
        st, sh, sc, scost, fairness_weight = _source_arcs(cap, pro_node0, problem.fairness)

        room = problem.shift_room[shifts].astype(np.int64)
        supply = int(cap.sum())
        tails = [st, t_rest, shift_node0 + np.arange(len(shifts)), np.array([source])]
        heads = [sh, h_rest, np.full(len(shifts), sink), np.array([sink])]
        caps = [sc, np.ones(len(t_rest), np.int64), room, np.array([supply])]
        costs = [scost, np.zeros(len(t_rest), np.int64), np.zeros(len(shifts), np.int64), np.zeros(1, np.int64)]
        return cls(n_nodes, tails, heads, caps, costs, cand_tail, cand_head, supply, fairness_weight)

    def solve(self, cand_cost: np.ndarray) -> np.ndarray:
        """Solve with the given candidate arc costs; return the flow on each candidate arc."""
        mcf = min_cost_flow.SimpleMinCostFlow()
        # Candidate arcs first so their arc ids are 0..len-1.
        mcf.add_arcs_with_capacity_and_unit_cost(
            self.cand_tail.astype(np.int32), self.cand_head.astype(np.int32),
            np.ones(len(self.cand_tail), np.int64), cand_cost.astype(np.int64))
        mcf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate(self.tails).astype(np.int32), np.concatenate(self.heads).astype(np.int32),
            np.concatenate(self.caps).astype(np.int64), np.concatenate(self.costs).astype(np.int64))
        supplies = np.zeros(self.n_nodes, np.int64)
        supplies[0], supplies[1] = self.supply, -self.supply
        mcf.set_nodes_supplies(np.arange(self.n_nodes, dtype=np.int32), supplies)
        status = mcf.solve()
        if status != mcf.OPTIMAL:
            raise FlowError(f"min-cost flow status {status}")
        return mcf.flows(np.arange(len(self.cand_tail), dtype=np.int32))


def _source_arcs(cap: np.ndarray, pro_node0: int, fairness: bool):
    """Source → pro arcs; with fairness, the k-th unit of a pro costs k-1 (convex)."""
    pro_nodes = pro_node0 + np.arange(len(cap))
    if not fairness or len(cap) == 0 or cap.max() <= 1:
        return np.zeros(len(cap), np.int64), pro_nodes, cap, np.zeros(len(cap), np.int64), 1
    rep = np.repeat(np.arange(len(cap)), cap)
    start = np.repeat(np.cumsum(cap) - cap, cap)
    k = np.arange(len(rep)) - start  # 0 for the first unit of each pro
    fairness_weight = int(cap.max())  # > largest marginal (cap.max() - 1): see module docstring
    return np.zeros(len(rep), np.int64), pro_nodes[rep], np.ones(len(rep), np.int64), k.astype(np.int64), \
        fairness_weight
