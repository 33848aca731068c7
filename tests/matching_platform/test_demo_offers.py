"""The demo's known login opens an inbox with offers to answer (``missions.demo``, before the
nightly matching): pending, of her profession, within her radius, made once."""

from __future__ import annotations

import random

import pytest

from establishments import demo as establishments_demo
from missions.core.models import Proposal, ProposalState
from missions.demo import known_login_proposals
from professionals import demo as professionals_demo
from professionals.models import Professional
from territories.geo import haversine_km
from ville_hopital import demo as platform_demo
from ville_hopital.demo import DemoContext

pytestmark = pytest.mark.django_db


def test_the_known_login_has_offers_within_reach_once():
    ctx = DemoContext(rng=random.Random(2026), size=1)
    for step in (platform_demo, establishments_demo, professionals_demo):
        step.seed(ctx)
    known = Professional.objects.select_related("home_commune").get(user__email=professionals_demo.KNOWN_LOGIN)

    assert known_login_proposals(known) == 3
    offers = Proposal.objects.filter(professional=known).select_related("shift__location")
    assert offers.count() == 3 and {o.state for o in offers} == {ProposalState.PENDING}
    home = known.home_commune
    for offer in offers:
        assert offer.shift.profession_id == known.profession_id
        km = haversine_km(home.latitude, home.longitude, offer.shift.location.latitude, offer.shift.location.longitude)
        assert km <= known.radius_km and abs(float(offer.distance_km) - km) < 0.1

    assert known_login_proposals(known) == 0  # a second seed leaves her inbox as it is
    assert Proposal.objects.filter(professional=known).count() == 3
