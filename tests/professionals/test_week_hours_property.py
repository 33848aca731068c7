"""The 48 h / 7 days check looks only at windows whose edge meets a mission's start or end: compare
it with a brute-force scan of every window on an hourly grid (missions on whole hours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from missions.core.eligibility import _max_hours_in_any_week

T0 = datetime(2026, 1, 5, tzinfo=UTC)
WEEK_H = 168

intervals = st.lists(st.tuples(st.integers(0, 400), st.integers(1, 24)), min_size=0, max_size=8)


def brute(others: list[tuple[int, int]], new: tuple[int, int]) -> int:
    """Worked hours in the worst 168 h window (hourly starts) that overlaps the new mission."""
    hours = [set(range(s, s + d)) for s, d in [*others, new]]
    ns, nd = new
    best = 0
    for start in range(ns - WEEK_H + 1, ns + nd):
        window = set(range(start, start + WEEK_H))
        best = max(best, sum(len(h & window) for h in hours))
    return best


@settings(max_examples=300, deadline=None)
@given(others=intervals, new=st.tuples(st.integers(0, 400), st.integers(1, 24)))
def test_matches_brute_force(others, new):
    ns, nd = new
    # Booked missions never overlap each other nor the new one (overlap is refused before).
    kept: list[tuple[int, int]] = []
    for s, d in others:
        if all(s + d <= s2 or s2 + d2 <= s for s2, d2 in [*kept, new]):
            kept.append((s, d))
    as_times = [(T0 + timedelta(hours=s), T0 + timedelta(hours=s + d)) for s, d in kept]
    fast = _max_hours_in_any_week(as_times, T0 + timedelta(hours=ns), T0 + timedelta(hours=ns + nd))
    assert fast == Decimal(brute(kept, new))
