"""The demo's directories step: the sample files list the demo's sites and most of its people, so
HR's pages show verified professionals (and a few unverified ones); a second seed changes nothing."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from directories import demo
from directories.models import DirectoryEstablishment, DirectoryProfessional
from directories.selectors import FinessState, RppsState
from establishments import demo as establishments_demo
from establishments.models import Establishment
from establishments.selectors import establishment_finess_check
from professionals import demo as professionals_demo
from professionals.models import Professional
from professionals.selectors import set_directory_checks
from ville_hopital import demo as platform_demo
from ville_hopital.demo import DemoContext

pytestmark = pytest.mark.django_db


def test_the_demo_shows_verified_and_unverified_people_and_verified_sites():
    ctx = DemoContext(rng=random.Random(2026), size=1)
    platform_demo.seed(ctx)
    demo.seed(ctx)
    establishments_demo.seed(ctx)
    professionals_demo.seed(ctx)
    pros = list(Professional.objects.select_related("user"))
    set_directory_checks(pros)
    states = {p.user.email: p.directory_check.state for p in pros}
    assert states[professionals_demo.KNOWN_LOGIN] == RppsState.VERIFIED
    assert states[professionals_demo.STANDBY_LOGIN] == RppsState.VERIFIED
    assert all(state == RppsState.VERIFIED for email, state in states.items() if email.startswith("garde"))
    counts = Counter(states.values())
    assert counts[RppsState.VERIFIED] == 1 + 20 + 20
    assert counts[RppsState.OTHER_PROFESSION] == counts[RppsState.OTHER_NAME] == 1
    assert counts[RppsState.UNKNOWN] > 0 and counts[RppsState.NO_RPPS] > 0
    assert {establishment_finess_check(e).state for e in Establishment.objects.all()} == {FinessState.VERIFIED}

    before = (list(DirectoryProfessional.objects.values_list()), list(DirectoryEstablishment.objects.values_list()))
    demo.seed(ctx)
    after = (list(DirectoryProfessional.objects.values_list()), list(DirectoryEstablishment.objects.values_list()))
    assert after == before
