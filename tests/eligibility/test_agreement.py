"""On a small generated world, the vectorised checks (the matching's) and the row checks (the
explanations', ``proposal_create``'s) give the same verdict for every pair, rule by rule; HR's counts
are the row checks' verdicts counted; the urgent ranking is the row checks' eligible, nearest first.

The world keeps to the platform's templates (day 08:00–20:00, night 20:00–08:00, 24 h guard from
08:00), where the half-day slot model and the hours agree, and to at most two 12 h bookings per
professional (so that 48 h / 7 days never binds here: its own case is in test_each_rule.py).
"""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from establishments.models import Shift, ShiftState
from missions.core.eligibility import RULES, Pairs, first_failures
from missions.core.models import EstablishmentBlock, Mission, ProposalState
from missions.platform.eligible import REACH_CODES, eligible_professionals, exclusion_counts
from tests.eligibility.conftest import book, offer
from tests.eligibility.helpers import load, row_codes

COMMUNES = ("34172", "34057", "34129", "34198", "34154", "34032")  # Montpellier, its first ring, Béziers
TEMPLATES = ((8, 12), (20, 12))
GUARD = (8, 24)


def _generate(world, rng: random.Random):
    now = world.at(1, 12)  # noon of day 1: that morning's shifts have started
    ests = [world.estab(c) for c in COMMUNES]
    shifts = []
    for i in range(12):
        hour, hours = GUARD if rng.random() < 0.2 else rng.choice(TEMPLATES)
        profession = "70" if rng.random() < 0.2 else "60"
        skills = ("SI06",) if profession == "60" and rng.random() < 0.2 else ()
        shifts.append(world.shift(rng.choice(ests), day=rng.randint(1, 5), hour=hour, hours=hours,
                                  profession=profession, skills=skills, positions=rng.randint(1, 2),
                                  **({"route": "forbidden"} if i == 0 else {})))
    Shift.objects.filter(pk=shifts[1].pk).update(state=ShiftState.CANCELLED)
    extra = [world.shift(rng.choice(ests), day=3, hour=hour) for hour, _h in TEMPLATES]  # bookings only
    for shift, day in zip(extra, (0, 6), strict=True):  # just outside the horizon, within the rules' reach
        Shift.objects.filter(pk=shift.pk).update(starts_at=world.at(day, shift.starts_at.hour),
                                                 ends_at=world.at(day, shift.starts_at.hour) + (shift.ends_at - shift.starts_at))
    for shift in (*shifts, *extra):
        shift.refresh_from_db()
    bookable = [s for s in (*shifts, *extra) if s.hours == 12]
    pros = []
    for _ in range(14):
        profession = "70" if rng.random() < 0.2 else "60"
        insured = rng.choice(["default", "default", None, world.day(2)])
        pro = world.pro(rng.choice(COMMUNES), radius=rng.choice((5, 10, 20, 40)), profession=profession,
                        skills=("SI06",) if profession == "60" and rng.random() < 0.4 else (),
                        max_missions=rng.choice((1, 2, 10)), notice=rng.choice((2, 6, 12, 24, 48)),
                        insured_until=insured)
        for day in range(1, 6):
            for slot in ("D", "N"):
                if rng.random() < 0.5:
                    world.available(pro, day, slot)
        if rng.random() < 0.15:
            pro.blocked_establishments.add(rng.choice(ests))
        if rng.random() < 0.15:
            EstablishmentBlock.objects.create(establishment=rng.choice(ests), professional=pro, created_by=world.hr)
        for shift in rng.sample(bookable, k=rng.choice((0, 1, 2))):
            kind = rng.choice(("mission", "pending", "pending", "declined", "expired"))
            if kind == "mission" and Mission.objects.filter(shift=shift).count() < shift.positions:
                book(pro, shift)
            elif kind != "mission":
                offer(pro, shift, state={"pending": ProposalState.PENDING, "declined": ProposalState.DECLINED,
                                         "expired": ProposalState.EXPIRED}[kind], now=now)
        pros.append(pro)
    return now, shifts, pros


@pytest.fixture(params=[1, 2, 3], ids=lambda seed: f"seed{seed}")
def generated(world, request):
    return _generate(world, random.Random(request.param))


def test_vectorised_and_row_checks_agree_pair_by_pair(generated):
    now, shifts, _pros = generated
    part = load(shifts, now)
    inst = part.instance
    n_pros, n_shifts = len(inst.pros), len(inst.shifts)
    assert n_pros >= 10 and n_shifts == len(shifts)
    pro, shift = np.repeat(np.arange(n_pros), n_shifts), np.tile(np.arange(n_shifts), n_pros)
    pairs = Pairs(part, pro, shift)
    vector = {rule.code: rule.vector(pairs) for rule in RULES}
    by_pk = {s.pk: s for s in shifts}
    from professionals.models import Professional

    people = Professional.objects.in_bulk([int(i) for i in inst.pros.ids])
    seen = Counter()
    for k in range(len(pairs)):
        professional, the_shift = people[int(inst.pros.ids[pro[k]])], by_pk[int(inst.shifts.ids[shift[k]])]
        row = set(row_codes(professional, the_shift, now))
        vec = {code for code, bad in vector.items() if bad[k]}
        assert vec == row, (professional.pk, the_shift.pk, the_shift.starts_at, sorted(row), sorted(vec))
        seen.update(row or {"eligible"})
    # The world exercises most rules (and the first-failure evaluation agrees with the full one).
    assert len(seen) >= 10, seen
    first = first_failures(pairs)
    for k in range(len(pairs)):
        failing = [i for i, rule in enumerate(RULES) if vector[rule.code][k]]
        assert first[k] == (failing[0] if failing else -1)


def test_hr_counts_are_the_row_checks_counted(generated):
    now, shifts, pros = generated
    for shift in shifts:
        firsts = Counter()
        for professional in pros:
            codes = row_codes(professional, shift, now)
            if not set(codes) & set(REACH_CODES):
                firsts[codes[0] if codes else "eligible"] += 1
        rows = exclusion_counts(shift=shift, now=now)
        assert rows[0] == ("within_reach", sum(firsts.values()), rows[0][2])
        assert {code: n for code, n, _s in rows[1:] if n} == dict(firsts), shift.pk  # "eligible" may say 0
        assert [code for code, _n, _s in rows[1:-1]] == [r.code for r in RULES if r.code in firsts]


def test_eligible_professionals_are_the_row_checks_eligible_nearest_first(generated):
    now, shifts, pros = generated
    for shift in shifts:
        ranked = eligible_professionals(shift=shift, now=now)
        assert {p.pk for p, _km in ranked} == {p.pk for p in pros if not row_codes(p, shift, now)}
        assert [round(km, 3) for _p, km in ranked] == sorted(round(km, 3) for _p, km in ranked)
