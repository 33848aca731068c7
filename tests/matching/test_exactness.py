"""The engine's optimum against expected.json and against an independent MILP."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from missions.matching import Rules, check_assignment, read_instance, solve
from tests.matching.milp_reference import solve_milp
from tests.matching.random_instances import ALL_RULES, random_instance

SAMPLE = Path(__file__).parent / "data" / "sample-lozere"  # copy of ../shared/matching/sample-lozere


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6  # absolute, in objective units (km); observed differences ~1e-10


def test_sample_lozere_gives_exactly_the_expected_optimum():
    inst = read_instance(SAMPLE)
    expected = json.loads((SAMPLE / "expected.json").read_text())["optimum"]
    result = solve(inst)
    assert result.filled == expected["filled"]
    assert result.urgency_filled == expected["urgency_filled"]
    assert round(result.km_total, 3) == expected["km"]
    assert round(result.objective, 3) == expected["objective"]
    assert result.positions_total == expected["positions_total"]
    assert result.urgency_total == expected["urgency_total"]
    assert result.upper_bound >= result.objective
    assert result.gap < 1e-9
    assert check_assignment(inst, result.assignment) == []


BASE_RULES = [Rules(rest_night_then_day=True), Rules(rest_night_then_day=False)]


@pytest.mark.parametrize("rules", BASE_RULES, ids=["rest_rule", "no_rule"])
@pytest.mark.parametrize("seed", range(12))
def test_flow_equals_milp_under_base_rules(seed, rules):
    inst = random_instance(seed, rules=rules, booked=3 if seed % 3 == 0 else 0)
    result = solve(inst)
    reference = solve_milp(inst)
    assert check_assignment(inst, result.assignment) == []
    assert _close(result.objective, reference.objective), (result.objective, reference.objective)
    assert result.upper_bound >= reference.objective - 1e-6


@pytest.mark.parametrize("seed", range(12))
def test_all_rules_gap_against_milp(seed):
    inst = random_instance(seed + 100, n_pros=16, n_shifts=20, horizon=8, rules=ALL_RULES,
                           booked=4 if seed % 2 else 0, density=0.7)
    result = solve(inst)
    reference = solve_milp(inst)
    assert check_assignment(inst, result.assignment) == []
    assert result.upper_bound >= reference.objective - 1e-6
    assert result.objective <= reference.objective + 1e-6
    assert (reference.objective - result.objective) <= 0.005 * reference.objective
    assert _close(result.objective, reference.objective)  # small components are solved exactly


@pytest.mark.parametrize("seed", range(8))
def test_heuristic_repair_is_feasible_and_bounded(seed):
    """exact_arcs=0 forces the large-component path (drop + refill) on a small instance."""
    inst = random_instance(seed + 200, n_pros=30, n_shifts=30, horizon=10, rules=ALL_RULES, density=0.7)
    result = solve(inst, exact_arcs=0)
    reference = solve_milp(inst)
    assert check_assignment(inst, result.assignment) == []
    assert result.objective <= reference.objective + 1e-6 <= result.upper_bound + 2e-6
    assert (reference.objective - result.objective) <= 0.05 * reference.objective


def test_extra_rules_are_a_relaxation_bound():
    """With the extra rules on, the bound is at least the optimum under base rules only... and
    the base-rule optimum is at least the all-rule optimum."""
    inst = random_instance(7, n_pros=16, n_shifts=16, horizon=8, rules=ALL_RULES)
    base = solve(inst.with_rules(Rules(rest_night_then_day=True)))
    strict = solve(inst)
    assert strict.objective <= base.objective + 1e-6
    assert np.isfinite(strict.upper_bound)
