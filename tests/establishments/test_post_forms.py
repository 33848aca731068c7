"""HR's one-field actions go through a form: the establishment switch, sharing a shift, cancelling it
and closing a mission from the board. A malformed value is refused with a message naming the field
(or a 400 where the action has no page) and writes nothing; an off-site ``next`` is refused too; an
outsider still gets a 404."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from establishments.models import ShiftState
from missions.core.models import MissionState
from tests.factories import book, make_professional, move_to_past, post_shift
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db

EVIL = "https://evil.example/"


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def board(establishment) -> str:
    return reverse("missions:hr_board", args=[establishment.pk])


def refused(client, user, url: str, data: dict, establishment) -> list[str]:
    """``user`` posts ``data``: sent back to the board with what was refused (the messages)."""
    client.force_login(user)
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == board(establishment)
    return said(response)


@pytest.fixture
def shift(alice, shift_kwargs):
    return post_shift(actor=alice, **shift_kwargs)


@pytest.fixture
def mission(shift):
    mission = book(shift, make_professional())
    move_to_past(shift)
    return mission


# --------------------------------------------------------------------------- the switch


def test_the_switch_opens_the_chosen_establishment(client, alice, establishment_a):
    client.force_login(alice)
    response = client.post(reverse("establishments:switch"), {"establishment": str(establishment_a.pk)})
    assert response.status_code == 302 and response["Location"] == reverse("establishments:detail", args=[establishment_a.pk])


@pytest.mark.parametrize("value", [None, "", "abc", "-3", "0", "1.5", "9" * 30])
def test_a_malformed_switch_is_a_400_naming_the_field(client, alice, establishment_a, value):
    client.force_login(alice)
    response = client.post(reverse("establishments:switch"), {} if value is None else {"establishment": value})
    html = response.content.decode()
    assert response.status_code == 400 and "Établissement : " in html and "Saisie refusée" in html


def test_switching_to_another_establishment_is_a_404(client, alice, establishment_a, establishment_b):
    client.force_login(alice)
    assert client.post(reverse("establishments:switch"), {"establishment": establishment_b.pk}).status_code == 404


# --------------------------------------------------------------------------- sharing a shift


def test_sharing_then_keeping_a_shift(client, alice, establishment_a, shift):
    client.force_login(alice)
    url = reverse("establishments:shift_share", args=[shift.pk])
    assert client.post(url, {"shared": "1"})["Location"] == board(establishment_a)
    shift.refresh_from_db()
    assert shift.shared_with_legal_entity
    client.post(url, {"shared": "0"})
    shift.refresh_from_db()
    assert not shift.shared_with_legal_entity


@pytest.mark.parametrize("value", [None, "", "2", "oui", "true"])
def test_a_malformed_share_is_refused_naming_the_field(client, alice, establishment_a, shift, value):
    url = reverse("establishments:shift_share", args=[shift.pk])
    assert refused(client, alice, url, {} if value is None else {"shared": value}, establishment_a) == ["Partage avec l'entité juridique : indiquez 1 (partager) ou 0 (réserver au site)."]
    shift.refresh_from_db()
    assert not shift.shared_with_legal_entity
    assert not AuditEvent.objects.filter(action__startswith="shift.share").exists()


def test_sharing_someone_elses_shift_is_a_404_and_a_viewer_gets_a_403(client, bob, charlie, shift):
    url = reverse("establishments:shift_share", args=[shift.pk])
    client.force_login(charlie)
    assert client.post(url, {"shared": "1"}).status_code == 404
    client.force_login(bob)
    assert client.post(url, {"shared": "1"}).status_code == 403
    shift.refresh_from_db()
    assert not shift.shared_with_legal_entity


# --------------------------------------------------------------------------- cancelling a shift


def test_cancel_goes_back_to_the_page_it_was_sent_from(client, alice, establishment_a, shift):
    client.force_login(alice)
    back = f"{board(establishment_a)}?statut=unfilled"
    response = client.post(reverse("missions:hr_shift_cancel", args=[shift.pk]),
                           {"reason": "  Fermeture de lits ", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    shift.refresh_from_db()
    assert shift.state == ShiftState.CANCELLED and shift.cancel_reason == "Fermeture de lits"


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Motif : Indiquez le motif de l'annulation : le professionnel le recevra."),
    ({"reason": "   "}, "Motif : Indiquez le motif de l'annulation : le professionnel le recevra."),
    ({"reason": "x" * 10_000}, "Motif : Le motif ne doit pas dépasser 300 caractères."),
    ({"reason": "Fermeture de lits", "next": EVIL}, "Page de retour : l'adresse doit être une page de ce site."),
    ({"reason": "Fermeture de lits", "next": "//evil.example/board"},
     "Page de retour : l'adresse doit être une page de ce site."),
])
def test_a_malformed_cancel_is_refused_naming_the_field(client, alice, establishment_a, shift, data, message):
    assert refused(client, alice, reverse("missions:hr_shift_cancel", args=[shift.pk]), data, establishment_a) == [message]
    shift.refresh_from_db()
    assert shift.state == ShiftState.PUBLISHED and shift.cancel_reason == ""
    assert not AuditEvent.objects.filter(action="shift.cancel").exists()


def test_cancelling_someone_elses_shift_is_a_404(client, charlie, shift):
    client.force_login(charlie)
    assert client.post(reverse("missions:hr_shift_cancel", args=[shift.pk]), {"reason": "x"}).status_code == 404
    shift.refresh_from_db()
    assert shift.state == ShiftState.PUBLISHED


# --------------------------------------------------------------------------- closing a mission


def test_service_fait_goes_back_to_the_page_it_was_sent_from(client, alice, establishment_a, mission):
    client.force_login(alice)
    back = f"{board(establishment_a)}?page=2"
    response = client.post(reverse("missions:hr_mission_complete", args=[mission.pk]),
                           {"outcome": MissionState.DONE, "next": back})
    assert response.status_code == 302 and response["Location"] == back
    mission.refresh_from_db()
    assert mission.state == MissionState.DONE


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Issue : choisissez « Service fait » ou « Absence »."),
    ({"outcome": "cancelled"}, "Issue : choisissez « Service fait » ou « Absence »."),
    ({"outcome": "booked"}, "Issue : choisissez « Service fait » ou « Absence »."),
    ({"outcome": "done", "next": EVIL}, "Page de retour : l'adresse doit être une page de ce site."),
])
def test_a_malformed_outcome_is_refused_naming_the_field(client, alice, establishment_a, mission, data, message):
    url = reverse("missions:hr_mission_complete", args=[mission.pk])
    assert refused(client, alice, url, data, establishment_a) == [message]
    mission.refresh_from_db()
    assert mission.state == MissionState.BOOKED and mission.closed_at is None
    assert not AuditEvent.objects.filter(action="mission.complete").exists()


def test_closing_someone_elses_mission_is_a_404(client, charlie, mission):
    client.force_login(charlie)
    response = client.post(reverse("missions:hr_mission_complete", args=[mission.pk]), {"outcome": "done"})
    assert response.status_code == 404
    mission.refresh_from_db()
    assert mission.state == MissionState.BOOKED
