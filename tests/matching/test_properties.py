"""Properties on random instances: feasibility, bound validity, fairness, baseline, booked missions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from missions.matching import Assignment, Rules, check_assignment, first_come, solve
from missions.matching.instance import Slots
from tests.matching.milp_reference import solve_milp
from tests.matching.random_instances import ALL_RULES, random_instance

rules_strategy = st.builds(
    Rules,
    rest_night_then_day=st.booleans(),
    rest_after_24h=st.booleans(),
    max_hours_per_7_days=st.sampled_from([None, 24.0, 36.0, 48.0]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), rules=rules_strategy, booked=st.sampled_from([0, 0, 3, 8]),
       density=st.sampled_from([0.3, 0.6, 0.9]), exact=st.booleans())
def test_solution_is_feasible_and_below_its_bound(seed, rules, booked, density, exact):
    inst = random_instance(seed, n_pros=18, n_shifts=18, horizon=8, rules=rules, booked=booked, density=density)
    result = solve(inst, exact_arcs=10_000 if exact else 0)
    assert check_assignment(inst, result.assignment) == []
    assert result.objective <= result.upper_bound + 1e-6
    assert 0.0 <= result.gap <= 1.0
    assert result.filled == len(result.assignment)
    baseline = first_come(inst)
    assert check_assignment(inst, baseline.assignment) == []
    assert baseline.objective <= result.upper_bound + 1e-6


@pytest.mark.parametrize("seed", range(10))
def test_first_come_is_feasible_and_never_better_than_the_optimum(seed):
    inst = random_instance(seed + 300, rules=ALL_RULES if seed % 2 else Rules(rest_night_then_day=True),
                           density=0.6, n_shifts=20)
    baseline = first_come(inst)
    optimum = solve_milp(inst).objective
    assert check_assignment(inst, baseline.assignment) == []
    assert baseline.objective <= optimum + 1e-6
    assert solve(inst).objective >= baseline.objective - 1e-6


# --------------------------------------------------------------------------------------------
# Fairness
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(15))
def test_fairness_keeps_the_objective_and_uses_at_least_as_many_professionals(seed):
    inst = random_instance(seed + 400, n_pros=20, n_shifts=20, same_place=seed % 2 == 0, density=0.6)
    fair, plain = solve(inst), solve(inst, fairness=False)
    assert fair.urgency_filled == plain.urgency_filled
    assert fair.filled == plain.filled
    # Same integer objective; the float value may differ by the km resolution on ties.
    assert abs(fair.objective - plain.objective) <= fair.filled / fair.units_per_km + 1e-9
    assert abs(fair.upper_bound - plain.upper_bound) <= 1e-9
    assert fair.counts["pros_used"] >= plain.counts["pros_used"]


def _tie_instance(n_pros: int, n_slots: int):
    """Professionals on one point, all available on the same slots, one 1-position shift per slot."""
    inst = random_instance(1, n_pros=n_pros, n_estabs=1, n_shifts=n_slots, horizon=n_slots, same_place=True)
    p, s = inst.pros, inst.shifts
    pros = type(p)(**{**p.__dict__, "profession": np.zeros(n_pros, np.int16), "skills": np.zeros_like(p.skills),
                      "radius_km": np.full(n_pros, 80.0), "max_missions": np.full(n_pros, n_slots, np.int32)})
    shifts = type(s)(**{**s.__dict__, "profession": np.zeros(n_slots, np.int16), "required": np.zeros_like(s.required),
                        "day": np.arange(1, n_slots + 1, dtype=np.int16), "slot": np.zeros(n_slots, np.int8),
                        "positions": np.ones(n_slots, np.int32), "urgency": np.full(n_slots, 3, np.int8)})
    pro, day = np.meshgrid(np.arange(n_pros), np.arange(1, n_slots + 1), indexing="ij")
    avail = Slots(pro.ravel().astype(np.int32), day.ravel().astype(np.int16), np.zeros(pro.size, np.int8))
    return type(inst)(pros, avail, inst.establishments, shifts, inst.meta, inst.professions, inst.skills)


@pytest.mark.parametrize(("n_pros", "n_slots"), [(2, 3), (3, 6), (4, 9)])
def test_fairness_spreads_tied_missions_evenly(n_pros, n_slots):
    inst = _tie_instance(n_pros, n_slots)
    result = solve(inst)
    counts = np.bincount(result.assignment.pro, minlength=n_pros)
    assert result.filled == n_slots
    assert counts.max() - counts.min() <= 1, counts  # convex costs: as even as possible


# --------------------------------------------------------------------------------------------
# Booked missions and the checker
# --------------------------------------------------------------------------------------------


def test_booked_missions_block_slots_and_reduce_the_cap():
    inst = _tie_instance(1, 4)  # one professional, four day shifts on days 1..4
    assert solve(inst).filled == 4
    booked = Slots(np.array([0, 0], np.int32), np.array([2, 0], np.int16), np.array([0, 1], np.int8))
    p = inst.pros
    pros = type(p)(**{**p.__dict__, "max_missions": np.array([5], np.int32), "used_missions": np.array([2], np.int32)})
    with_booked = type(inst)(pros, inst.availability, inst.establishments, inst.shifts, inst.meta,
                             inst.professions, inst.skills, booked)
    result = solve(with_booked)
    days = sorted(inst.shifts.day[result.assignment.shift].tolist())
    # Day 2 is booked; the night of day 0 forbids day 1 (rest rule); the cap leaves 3 missions.
    assert days == [3, 4]
    assert check_assignment(with_booked, result.assignment) == []
    forced = Assignment(np.array([1], np.int32), np.array([1], np.int32), np.array([0], np.int32), np.zeros(1))
    problems = check_assignment(with_booked, forced)
    assert any("two missions" in m for m in problems), problems


def test_checker_reports_each_kind_of_violation():
    inst = random_instance(5, rules=ALL_RULES, density=0.9, n_shifts=20)
    result = solve(inst)
    a = result.assignment
    assert check_assignment(inst, a) == []
    assert len(a) >= 2
    dup = Assignment(np.r_[a.shift, a.shift[:1]], np.r_[a.position, a.position[:1]], np.r_[a.pro, a.pro[:1]],
                     np.r_[a.km, a.km[:1]])
    msgs = check_assignment(inst, dup)
    assert any("position filled twice" in m for m in msgs)
    assert any("professional twice" in m for m in msgs)
    wrong = Assignment(a.shift.copy(), a.position + 10, a.pro.copy(), a.km)
    assert any("position outside" in m for m in check_assignment(inst, wrong))
    far = inst.pros.radius_km.copy() * 0
    shrunk = type(inst)(type(inst.pros)(**{**inst.pros.__dict__, "radius_km": far}), inst.availability,
                        inst.establishments, inst.shifts, inst.meta, inst.professions, inst.skills)
    assert any("exceeds radius" in m for m in check_assignment(shrunk, a))


def test_checker_catches_rule_breaks():
    inst = _tie_instance(1, 3)
    rules = Rules(rest_night_then_day=True, rest_after_24h=True, max_hours_per_7_days=24.0)
    inst = inst.with_rules(rules)
    # Three day shifts in three days: 36 h in 7 days > 24 h.
    a = Assignment(np.arange(3, dtype=np.int32), np.ones(3, np.int32), np.zeros(3, np.int32), np.zeros(3))
    msgs = check_assignment(inst, a)
    assert any("more than 24 h" in m for m in msgs), msgs
    assert solve(inst).filled == 2
