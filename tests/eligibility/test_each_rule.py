"""Every rule of ``missions.core.eligibility``, one case each: ``exclusions_for`` returns its code, the
professional's explanation page names it, the vectorised check gives the same verdict as the row
check, and HR's counts put the professional under it and add up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from establishments.models import Shift, ShiftState
from missions.core.eligibility import RULE_BY_CODE, RULES, exclusions_for
from missions.core.models import EstablishmentBlock, ProposalState
from missions.platform.eligible import exclusion_counts
from missions.platform.services.matching import explain_for_professional, matching_run_region
from tests.eligibility.conftest import book, offer
from tests.eligibility.helpers import load, row_codes, vector_codes

MONTPELLIER, CASTELNAU, BEZIERS = "34172", "34057", "34032"


@dataclass
class Case:
    pro: object
    shift: Shift
    now: datetime
    others: tuple[Shift, ...] = ()  # shifts to load beside it (so that the professional is in the partition)


def _scene(world, **shift_options) -> tuple[object, Shift]:
    """The shift asked about (day 3, 08:00–20:00, two positions, Montpellier) and a nurse available then."""
    shift = world.shift(world.estab(MONTPELLIER), day=3, positions=2, **shift_options)
    return world.pro(MONTPELLIER, days=(3,)), shift


def _other_shift(world, day: int, hour: int = 8, hours: int = 12) -> Shift:
    """Another establishment's shift, for a booking (kept out of the partition: it is cancelled)."""
    shift = world.shift(world.estab(CASTELNAU), day=max(day, 3), hour=hour, hours=hours)
    starts = world.at(day, hour)
    Shift.objects.filter(pk=shift.pk).update(starts_at=starts, ends_at=starts + timedelta(hours=hours))
    shift.refresh_from_db()
    return shift


def case_shift_closed_cancelled(world):
    pro, shift = _scene(world)
    Shift.objects.filter(pk=shift.pk).update(state=ShiftState.CANCELLED)
    shift.refresh_from_db()
    return Case(pro, shift, timezone.now())


def case_shift_closed_started(world):
    pro, shift = _scene(world)
    return Case(pro, shift, shift.starts_at + timedelta(hours=1))


def case_already_booked(world):
    pro, shift = _scene(world)
    book(pro, shift)
    return Case(pro, shift, timezone.now())


def case_offered(world):
    pro, shift = _scene(world)
    offer(pro, shift)
    return Case(pro, shift, timezone.now())


def case_declined(world):
    pro, shift = _scene(world)
    offer(pro, shift, state=ProposalState.DECLINED)
    return Case(pro, shift, timezone.now())


def case_declined_expired(world):
    pro, shift = _scene(world)
    offer(pro, shift, state=ProposalState.EXPIRED)
    return Case(pro, shift, timezone.now())


def case_profession(world):
    _nurse, shift = _scene(world)
    kine = world.pro(MONTPELLIER, days=(3,), profession="70")
    magnet = world.shift(world.estab(MONTPELLIER), day=3, profession="70")  # brings kinés into the partition
    return Case(kine, shift, timezone.now(), (magnet,))


def case_contract_route(world):
    pro, shift = _scene(world, route="forbidden")
    return Case(pro, shift, timezone.now())


def case_skills(world):
    pro, shift = _scene(world, skills=("SI06",))
    return Case(pro, shift, timezone.now())


def case_distance(world):
    _nurse, shift = _scene(world)
    far = world.pro(BEZIERS, radius=20, days=(3,))
    magnet = world.shift(world.estab(BEZIERS), day=3)  # within their radius: they are in the partition
    return Case(far, shift, timezone.now(), (magnet,))


def case_blocked_by_professional(world):
    pro, shift = _scene(world)
    pro.blocked_establishments.add(shift.establishment)
    return Case(pro, shift, timezone.now())


def case_blocked_by_establishment(world):
    pro, shift = _scene(world)
    EstablishmentBlock.objects.create(establishment=shift.establishment, professional=pro, created_by=world.hr)
    return Case(pro, shift, timezone.now())


def case_insurance_expired(world):
    shift = world.shift(world.estab(MONTPELLIER), day=3, positions=2)
    return Case(world.pro(MONTPELLIER, days=(3,), insured_until=world.day(2)), shift, timezone.now())


def case_insurance_missing(world):
    shift = world.shift(world.estab(MONTPELLIER), day=3, positions=2)
    return Case(world.pro(MONTPELLIER, days=(3,), insured_until=None), shift, timezone.now())


def case_availability(world):
    shift = world.shift(world.estab(MONTPELLIER), day=3, positions=2)
    return Case(world.pro(MONTPELLIER, days=(4,)), shift, timezone.now())


def case_notice(world):
    """The brief's example: the shift starts in 5 h, the professional asks for 24 h."""
    shift = world.shift(world.estab(MONTPELLIER), day=3, positions=2)
    return Case(world.pro(MONTPELLIER, days=(3,), notice=24), shift, shift.starts_at - timedelta(hours=5))


def case_slot_taken_by_a_mission(world):
    pro, shift = _scene(world)
    book(pro, _other_shift(world, 3))
    return Case(pro, shift, timezone.now())


def case_slot_taken_by_a_pending_offer(world):
    pro, shift = _scene(world)
    offer(pro, _other_shift(world, 3))
    return Case(pro, shift, timezone.now())


def case_rest_11h(world):
    """A night booked the evening before: the day after it breaks the 11 h rest."""
    pro, shift = _scene(world)
    book(pro, _other_shift(world, 2, hour=20))
    return Case(pro, shift, timezone.now())


def case_rest_11h_against_a_pending_offer(world):
    """The issue's case: the night before is only offered (pending), and counts as booked."""
    pro, shift = _scene(world)
    offer(pro, _other_shift(world, 2, hour=20))
    return Case(pro, shift, timezone.now())


def case_rest_11h_day_then_night(world):
    """A day shift booked, then the night of the same day: 24 h with no rest between two missions."""
    shift = world.shift(world.estab(MONTPELLIER), day=3, hour=20, positions=2)
    pro = world.pro(MONTPELLIER, days=(3,), slot="N")
    book(pro, _other_shift(world, 3))
    return Case(pro, shift, timezone.now())


def case_guard_24h(world):
    """A 24 h guard booked on day 2 (08:00 → 08:00): the night of day 3 comes 12 h after it."""
    shift = world.shift(world.estab(MONTPELLIER), day=3, hour=20, positions=2)
    pro = world.pro(MONTPELLIER, days=(3,), slot="N")
    book(pro, _other_shift(world, 2, hours=24))
    return Case(pro, shift, timezone.now())


def case_hours_48(world):
    """Four 12 h day shifts booked on the four days before: a fifth makes 60 h in 7 days."""
    pro, shift = _scene(world)
    for day in (-1, 0, 1, 2):
        book(pro, _other_shift(world, day))
    return Case(pro, shift, timezone.now())


def case_monthly_cap(world):
    """Already booked to the monthly cap in the shift's month."""
    shift = world.shift(world.estab(MONTPELLIER), day=3, positions=2)
    pro = world.pro(MONTPELLIER, days=(3,), max_missions=1)
    other_day = next(d for d in range(-27, 31) if abs(d - 3) >= 3 and world.day(d).month == world.day(3).month)
    book(pro, _other_shift(world, other_day))
    return Case(pro, shift, timezone.now())


def case_monthly_cap_with_pending_offers(world):
    shift = world.shift(world.estab(MONTPELLIER), day=3, positions=2)
    pro = world.pro(MONTPELLIER, days=(3,), max_missions=1)
    other_day = next(d for d in range(3, 31) if abs(d - 3) >= 3 and world.day(d).month == world.day(3).month)
    offer(pro, _other_shift(world, other_day))
    return Case(pro, shift, timezone.now())


#: Each case and the rule it is about (the first rule that excludes the professional).
CASES = {
    "shift_closed": (case_shift_closed_cancelled, case_shift_closed_started),
    "already_booked": (case_already_booked,),
    "offered": (case_offered,),
    "declined": (case_declined, case_declined_expired),
    "profession": (case_profession,),
    "contract_route": (case_contract_route,),
    "skills": (case_skills,),
    "distance": (case_distance,),
    "blocked": (case_blocked_by_professional, case_blocked_by_establishment),
    "insurance": (case_insurance_expired, case_insurance_missing),
    "availability": (case_availability,),
    "notice": (case_notice,),
    "slot_taken": (case_slot_taken_by_a_mission, case_slot_taken_by_a_pending_offer),
    "rest_11h": (case_rest_11h, case_rest_11h_against_a_pending_offer, case_rest_11h_day_then_night),
    "guard_24h": (case_guard_24h,),
    "hours_48": (case_hours_48,),
    "monthly_cap": (case_monthly_cap, case_monthly_cap_with_pending_offers),
}
PARAMS = [pytest.param(code, make, id=make.__name__.removeprefix("case_")) for code, makes in CASES.items()
          for make in makes]


def test_every_rule_has_a_case():
    assert set(CASES) == {rule.code for rule in RULES}


@pytest.mark.parametrize(("code", "make"), PARAMS)
def test_the_rule_excludes_and_both_checks_agree(world, code, make):
    case = make(world)
    codes = row_codes(case.pro, case.shift, case.now)
    assert codes[0] == code, codes
    part = load([case.shift, *case.others], case.now)
    assert vector_codes(part, case.pro.pk, case.shift.pk) == set(codes)


@pytest.mark.parametrize(("code", "make"), PARAMS)
def test_the_professionals_explanation_names_the_rule(world, code, make):
    case = make(world)
    rule_text = exclusions_for(professional=case.pro, shift=case.shift, now=case.now)[0].for_professional
    texts = explain_for_professional(professional=case.pro, shift=case.shift, now=case.now)
    assert texts[0] == rule_text
    assert not any("plus proches" in t or "Vous êtes éligible" in t for t in texts), texts


@pytest.mark.parametrize(("code", "make"), PARAMS)
def test_hr_counts_put_the_professional_under_the_rule_and_add_up(world, code, make):
    case = make(world)
    eligible = world.pro(CASTELNAU, days=(3,), slot="N", skills=("SI06",))  # a control: eligible unless the shift is not
    world.available(eligible, 3, "D")
    rows = exclusion_counts(shift=case.shift, now=case.now)
    counts = {c: n for c, n, _sentence in rows}
    assert rows[0][0] == "within_reach" and rows[-1][0] == "eligible"
    assert sum(n for _c, n, _s in rows[1:]) == counts["within_reach"]  # each one counted once
    shift_wide = RULE_BY_CODE[code].field == "shift"
    if code in ("profession", "distance"):  # not within reach, not counted: the scene's nurse and the control are
        assert counts == {"within_reach": 2, "eligible": 2}
    elif shift_wide:
        assert counts == {"within_reach": 2, code: 2, "eligible": 0}
    else:
        assert counts == {"within_reach": 2, code: 1, "eligible": 1}
    assert all(sentence.startswith(str(n)) for _c, n, sentence in rows)


def test_the_rest_rule_against_a_pending_offer_is_the_reason_given_not_distance(world):
    """The issue's report, through the nightly matching: the nurse got the night before (pending);
    the day after was offered to someone else. The page used to say "others were closer"."""
    est = world.estab(MONTPELLIER)
    night = world.shift(est, day=2, hour=20, urgency=5)
    day = world.shift(est, day=3, urgency=1)
    nurse = world.pro(MONTPELLIER, days=(3,))
    world.available(nurse, 2, "N")
    other = world.pro(CASTELNAU, days=(3,))
    matching_run_region(region_code="76", start=world.start)
    assert {(p.professional, p.shift) for p in night.proposals.all()} == {(nurse, night)}
    assert {p.professional for p in day.proposals.all()} == {other}
    texts = explain_for_professional(professional=nurse, shift=day)
    assert len(texts) == 1 and texts[0].startswith("Repos insuffisant"), texts
    assert "qui vous est proposée" in texts[0]
    assert row_codes(nurse, day, timezone.now()) == ["rest_11h"]
