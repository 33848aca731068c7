"""The professionals demo step: every kind of professional (notice 2 h to 48 h, with and without
urgent SMS), and on-call nurses near each demo establishment, insured, with a verified mobile,
available tonight and tomorrow night — so that an urgent nurse night for this evening can be filled;
civilities a mix of Madame, Monsieur and not stated."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Civility
from establishments import demo as establishments_demo
from establishments.models import Establishment
from notifications.selectors import sms_choice_for
from professionals import demo
from professionals.models import Availability, Notice, Professional, Slot, slot_bounds
from ville_hopital import demo as platform_demo
from ville_hopital.demo import DemoContext

pytestmark = pytest.mark.django_db


def seed(rng_seed: int = 2026) -> DemoContext:
    ctx = DemoContext(rng=random.Random(rng_seed), size=1)
    platform_demo.seed(ctx)
    establishments_demo.seed(ctx)
    demo.seed(ctx)
    return ctx


def test_the_demo_has_every_notice_and_both_sms_choices_and_on_call_nurses_for_tonight():
    ctx = seed()
    pool = Professional.objects.filter(user__email__startswith="pro0").select_related("user")
    assert set(pool.values_list("min_notice_hours", flat=True)) == set(Notice.values)
    choices = [sms_choice_for(p.user) for p in pool]
    with_sms = [c for c in choices if c.urgent_sms]
    assert 0.2 < len(with_sms) / len(choices) < 0.5
    assert all(c.number.startswith("+262639") for c in with_sms)  # verified, in ARCEP's fiction range
    assert not any(c.phone for c in choices if not c.urgent_sms)

    today = timezone.localdate()
    tonight, tomorrow = (today, Slot.NIGHT), (today + timedelta(days=1), Slot.NIGHT)
    standby = Professional.objects.filter(user__email__startswith="garde").select_related("user", "home_commune")
    communes = set(Establishment.objects.values_list("commune_id", flat=True))
    assert Counter(p.home_commune_id for p in standby) == {c: demo.STANDBY_PER_COMMUNE for c in communes}
    for nurse in standby:
        assert (nurse.profession_id, nurse.min_notice_hours) == ("60", Notice.H2)
        choice = sms_choice_for(nurse.user)
        assert choice.number and choice.urgent_sms and choice.night_sms
        assert Professional.objects.eligible_on(today + timedelta(days=1)).filter(pk=nurse.pk).exists()  # insured
        declared = set(Availability.objects.filter(professional=nurse).values_list("day", "slot"))
        expected = {key for key in (tonight, tomorrow) if slot_bounds(*key)[0] > timezone.now()}
        assert declared == expected
    assert ("Infirmier de garde (Mende, préavis 2 h, SMS)", demo.STANDBY_LOGIN) in ctx.logins
    assert standby.get(user__email=demo.STANDBY_LOGIN).home_commune_id == demo.MENDE

    # Civilities as people answer an optional question: both, and some who did not say.
    civilities = Counter(p.user.civility for p in pool)
    assert set(civilities) == set(Civility.values) and civilities[Civility.NOT_STATED] < len(pool) / 2
    assert all(p.user.civility != Civility.MADAME for p in pool if p.user.first_name in demo.MASCULINE_FIRST_NAMES)
    assert all(p.user.civility == Civility.NOT_STATED for p in pool if p.user.first_name == "Camille")
    assert ("Infirmière (Mende, préavis 24 h)", demo.KNOWN_LOGIN) in ctx.logins

    # Idempotent: a second run creates nobody and leaves the choices as they are.
    count = Professional.objects.count()
    seed()
    assert Professional.objects.count() == count
