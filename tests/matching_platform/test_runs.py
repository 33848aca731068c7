"""Nightly runs: idempotent re-runs, crash recovery, border professionals, the round trip through files."""

from __future__ import annotations

import io
from collections import Counter

import numpy as np
from django.core.management import call_command
from django.db import transaction

from missions.booking.services.proposals import proposal_accept
from missions.core.models import MatchingRun, MatchingRunState, Mission, Proposal, ProposalState
from missions.matching import read_assignment, read_instance, solve
from missions.matching.cli import main as engine_main
from missions.platform.eligible import platform_candidates
from missions.platform.loading import partition_load
from missions.platform.services.matching import matching_run_region
from missions.platform.writes import proposals_write

MONTPELLIER, CASTELNAU, LATTES, PEROLS = "34172", "34057", "34129", "34198"
VILLENEUVE_AVIGNON, LES_ANGLES, AVIGNON = "30351", "30011", "84007"


def _busy_world(world, n_pros: int = 12):
    """Three establishments, shifts over a week, more professionals than positions on some days."""
    ests = [world.estab(c) for c in (MONTPELLIER, CASTELNAU, LATTES)]
    shifts = []
    for d in range(2, 9):
        for k, est in enumerate(ests):
            shifts.append(world.shift(est, day=d, hour=8 if k != 1 else 20, positions=1 + (d + k) % 3,
                                      urgency=1 + (d * 7 + k) % 5))
    homes = (MONTPELLIER, CASTELNAU, LATTES, PEROLS)
    pros = []
    for i in range(n_pros):
        pro = world.pro(homes[i % 4], radius=15 + 5 * (i % 3), max_missions=2 + i % 3)
        for d in range(2, 9):
            if (i + d) % 3:
                world.available(pro, d, "D")
            if (i * d) % 4 == 1:
                world.available(pro, d, "N")
        pros.append(pro)
    return shifts, pros


def _taken_per_shift():
    taken = Counter(Proposal.objects.filter(state=ProposalState.PENDING).values_list("shift_id", flat=True))
    taken.update(Mission.objects.exclude(state="cancelled").values_list("shift_id", flat=True))
    return taken


def _assert_no_overbooking(shifts):
    taken = _taken_per_shift()
    for shift in shifts:
        assert taken[shift.pk] <= shift.positions
    pairs = Counter(Proposal.objects.filter(state=ProposalState.PENDING).values_list("shift_id", "professional_id"))
    assert max(pairs.values(), default=0) == 1


def test_rerun_never_duplicates_nor_touches_accepted(world):
    shifts, _pros = _busy_world(world)
    first = matching_run_region(region_code="76", start=world.start)
    assert first.proposals_written > 5
    before = set(Proposal.objects.values_list("pk", "shift_id", "professional_id", "state"))
    accepted = Proposal.objects.order_by("pk").first()
    mission = proposal_accept(actor=accepted.professional.user, proposal=accepted)
    second = matching_run_region(region_code="76", start=world.start)
    assert second.state == MatchingRunState.SUCCEEDED
    assert second.proposals_written == 0
    after = set(Proposal.objects.values_list("pk", "shift_id", "professional_id"))
    assert after == {(pk, s, p) for pk, s, p, _ in before}
    accepted.refresh_from_db()
    assert accepted.state == ProposalState.ACCEPTED
    assert Mission.objects.get() == mission
    _assert_no_overbooking(shifts)


def test_crashed_writer_then_rerun_proposes_exactly_the_open_positions(world):
    shifts, _pros = _busy_world(world)
    first = matching_run_region(region_code="76", start=world.start)
    filled = first.filled
    taken_before = _taken_per_shift()
    # What a writer killed half way would have left (without one transaction): half of the rows.
    run_rows = list(Proposal.objects.filter(matching_run_id=first.pk).order_by("pk").values_list("pk", flat=True))
    Proposal.objects.filter(pk__in=run_rows[::2]).delete()
    MatchingRun.objects.filter(pk=first.pk).update(state=MatchingRunState.FAILED, error="killed")
    second = matching_run_region(region_code="76", start=world.start)
    assert second.n_positions == sum(s.positions for s in shifts) - (len(run_rows) - len(run_rows[::2]))
    # The base of the second run: the surviving proposals; it re-fills the freed positions, the optimum is unchanged.
    assert second.proposals_written + len(run_rows) - len(run_rows[::2]) == filled
    assert sum(_taken_per_shift().values()) == sum(taken_before.values())
    _assert_no_overbooking(shifts)


def test_a_run_left_running_by_a_dead_worker_is_marked_failed(world):
    _busy_world(world, n_pros=4)
    stale = MatchingRun.objects.create(region_id="76", start=world.start, kind="nightly")
    run = matching_run_region(region_code="76", start=world.start)
    stale.refresh_from_db()
    assert stale.state == MatchingRunState.FAILED and "interrupted" in stale.error
    assert run.state == MatchingRunState.SUCCEEDED


def test_border_professional_is_in_both_partitions_and_never_double_booked(world):
    gard = world.estab(LES_ANGLES)  # Occitanie (76)
    vaucluse = world.estab(AVIGNON)  # Provence-Alpes-Côte d'Azur (93)
    a = world.shift(gard, day=3)
    b = world.shift(vaucluse, day=3, urgency=5)
    pro = world.pro(VILLENEUVE_AVIGNON, radius=10, days=(3,))
    p76 = partition_load(region_code="76", start=world.start)
    p93 = partition_load(region_code="93", start=world.start)
    assert pro.pk in p76.instance.pros.ids and pro.pk in p93.instance.pros.ids
    # Both regions solve at the same time, from the same database state ...
    plans = []
    for part in (p93, p76):
        cand, _ = platform_candidates(part)
        plans.append((part, solve(part.instance, candidates=cand).assignment))
    assert all(len(plan) == 1 for _part, plan in plans)
    # ... and write one after the other: the second sees the border professional was taken.
    written = []
    for part, plan in plans:
        with transaction.atomic():
            written.append(proposals_write(part=part, assignment=plan, source="nightly", matching_run_id=None))
    assert [w.written for w in written] == [1, 0]
    assert written[1].dropped_conflicts == 1
    assert list(Proposal.objects.values_list("shift_id", "professional_id")) == [(b.pk, pro.pk)]
    # The next night, Occitanie does not offer the same slot either.
    matching_run_region(region_code="76", start=world.start)
    assert not Proposal.objects.filter(shift=a).exists()


def test_border_professional_gets_shifts_of_both_regions_on_different_days(world):
    a = world.shift(world.estab(LES_ANGLES), day=3)
    b = world.shift(world.estab(AVIGNON), day=5)
    pro = world.pro(VILLENEUVE_AVIGNON, radius=10, days=(3, 5))
    matching_run_region(region_code="76", start=world.start)
    matching_run_region(region_code="93", start=world.start)
    assert set(Proposal.objects.filter(professional=pro).values_list("shift_id", flat=True)) == {a.pk, b.pk}


def test_export_solve_import_round_trip(world, tmp_path):
    shifts, _pros = _busy_world(world)
    folder = tmp_path / "instance"
    call_command("matching_export", "--region", "76", "--start", world.start.isoformat(), "--out", str(folder),
                 stdout=io.StringIO())
    assert (folder / "excluded.csv").read_text().strip() == "pro_id,shift_id"  # no pair rule bites here
    out = tmp_path / "assignment.csv"
    assert engine_main(["solve", str(folder), "--out", str(out)], stdout=io.StringIO()) == 0
    instance = read_instance(folder)
    rows = read_assignment(instance, out)
    expected = sorted(zip(instance.shifts.ids[rows.shift].tolist(), instance.pros.ids[rows.pro].tolist(), strict=True))
    # Import: the partition loaded now is the one exported; its arrays are identical to the folder's.
    part = partition_load(region_code="76", start=world.start)
    assert np.array_equal(part.instance.shifts.ids, instance.shifts.ids)
    assert np.array_equal(part.instance.pros.ids, instance.pros.ids)
    with transaction.atomic():
        outcome = proposals_write(part=part, assignment=read_assignment(part.instance, out), source="nightly",
                                  matching_run_id=None)
    assert outcome.written == len(expected) > 0
    assert sorted(Proposal.objects.values_list("shift_id", "professional_id")) == expected
    _assert_no_overbooking(shifts)


def test_matching_run_command_prints_the_summary(world):
    _busy_world(world, n_pros=4)
    out = io.StringIO()
    call_command("matching_run", "--region", "76", "--start", world.start.isoformat(), stdout=out)
    run = MatchingRun.objects.get()
    assert run.state == MatchingRunState.SUCCEEDED
    text = out.getvalue()
    assert f"run {run.pk}" in text and "proposals written" in text
