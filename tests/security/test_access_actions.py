"""``Model.objects.for_user(user, action)``: the one access method, for every tenant model.

One world: professional Alice booked on a shift of site 1 (admin, HR Bob, viewer Vera), which
shares it with sister site 2 of the same legal entity (HR Sam); Charlie is an outsider (a
professional and an HR member elsewhere). For each model and action, exactly the expected people
get the row — a misspelt action is refused, never read as "everything" or "nothing".
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from establishments.access import (
    establishment_allows,
    establishment_or_404,
    establishment_require,
    row_to_change_or_404,
)
from establishments.models import Establishment, MemberRole, Shift, Unit
from establishments.services import shift_share_with_legal_entity
from missions.contracts.models import Contract
from missions.contracts.services import contract_draft
from missions.core.models import Mission, Proposal
from notifications.models import Notification
from professionals.models import Availability, Credential, Professional
from tests.factories import (
    book,
    finess,
    insure,
    make_availability,
    make_establishment,
    make_professional,
    make_shift,
    make_user,
    next_number,
)
from ville_hopital.access import ADMIN, CHANGE, VIEW

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    legal = finess(f"48{next_number():06d}")
    admin, bob, vera, sam, charlie_hr = (make_user() for _ in range(5))
    site_1 = make_establishment(admin=admin, members={bob: MemberRole.HR, vera: MemberRole.VIEWER},
                                finess_legal=legal)
    make_establishment(admin=sam, finess_legal=legal)
    make_establishment(admin=charlie_hr)
    alice = make_professional()
    charlie = make_professional()
    shift = make_shift(site_1)
    shift = shift_share_with_legal_entity(actor=admin, shift=shift)
    mission = book(shift, alice)
    make_availability(alice, shift.starts_at.date() + timedelta(days=3))
    insure(charlie)
    contract_draft(mission=mission)
    people = {
        "alice": alice.user, "admin": admin, "bob": bob, "vera": vera, "sam": sam,
        "charlie": charlie.user, "charlie_hr": charlie_hr, "anonymous": AnonymousUser(),
    }
    return people, alice, mission


def who(queryset_of, people, row_filter) -> set[str]:
    return {name for name, user in people.items() if queryset_of(user).filter(**row_filter).exists()}


SITE_WRITERS = {"admin", "bob"}
SITE_MEMBERS = SITE_WRITERS | {"vera"}


def test_establishment_actions(world):
    people, _, mission = world
    pk = {"pk": mission.shift.establishment_id}
    assert who(lambda u: Establishment.objects.for_user(u, VIEW), people, pk) == SITE_MEMBERS
    assert who(lambda u: Establishment.objects.for_user(u, CHANGE), people, pk) == SITE_WRITERS
    assert who(lambda u: Establishment.objects.for_user(u, ADMIN), people, pk) == {"admin"}
    unit = {"pk": mission.shift.unit_id}
    assert who(lambda u: Unit.objects.for_user(u, VIEW), people, unit) == SITE_MEMBERS
    assert who(lambda u: Unit.objects.for_user(u, CHANGE), people, unit) == SITE_WRITERS


def test_a_shared_shift_is_visible_to_the_sister_site_not_theirs_to_change(world):
    people, _, mission = world
    pk = {"pk": mission.shift_id}
    assert who(lambda u: Shift.objects.for_user(u, VIEW), people, pk) == SITE_MEMBERS | {"sam"}
    assert who(lambda u: Shift.objects.for_user(u, CHANGE), people, pk) == SITE_WRITERS


def test_proposals_and_missions_belong_to_the_professional_and_the_site(world):
    people, _, mission = world
    for model in (Mission, Proposal):
        row = {"pk": mission.pk} if model is Mission else {"shift": mission.shift_id}
        assert who(lambda u, m=model: m.objects.for_user(u, VIEW), people, row) == SITE_MEMBERS | {"sam", "alice"}
        assert who(lambda u, m=model: m.objects.for_user(u, CHANGE), people, row) == SITE_WRITERS | {"alice"}


def test_contracts_are_the_parties(world):
    people, _, mission = world
    row = {"mission": mission.pk}
    assert who(lambda u: Contract.objects.for_user(u, VIEW), people, row) == SITE_MEMBERS | {"alice"}
    assert who(lambda u: Contract.objects.for_user(u, CHANGE), people, row) == SITE_WRITERS | {"alice"}


def test_the_professional_s_own_rows(world):
    people, alice, _ = world
    for model in (Professional, Availability):
        row = {"pk": alice.pk} if model is Professional else {"professional": alice.pk}
        for action in (VIEW, CHANGE):
            assert who(lambda u, m=model, a=action: m.objects.for_user(u, a), people, row) == {"alice"}
    insurance = {"professional": alice.pk}
    # The booked site reads her documents; only she changes them.
    assert who(lambda u: Credential.objects.for_user(u, VIEW), people, insurance) == SITE_MEMBERS | {"alice"}
    assert who(lambda u: Credential.objects.for_user(u, CHANGE), people, insurance) == {"alice"}
    mine = {"recipient": alice.user}
    assert who(lambda u: Notification.objects.for_user(u, CHANGE), people, mine) <= {"alice"}


@pytest.mark.parametrize("model", [Establishment, Unit, Shift, Professional, Credential, Availability, Mission,
                                   Proposal, Contract, Notification])
def test_a_misspelt_action_is_refused(world, model):
    people, _, _ = world
    with pytest.raises(ValueError, match="unknown access action"):
        model.objects.for_user(people["bob"], "veiw")


def test_one_establishment_s_roles_are_asked_of_for_user(world):
    """``establishments.access``: the services' check (403 for anyone not allowed) and the views'
    gates (404 for a non-member — a sister site included —, 403 for a member whose role only reads)."""
    people, _, mission = world
    site = mission.shift.establishment
    for name, allowed in (("admin", {VIEW, CHANGE, ADMIN}), ("bob", {VIEW, CHANGE}), ("vera", {VIEW}), ("sam", set())):
        for action in (VIEW, CHANGE, ADMIN):
            assert establishment_allows(people[name], site, action) is (action in allowed), (name, action)
            if action not in allowed:
                with pytest.raises(PermissionDenied):
                    establishment_require(people[name], site, action)
    assert establishment_or_404(people["bob"], site.pk, CHANGE) == site
    with pytest.raises(PermissionDenied):
        establishment_or_404(people["vera"], site.pk, CHANGE)
    with pytest.raises(Http404):
        establishment_or_404(people["sam"], site.pk, VIEW)


def test_an_hr_action_takes_the_row_as_change_has_it(world):
    people, _, mission = world
    shifts, missions = Shift.objects.all(), Mission.objects.all()
    assert row_to_change_or_404(shifts, people["bob"], mission.shift_id, establishment="establishment_id") == mission.shift
    assert row_to_change_or_404(missions, people["admin"], mission.pk, establishment="shift__establishment_id") == mission
    with pytest.raises(PermissionDenied):  # the site's viewer: a role that only reads
        row_to_change_or_404(shifts, people["vera"], mission.shift_id, establishment="establishment_id")
    for name in ("sam", "charlie_hr", "alice"):  # the sister site sees it; the professional is no HR
        with pytest.raises(Http404):
            row_to_change_or_404(missions, people[name], mission.pk, establishment="shift__establishment_id")
    assert Shift.objects.for_user(people["sam"], VIEW).filter(pk=mission.shift_id).exists()
