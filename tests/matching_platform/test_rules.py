"""Each platform rule excludes a pair; the nightly run proposes only what the rules allow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from establishments.models import Shift
from missions.booking.services.proposals import proposal_decline, proposals_expire
from missions.core.models import EstablishmentBlock, MatchingRunState, Proposal
from missions.core.slots import slot_of
from missions.platform.loading import partition_load
from missions.platform.services.matching import (
    explain_for_professional,
    explain_unfilled,
    matching_run_region,
    proposals_notify,
)
from notifications.models import Notification
from professionals.models import Professional
from tests.factories import book, make_proposal

MONTPELLIER, CASTELNAU, BEZIERS = "34172", "34057", "34032"


def _run(world):
    return matching_run_region(region_code="76", start=world.start)


def test_slot_mapping_boundaries(world):
    for hour, minute, day_offset, slot in ((6, 0, 0, 0), (17, 59, 0, 0), (18, 0, 0, 1), (5, 59, -1, 1), (0, 0, -1, 1)):
        day, s = slot_of(world.at(3, hour, minute))
        assert (day, s) == (world.day(3) + timedelta(days=day_offset), slot), (hour, minute)


def test_baseline_pair_is_proposed(world):
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=2)
    pro = world.pro(MONTPELLIER, days=(2,))
    run = _run(world)
    assert run.state == MatchingRunState.SUCCEEDED
    assert (run.n_pros, run.n_shifts, run.n_positions, run.filled, run.proposals_written) == (1, 1, 1, 1, 1)
    p = Proposal.objects.get()
    assert (p.shift, p.professional, p.source, p.matching_run_id) == (shift, pro, "nightly", run.pk)
    assert timezone.now() + timedelta(hours=23) < p.expires_at <= timezone.now() + timedelta(hours=23, minutes=30)
    assert run.gap is not None and run.gap <= 0.005


def same_month_days(world, k: int, gap: int = 3) -> list[int]:
    """``k`` horizon days (2..30) in one calendar month, pairwise at least ``gap`` days apart."""
    for first in range(2, 31):
        days = [first + gap * i for i in range(k)]
        if days[-1] <= 30 and len({world.day(d).month for d in days}) == 1:
            return days
    raise AssertionError("no such days")


def _setup(world):
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=3, positions=2)
    return est, shift


EXCLUSIONS = {
    "insurance_expired": (lambda w, est, shift: w.pro(MONTPELLIER, days=(3,), insured_until=w.day(2)), "assurance"),
    "no_insurance": (lambda w, est, shift: w.pro(MONTPELLIER, days=(3,), insured_until=None), "assurance"),
    "pro_blocks": (lambda w, est, shift: _blocked_by_pro(w, est), "exclu cet établissement"),
    "establishment_blocks": (lambda w, est, shift: _blocked_by_est(w, est), "ne souhaite plus"),
    "notice": (lambda w, est, shift: _long_notice(w), "prévenance"),
    "radius": (lambda w, est, shift: w.pro(BEZIERS, days=(3,), radius=20), "rayon"),
    "skill": (lambda w, est, shift: _skill_shift(w, shift), "Compétence requise"),
    "not_available": (lambda w, est, shift: w.pro(MONTPELLIER, days=(4,)), "disponibilité"),
    "profession": (lambda w, est, shift: w.pro(MONTPELLIER, days=(3,), profession="70"), "autre profession"),
    "monthly_cap": (lambda w, est, shift: _capped(w, est), "maximum"),
    "rest_after_night": (lambda w, est, shift: _night_before(w, est), "Repos"),
    "week_48h": (lambda w, est, shift: _busy_week(w, est), "48 h"),
    "rest_after_24h": (lambda w, est, shift: _after_24h_guard(w, shift), "il faut 24 h de repos"),
}


def _after_24h_guard(w, shift):
    """A 24 h guard booked on day 2 (08:00 → 08:00): the shift becomes the night of day 3 (20:00), which
    only ``rest_after_24h`` forbids (12 h after the guard, not a day after a night, 36 h in the week)."""
    Shift.objects.filter(pk=shift.pk).update(starts_at=w.at(3, 20), ends_at=w.at(4, 8))
    shift.refresh_from_db()
    pro = w.pro(MONTPELLIER, days=(3,), slot="N")
    book(w.shift(w.estab(MONTPELLIER), day=2, hours=24), pro)
    return pro


def _busy_week(w, est):
    """Four 12 h day shifts booked on the four days before: a fifth makes 60 h in 7 days."""
    pro = w.pro(MONTPELLIER, days=(3,))
    for day in (-1, 0, 1, 2):
        other = w.shift(w.estab(MONTPELLIER), day=3)
        Shift.objects.filter(pk=other.pk).update(starts_at=w.at(day, 8), ends_at=w.at(day, 20), state="cancelled")
        other.refresh_from_db()
        book(other, pro, as_row=True)  # a past, cancelled shift: no booking service takes it
    return pro


def _long_notice(w):
    """A notice of 10 days. ORM: the profile offers at most 48 h, and every shift of the horizon is
    further ahead than that; the rule itself has no upper bound."""
    pro = w.pro(MONTPELLIER, days=(3,))
    Professional.objects.filter(pk=pro.pk).update(min_notice_hours=24 * 10)
    pro.refresh_from_db()
    return pro


def _blocked_by_pro(w, est):
    pro = w.pro(MONTPELLIER, days=(3,))
    pro.blocked_establishments.add(est)
    return pro


def _blocked_by_est(w, est):
    pro = w.pro(MONTPELLIER, days=(3,))
    EstablishmentBlock.objects.create(establishment=est, professional=pro, created_by=w.hr)
    return pro


def _skill_shift(w, shift):
    shift.required_skills.set(["SI06"])
    return w.pro(MONTPELLIER, days=(3,))


def _capped(w, est):
    """Already booked to the monthly cap in the shift's month (possibly before the horizon)."""
    pro = w.pro(MONTPELLIER, days=(3,), max_missions=1)
    day3 = w.day(3)
    other_day = next(d for d in range(-27, 31) if abs(d - 3) >= 3 and w.day(d).month == day3.month)
    other = w.shift(w.estab(MONTPELLIER), day=3)
    Shift.objects.filter(pk=other.pk).update(starts_at=w.at(other_day, 8), ends_at=w.at(other_day, 20),
                                             state="cancelled")
    other.refresh_from_db()
    book(other, pro, as_row=True)  # maybe past, and cancelled: no booking service takes it
    return pro


def _night_before(w, est):
    """A booked night the evening before: the day shift after it breaks the 11 h rest."""
    pro = w.pro(MONTPELLIER, days=(3,))
    night = w.shift(w.estab(MONTPELLIER), day=2, hour=20)
    book(night, pro)
    return pro


@pytest.mark.parametrize("case", sorted(EXCLUSIONS))
def test_each_rule_excludes_and_is_explained(world, case):
    est, shift = _setup(world)
    make, reason = EXCLUSIONS[case]
    pro = make(world, est, shift)
    control = world.pro(CASTELNAU, days=(3,), skills=("SI06",))  # eligible: proves the run did propose
    world.available(control, 3, "N")  # whichever slot of day 3 the case's shift is in
    run = _run(world)
    assert run.state == MatchingRunState.SUCCEEDED
    assert Proposal.objects.filter(professional=control, shift=shift).exists()
    assert not Proposal.objects.filter(professional=pro, shift=shift).exists()
    texts = explain_for_professional(professional=pro, shift=shift)
    assert any(reason in t for t in texts), texts


def test_forbidden_route_is_never_offered(world):
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=3, route="forbidden")
    pro = world.pro(MONTPELLIER, days=(3,))
    _run(world)
    assert not Proposal.objects.exists()
    assert any("voie contractuelle" in t for t in explain_for_professional(professional=pro, shift=shift))


def test_booked_missions_count_for_caps_and_slots(world):
    """Cap 2 with one mission booked in the month: of two open shifts, only one more proposal."""
    est = world.estab(MONTPELLIER)
    d1, d2, d3 = same_month_days(world, 3)
    pro = world.pro(MONTPELLIER, days=(d1, d2, d3), max_missions=2)
    book(world.shift(est, day=d2), pro)
    a, b = world.shift(est, day=d1), world.shift(est, day=d3)
    part = partition_load(region_code="76", start=world.start)
    assert part.instance.pros.used_missions.tolist() == [1]
    assert len(part.instance.booked) == 1  # the booked day slot
    _run(world)
    assert Proposal.objects.filter(professional=pro, shift__in=[a, b]).count() == 1


def test_pending_proposal_takes_the_slot(world):
    """A pending proposal (maybe accepted tomorrow) is treated as booked: no second offer in that slot."""
    est = world.estab(MONTPELLIER)
    a = world.shift(est, day=3)
    pro = world.pro(MONTPELLIER, days=(3,))
    _run(world)
    assert Proposal.objects.get().shift == a
    b = world.shift(world.estab(CASTELNAU), day=3, urgency=5)
    _run(world)
    assert not Proposal.objects.filter(shift=b, professional=pro).exists()


def test_explanation_when_eligible_but_others_chosen(world):
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=3)
    near = world.pro(MONTPELLIER, days=(3,))
    far = world.pro(CASTELNAU, days=(3,))
    _run(world)
    assert Proposal.objects.get().professional == near
    texts = explain_for_professional(professional=far, shift=shift)
    assert len(texts) == 1 and "plus proches" in texts[0]


def test_a_declined_offer_is_not_made_again_but_the_position_goes_back_to_the_pool(world):
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=3)
    near = world.pro(MONTPELLIER, days=(3,))
    far = world.pro(CASTELNAU, days=(3,))
    _run(world)
    first = Proposal.objects.get()
    assert first.professional == near
    proposal_decline(actor=near.user, proposal=first)
    _run(world)
    second = Proposal.objects.get(state="pending")
    assert second.professional == far and second.shift == shift


def test_new_proposals_are_notified_once(world, django_capture_on_commit_callbacks):
    est = world.estab(MONTPELLIER)
    world.shift(est, day=2)
    pro = world.pro(MONTPELLIER, days=(2,))
    with django_capture_on_commit_callbacks(execute=True):
        _run(world)
    proposal = Proposal.objects.get()
    notes = Notification.objects.filter(recipient=pro.user, event="proposal.new")
    assert [n.dedupe_key for n in notes] == [f"proposal:{proposal.pk}:new"]
    assert proposals_notify(proposal_ids=[proposal.pk]) == 0  # never twice


def test_beat_schedule():
    from celery.schedules import crontab

    from ville_hopital.celery import app

    beat = {v["task"]: v["schedule"] for v in app.conf.beat_schedule.values()}
    assert beat["missions.tasks.match_night"] == crontab(hour=2, minute=0)
    assert beat["missions.tasks.expire_proposals"] == crontab(minute="*/10")
    assert beat["missions.tasks.match_urgent_pending"] == crontab(minute="*/5")
    assert app.conf.timezone == "Europe/Paris"


def test_a_far_away_pending_offer_does_not_block_tonights(world):
    """A pending offer for a shift two months ahead is outside the rules' window: it must not make the
    write-time check believe the professional changed since the load."""
    est = world.estab(MONTPELLIER)
    later = world.shift(est, day=60)
    make_proposal(later, (pro := world.pro(MONTPELLIER, days=(3,))), distance="0")
    shift = world.shift(est, day=3)
    run = _run(world)
    assert run.proposals_written == 1
    assert Proposal.objects.filter(shift=shift, professional=pro).exists()


def test_pending_offers_count_for_the_cap_and_are_explained(world):
    est = world.estab(MONTPELLIER)
    d1, d2 = same_month_days(world, 2)
    a = world.shift(est, day=d1, urgency=5)
    b = world.shift(est, day=d2, urgency=1)
    pro = world.pro(MONTPELLIER, days=(d1, d2), max_missions=1)
    _run(world)
    assert list(Proposal.objects.values_list("shift_id", flat=True)) == [a.pk]
    texts = explain_for_professional(professional=pro, shift=b)
    assert any("propositions en attente" in t for t in texts), texts


def test_an_expired_offer_goes_back_to_the_pool_at_the_next_run(world):
    """Nobody answered: the beat's ``proposals_expire`` (at the offer's expiry) frees the position; the
    next nightly run offers it again, to someone else (an offer let expire is never made twice)."""
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=3)
    near = world.pro(MONTPELLIER, days=(3,))
    far = world.pro(CASTELNAU, days=(3,))
    _run(world)
    first = Proposal.objects.get()
    assert first.professional == near
    assert proposals_expire(now=first.expires_at - timedelta(seconds=1)) == 0  # not yet
    assert proposals_expire(now=first.expires_at) == 1
    run = _run(world)
    assert (run.n_positions, run.proposals_written) == (1, 1)
    first.refresh_from_db()
    assert first.state == "expired"
    second = Proposal.objects.get(state="pending")
    assert (second.shift, second.professional, second.matching_run_id) == (shift, far, run.pk)
    assert any("a expiré" in t for t in explain_for_professional(professional=near, shift=shift))


def test_the_next_run_itself_expires_a_stale_offer(world):
    """No beat ran in between (the 24 h went by): the run expires the stale offer before counting what is
    open. With nobody else eligible the position stays open and HR is told the offer expired."""
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=3, positions=2)
    world.pro(MONTPELLIER, days=(3,))
    _run(world)
    first = Proposal.objects.get()
    Proposal.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    run = _run(world)
    first.refresh_from_db()
    assert first.state == "expired"
    assert (run.n_positions, run.proposals_written) == (2, 0)  # both open again; near is not asked twice
    assert not Proposal.objects.filter(state="pending").exists()
    late = world.pro(CASTELNAU, days=(3,))  # a newcomer: the position was back in the pool
    run = _run(world)
    assert (run.n_positions, run.proposals_written) == (2, 1)
    assert Proposal.objects.get(state="pending").professional == late
    unfilled = explain_unfilled(shift=shift)
    assert (unfilled["expired"], unfilled["pending"]) == (1, 1)
    assert any("1 expirée(s)" in r for r in unfilled["reasons"]), unfilled["reasons"]
