"""HR's page for an unfilled shift reads its two typed fields through forms: the professional to offer
the shift to and the raised pay. A malformed value is refused with a message naming the field and
writes nothing; another establishment's HR still gets a 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from missions.core.models import Proposal
from ville_hopital.models import AuditEvent

from .conftest import nurse

PAY_REFUSED = "Nouvelle rémunération par poste (€ HT) : "


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def act(shift) -> str:
    return reverse("missions:hr_shift_act", args=[shift.pk])


def test_offering_to_a_named_professional(client, scene, pin):
    pin(15)
    shift = scene.shift()
    chosen = nurse(shift=shift)
    client.force_login(scene.alice)
    response = client.post(reverse("missions:hr_shift_offer", args=[shift.pk]), {"professional": f" {chosen.pk} "})
    assert response.status_code == 302 and response["Location"] == act(shift)
    assert Proposal.objects.filter(shift=shift, professional=chosen).exists()


@pytest.mark.parametrize("value", [None, "", "abc", "-1", "0", "1e3", "9" * 30])
def test_a_malformed_professional_is_refused_naming_the_field(client, scene, pin, value):
    pin(15)
    shift = scene.shift()
    nurse(shift=shift)
    client.force_login(scene.alice)
    response = client.post(reverse("missions:hr_shift_offer", args=[shift.pk]),
                           {} if value is None else {"professional": value})
    assert response.status_code == 302 and response["Location"] == act(shift)
    [message] = said(response)
    assert message.startswith("Professionnel : ")
    assert not Proposal.objects.exists()


def test_an_unknown_professional_or_another_establishments_shift_is_a_404(client, scene, pin):
    pin(15)
    shift = scene.shift()
    chosen = nurse(shift=shift)
    client.force_login(scene.alice)
    assert client.post(reverse("missions:hr_shift_offer", args=[shift.pk]), {"professional": "987654"}).status_code == 404
    client.force_login(scene.charlie)
    assert client.post(reverse("missions:hr_shift_offer", args=[shift.pk]), {"professional": chosen.pk}).status_code == 404
    assert not Proposal.objects.exists()


def test_a_professional_the_search_could_not_show_is_a_404_one_it_shows_gets_the_reason(client, scene, pin):
    """HR names only people the offer search shows them (eligible, worked here, already asked);
    any other professional's id is as missing as an unknown one, and says nothing about them."""
    pin(15)
    shift = scene.shift()
    stranger = nurse()  # no half-day declared: not eligible, never asked, never worked here
    client.force_login(scene.alice)
    assert client.post(reverse("missions:hr_shift_offer", args=[shift.pk]), {"professional": stranger.pk}).status_code == 404
    assert not Proposal.objects.exists()

    asked = nurse(shift=shift)
    client.post(reverse("missions:hr_shift_offer", args=[shift.pk]), {"professional": asked.pk})
    response = client.post(reverse("missions:hr_shift_offer", args=[shift.pk]), {"professional": asked.pk})
    assert response.status_code == 302 and said(response)  # already asked: the service's reason, on the page
    assert Proposal.objects.filter(shift=shift).count() == 1


@pytest.mark.parametrize(("typed", "pay"), [("640,50", "640.50"), ("640.5", "640.50"), (" 620 ", "620.00")])
def test_raising_the_pay_as_people_type_it(client, scene, pin, typed, pay):
    pin(15)
    shift = scene.shift(pay=Decimal("600.00"))
    client.force_login(scene.alice)
    response = client.post(reverse("missions:hr_shift_raise", args=[shift.pk]), {"pay": typed})
    assert response.status_code == 302 and response["Location"] == act(shift)
    shift.refresh_from_db()
    assert shift.pay == Decimal(pay)


@pytest.mark.parametrize("typed", [None, "", "abc", "six cents", "NaN", "Infinity", "640,505", "-5", "0", "1e400"])
def test_a_pay_that_is_not_an_amount_is_refused_naming_the_field(client, scene, pin, typed):
    pin(15)
    shift = scene.shift(pay=Decimal("600.00"))
    client.force_login(scene.alice)
    response = client.post(reverse("missions:hr_shift_raise", args=[shift.pk]), {} if typed is None else {"pay": typed})
    assert response.status_code == 302 and response["Location"] == act(shift)
    [message] = said(response)
    assert message.startswith(PAY_REFUSED)
    shift.refresh_from_db()
    assert shift.pay == Decimal("600.00")
    assert not AuditEvent.objects.filter(action="shift.pay_raise").exists()


def test_raising_another_establishments_shift_is_a_404(client, scene, pin):
    pin(15)
    shift = scene.shift(pay=Decimal("600.00"))
    client.force_login(scene.charlie)
    assert client.post(reverse("missions:hr_shift_raise", args=[shift.pk]), {"pay": "620"}).status_code == 404
    shift.refresh_from_db()
    assert shift.pay == Decimal("600.00")
