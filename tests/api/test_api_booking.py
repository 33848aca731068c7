"""The booking resources both parties share (``missions.booking.api``: offers and missions;
``missions.contracts.api``: contracts and their PDF). Each endpoint as the professional it is about
(pro), another professional (other), HR of the shift's site (alice: reads; acts on missions), its
viewer (bob: reads; a write is a 403 saying why), HR of another site (charlie: 404) and anonymous
(401/403). The services of the pages do the work: a refused change of state is a 409 naming the
state, a cancel without its reason a 400 naming ``reason``, bad input a 400 naming the field, with
nothing written; the webhooks of the services leave; the lists answer in constant queries."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from establishments.models import MemberRole, Membership
from establishments.services_tokens import integration_token_create
from missions.contracts.services import contract_draft
from missions.core.models import Mission, MissionState, Proposal, ProposalSource, ProposalState
from tests.factories import (
    book,
    in_days,
    make_professional,
    make_proposal,
    make_shift,
    make_user,
    move_to_past,
)
from ville_hopital.models import AuditEvent
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.services import webhook_subscription_create

OFFERS, MISSIONS, CONTRACTS = "/api/v1/offers/", "/api/v1/missions/", "/api/v1/contracts/"


def post(client, url: str, body=None) -> object:
    if body is None:
        return client.post(url)
    return client.post(url, json.dumps(body), content_type="application/json")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def audits() -> int:
    """The audit rows of offers, missions and contracts (a sign-in is audited too)."""
    return AuditEvent.objects.filter(action__regex=r"^(proposal|mission|contract)\.").count()


@pytest.fixture
def other(scene):
    return make_professional(commune="48095")


@pytest.fixture
def offer(scene):
    return make_proposal(make_shift(scene.site, by=scene.alice, starts_at=in_days(12)), scene.pro)


def readers_and_strangers(scene, other, url: str, *, listed: int | None = None) -> None:
    """Both parties read ``url``; another professional and HR of another site get a 404 (a list:
    without the row), anonymous a refusal."""
    for user in (scene.pro.user, scene.alice, scene.bob):
        response = scene.client(user).get(url)
        if listed is None:
            assert response.status_code == 200, (user, response.content)
        else:
            assert listed in ids(response), user
    for user in (other.user, scene.charlie):
        response = scene.client(user).get(url)
        if listed is None:
            assert response.status_code == 404, user
        else:
            assert listed not in ids(response), user
    assert scene.client(None).get(url).status_code in (401, 403)


# --------------------------------------------------------------------------- offers


def test_offers_are_read_by_both_parties_alone(scene, other, offer):
    readers_and_strangers(scene, other, OFFERS, listed=offer.pk)
    readers_and_strangers(scene, other, f"{OFFERS}{offer.pk}/")
    row = scene.client(scene.pro.user).get(f"{OFFERS}{offer.pk}/").json()
    assert (row["shift"], row["state"], row["source"], row["mission"]) == (offer.shift_id, "pending", "manual", None)
    assert row["establishment"] == scene.site.pk and row["professional_rpps"] == scene.pro.rpps
    assert row["pay"] == str(offer.shift.pay) and row["starts_at"]


def test_the_offers_filters(scene, offer):
    client = scene.client(scene.alice)
    declined = make_proposal(make_shift(scene.site, by=scene.alice, starts_at=in_days(14)), scene.pro)
    assert post(scene.client(scene.pro.user), f"{OFFERS}{declined.pk}/decline/", {}).status_code == 200
    assert ids(client.get(f"{OFFERS}?state=pending")) == [offer.pk]
    assert ids(client.get(f"{OFFERS}?state=declined")) == [declined.pk]
    assert ids(client.get(f"{OFFERS}?shift={offer.shift_id}")) == [offer.pk]
    assert ids(client.get(f"{OFFERS}?establishment={scene.other.pk}")) == []
    assert ids(client.get(f"{OFFERS}?establishment={scene.site.pk}")) == [offer.pk, declined.pk]
    for bad in ("state=bogus", "shift=x", "establishment=", "starts_after=demain", "source=x"):
        response = client.get(f"{OFFERS}?{bad}")
        assert response.status_code == 400 and bad.split("=")[0] in response.json(), bad


def test_accepting_is_the_professionals(scene, other, offer):
    url = f"{OFFERS}{offer.pk}/accept/"
    before = audits()
    for user in (scene.alice, scene.bob):  # they see the offer: refused, saying why
        response = post(scene.client(user), url)
        assert response.status_code == 403 and "adressée" in response.json()["detail"]
    for user in (other.user, scene.charlie):
        assert post(scene.client(user), url).status_code == 404
    assert post(scene.client(None), url).status_code in (401, 403)
    unknown = post(scene.client(scene.pro.user), url, {"bogus": 1})
    assert unknown.status_code == 400 and unknown.json() == {"bogus": ["Champ inconnu."]}
    assert post(scene.client(scene.pro.user), url, ["x"]).status_code == 400
    assert audits() == before and not Mission.objects.exists()

    accepted = post(scene.client(scene.pro.user), url)
    assert accepted.status_code == 200, accepted.content
    mission = Mission.objects.get()
    assert accepted.json()["id"] == mission.pk and accepted.json()["shift"] == offer.shift_id
    assert accepted.json()["state"] == "booked" and accepted.json()["professional_rpps"] == scene.pro.rpps
    again = post(scene.client(scene.pro.user), url)  # a retried request: the same mission
    assert again.status_code == 200 and again.json()["id"] == mission.pk and Mission.objects.count() == 1
    declined = post(scene.client(scene.pro.user), f"{OFFERS}{offer.pk}/decline/", {})
    assert declined.status_code == 409 and "acceptée" in declined.json()["state"][0]
    board = scene.client(scene.bob).get(f"/api/v1/shifts/{offer.shift_id}/").json()
    assert (board["filled"], board["board_status"]) == (1, "filled")


def test_declining_then_accepting_is_a_conflict(scene, other, offer):
    url = f"{OFFERS}{offer.pk}/decline/"
    for user in (scene.alice, scene.bob):
        assert post(scene.client(user), url, {}).status_code == 403
    assert post(scene.client(None), url, {}).status_code in (401, 403)
    assert post(scene.client(scene.charlie), url, {}).status_code == 404
    assert post(scene.client(other.user), url, {}).status_code == 404
    for bad in ({"reason": ["x"]}, {"reason": "x" * 301}, {"reason": "x", "extra": 1}):
        response = post(scene.client(scene.pro.user), url, bad)
        assert response.status_code == 400, bad
        assert set(response.json()) <= {"reason", "extra"}, response.json()
    offer.refresh_from_db()
    assert offer.state == ProposalState.PENDING
    declined = post(scene.client(scene.pro.user), url, {"reason": "Déjà pris ce jour-là"})
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    assert post(scene.client(scene.pro.user), url, {}).json()["state"] == "declined"  # a retry
    accepted = post(scene.client(scene.pro.user), f"{OFFERS}{offer.pk}/accept/")
    assert accepted.status_code == 409 and "déclinée" in accepted.json()["state"][0]
    assert not Mission.objects.exists()


def test_a_candidacy_is_confirmed_by_the_establishment_not_accepted(scene):
    candidacy = make_proposal(make_shift(scene.site, by=scene.alice), scene.pro, source=ProposalSource.CANDIDACY)
    response = post(scene.client(scene.pro.user), f"{OFFERS}{candidacy.pk}/accept/")
    assert response.status_code == 409 and "établissement" in response.json()["source"][0]
    english = scene.client(scene.pro.user).post(f"{OFFERS}{candidacy.pk}/accept/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 409 and "confirmed by the establishment" in english.json()["source"][0]
    assert not Mission.objects.exists()


def test_an_expired_offer_is_refused_with_the_reason(scene, offer):
    Proposal.objects.filter(pk=offer.pk).update(expires_at=in_days(-1))  # ORM: time passing
    response = post(scene.client(scene.pro.user), f"{OFFERS}{offer.pk}/accept/")
    assert response.status_code == 400 and "expiré" in response.json()["non_field_errors"][0]


# --------------------------------------------------------------------------- missions


@pytest.fixture
def mission(scene):
    return book(make_shift(scene.site, by=scene.alice, starts_at=in_days(10)), scene.pro)


@pytest.fixture
def worked(scene):
    worked = book(make_shift(scene.site, by=scene.alice, starts_at=in_days(6)), scene.pro)
    move_to_past(worked.shift)
    return Mission.objects.get(pk=worked.pk)


@pytest.fixture
def admin(scene):
    admin = make_user()
    # ORM: the scene's site has no admin to invite one (its registrant, alice, is HR).
    Membership.objects.create(user=admin, establishment=scene.site, role=MemberRole.ADMIN)
    return admin


@pytest.fixture
def subscribed(scene, admin):
    """An admin of establishment 1 subscribed to the missions' events."""
    webhook_subscription_create(actor=admin, establishment=scene.site, url="https://93.184.216.34/vh",
                                events=[WebhookEvent.MISSION_CANCELLED, WebhookEvent.MISSION_DONE])


def test_missions_are_read_by_both_parties_alone(scene, other, mission):
    readers_and_strangers(scene, other, MISSIONS, listed=mission.pk)
    readers_and_strangers(scene, other, f"{MISSIONS}{mission.pk}/")
    [row] = scene.client(scene.alice).get(MISSIONS).json()["results"]
    assert row["shift"] == mission.shift_id and row["professional_rpps"] == scene.pro.rpps
    assert row["professional_name"] == scene.pro.user.get_full_name() and row["cancelled_by"] == ""
    client = scene.client(scene.alice)
    assert ids(client.get(f"{MISSIONS}?state=booked&establishment={scene.site.pk}")) == [mission.pk]
    assert ids(client.get(f"{MISSIONS}?state=done")) == []
    assert ids(client.get(f"{MISSIONS}?starts_after={in_days(11).isoformat()}".replace("+", "%2B"))) == []
    for bad in ("state=fini", "shift=1.5", "starts_before=hier", "offset=-1", "limit=0"):
        response = client.get(f"{MISSIONS}?{bad}")
        assert response.status_code == 400 and bad.split("=")[0] in response.json(), bad


def test_cancel_by_role_and_its_reason(scene, other, mission, subscribed):
    url = f"{MISSIONS}{mission.pk}/cancel/"
    before = audits()
    viewer = post(scene.client(scene.bob), url, {"reason": "x"})
    assert viewer.status_code == 403 and "rôle" in viewer.json()["detail"]
    for user in (other.user, scene.charlie):
        assert post(scene.client(user), url, {"reason": "x"}).status_code == 404
    assert post(scene.client(None), url, {"reason": "x"}).status_code in (401, 403)
    for bad in ({}, {"reason": "   "}, {"reason": ["x"]}, {"reason": {"a": 1}}, {"reason": None}):
        response = post(scene.client(scene.pro.user), url, bad)
        assert response.status_code == 400 and list(response.json()) == ["reason"], (bad, response.json())
    unknown = post(scene.client(scene.alice), url, {"reason": "x", "by": "platform"})
    assert unknown.status_code == 400 and unknown.json() == {"by": ["Champ inconnu."]}
    too_long = post(scene.client(scene.alice), url, {"reason": "x" * 301})
    assert too_long.status_code == 400 and "reason" in too_long.json()
    mission.refresh_from_db()
    assert mission.state == MissionState.BOOKED and audits() == before and not WebhookDelivery.objects.exists()

    cancelled = post(scene.client(scene.pro.user), url, {"reason": "Empêchement familial"})
    assert cancelled.status_code == 200, cancelled.content
    assert (cancelled.json()["state"], cancelled.json()["cancelled_by"]) == ("cancelled", "professional")
    assert cancelled.json()["cancel_reason"] == "Empêchement familial"
    assert WebhookDelivery.objects.get().event == WebhookEvent.MISSION_CANCELLED  # the service's event
    again = post(scene.client(scene.alice), url, {"reason": "x"})
    assert again.status_code == 409 and "annulée" in again.json()["state"][0]


def test_the_establishment_cancels_and_the_professional_not_within_48_hours(scene):
    soon = book(make_shift(scene.site, by=scene.alice, starts_at=in_days(1)), scene.pro)
    url = f"{MISSIONS}{soon.pk}/cancel/"
    late = post(scene.client(scene.pro.user), url, {"reason": "Malade"})
    assert late.status_code == 400 and "48 h" in late.json()["non_field_errors"][0]
    english = scene.client(scene.pro.user).post(url, json.dumps({"reason": "Sick"}), content_type="application/json",
                                                HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and "48" in english.json()["non_field_errors"][0]
    by_hr = post(scene.client(scene.alice), url, {"reason": "Service fermé"})
    assert by_hr.status_code == 200 and by_hr.json()["cancelled_by"] == "establishment"


@pytest.mark.parametrize(("action", "state"), [("done", "done"), ("no-show", "no_show")])
def test_closing_is_the_establishments(scene, other, worked, mission, subscribed, action, state):
    url = f"{MISSIONS}{worked.pk}/{action}/"
    before = audits()
    assert post(scene.client(scene.bob), url).status_code == 403
    for user in (scene.pro.user, other.user, scene.charlie):
        assert post(scene.client(user), url).status_code == 404, user
    assert post(scene.client(None), url).status_code in (401, 403)
    unknown = post(scene.client(scene.alice), url, {"outcome": "done"})
    assert unknown.status_code == 400 and "outcome" in unknown.json()
    not_over = post(scene.client(scene.alice), f"{MISSIONS}{mission.pk}/{action}/")
    assert not_over.status_code == 400 and "terminée" in not_over.json()["non_field_errors"][0]
    assert audits() == before
    closed = post(scene.client(scene.alice), url)
    assert closed.status_code == 200 and closed.json()["state"] == state
    events = list(WebhookDelivery.objects.values_list("event", flat=True))
    assert events == ([WebhookEvent.MISSION_DONE] if state == "done" else [])
    again = post(scene.client(scene.alice), url)
    assert again.status_code == 409 and "state" in again.json()


# --------------------------------------------------------------------------- contracts


@pytest.fixture
def contract(mission):
    return contract_draft(mission=mission)


def test_contracts_are_read_by_both_parties_alone(scene, other, contract):
    readers_and_strangers(scene, other, CONTRACTS, listed=contract.pk)
    readers_and_strangers(scene, other, f"{CONTRACTS}{contract.pk}/")
    row = scene.client(scene.pro.user).get(f"{CONTRACTS}{contract.pk}/").json()
    assert (row["mission"], row["shift"], row["state"], row["signed_document"]) == (
        contract.mission_id, contract.mission.shift_id, "draft", False)
    client = scene.client(scene.alice)
    assert ids(client.get(f"{CONTRACTS}?mission={contract.mission_id}&state=draft")) == [contract.pk]
    assert ids(client.get(f"{CONTRACTS}?establishment={scene.other.pk}")) == []
    assert client.get(f"{CONTRACTS}?state=x").status_code == 400


def test_a_contracts_pdf(scene, other, contract):
    url = f"{CONTRACTS}{contract.pk}/pdf/"
    for user in (scene.pro.user, scene.alice, scene.bob):
        response = scene.client(user).get(url, HTTP_ACCEPT="application/pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", user
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    for user in (other.user, scene.charlie):
        assert scene.client(user).get(url).status_code == 404
    assert scene.client(None).get(url).status_code in (401, 403)
    client = scene.client(scene.pro.user)
    assert client.get(f"{url}?document=original").status_code == 200
    assert client.get(f"{url}?document=final").status_code == 404  # not signed by both yet
    for bad in ("document=signed", "page=2"):
        response = client.get(f"{url}?{bad}")
        assert response.status_code == 400 and bad.split("=")[0] in response.json(), bad
        assert response["Content-Type"] == "application/json"


# --------------------------------------------------------------------------- constant queries


def _queries(client, url: str, limit: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert len(ids(client.get(f"{url}?limit={limit}"))) == limit
    return len(queries)


def test_the_lists_answer_in_constant_queries_whatever_the_page_size(scene):
    pros = [make_professional(commune="48095", max_missions_per_month=10) for _ in range(2)]
    for day in range(3, 9):
        shift = make_shift(scene.site, by=scene.alice, starts_at=in_days(day * 3), positions=2)
        make_proposal(shift, pros[0])
        mission = book(shift, pros[1])
        if day < 6:
            contract_draft(mission=mission)
    for user in (scene.alice, pros[0].user, pros[1].user):
        client = scene.client(user)
        for url, most in ((OFFERS, 6), (MISSIONS, 6), (CONTRACTS, 3)):
            if (user, url) in ((pros[0].user, MISSIONS), (pros[0].user, CONTRACTS)):
                continue
            assert _queries(client, url, 1) == _queries(client, url, most), (user, url)


def test_an_integration_tokens_scope_decides_what_the_planning_software_may_do(scene, admin, worked):
    """A write token acts as an HR member (service fait), a read token as a viewer (403)."""
    _read, read_secret = integration_token_create(actor=admin, establishment=scene.site, name="Lecture", scope="read")
    _write, write_secret = integration_token_create(actor=admin, establishment=scene.site, name="GTT", scope="write")
    url = f"{MISSIONS}{worked.pk}/done/"
    assert scene.client(None).post(url, HTTP_AUTHORIZATION=f"Bearer {read_secret}").status_code == 403
    listed = scene.client(None).get(MISSIONS, HTTP_AUTHORIZATION=f"Bearer {read_secret}")
    assert worked.pk in ids(listed)
    done = scene.client(None).post(url, HTTP_AUTHORIZATION=f"Bearer {write_secret}")
    assert done.status_code == 200 and done.json()["state"] == "done"
