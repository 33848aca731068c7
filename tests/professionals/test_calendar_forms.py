"""The availability calendar reads what it is sent through a form: the ticked slots, the button
pressed and the shortcut. A forged value is refused on the page, naming the field, and nothing of
the month changes; someone who is not a professional still gets a 404."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from professionals.models import Availability
from tests.factories import make_availability, make_professional, make_user
from ville_hopital.months import next_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def month() -> tuple[int, int]:
    following = next_month(timezone.localdate())
    return following.year, following.month


@pytest.fixture
def pro(client, month):
    """A professional, signed in, who declared the 10th's day of next month."""
    professional = make_professional()
    make_availability(professional, timezone.datetime(*month, 10).date(), "D")
    client.force_login(professional.user)
    return professional


def url(month: tuple[int, int]) -> str:
    return reverse("professionals:calendar", args=list(month))


def slot(month: tuple[int, int], day: int, code: str = "D") -> str:
    return f"{month[0]:04d}-{month[1]:02d}-{day:02d}:{code}"


def declared(professional) -> set[tuple[int, str]]:
    return {(a.day.day, a.slot) for a in Availability.objects.filter(professional=professional)}


@pytest.mark.parametrize("action", [None, "", "save"])
def test_saving_the_month_with_or_without_the_button(client, pro, month, action):
    data = {"slots": [slot(month, 10), slot(month, 11, "N")]} | ({} if action is None else {"action": action})
    response = client.post(url(month), data)
    assert response.status_code == 302
    assert declared(pro) == {(10, "D"), (11, "N")}


@pytest.mark.parametrize("action", ["delete", "SAVE", "save ", "x" * 10_000])
def test_an_unknown_button_is_refused_naming_the_field(client, pro, month, action):
    response = client.post(url(month), {"slots": [], "action": action})
    html = response.content.decode()
    assert response.status_code == 400 and "Rien n'a été enregistré" in html
    assert "Action — bouton inconnu : enregistrez depuis la page du calendrier." in html
    assert declared(pro) == {(10, "D")}


@pytest.mark.parametrize("forged", ["{y}-13-45:D", "{y}-{m}-05:D;drop", "{y}-{m}-05:J", "{y}-{m}-31-:N", "x" * 10_000])
def test_a_forged_slot_is_refused_naming_the_field(client, pro, month, forged):
    bad = forged.format(y=f"{month[0]:04d}", m=f"{month[1]:02d}")
    response = client.post(url(month), {"slots": [slot(month, 12), bad], "action": "save"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Créneaux — Créneau illisible : « " in html and "x" * 41 not in html  # the value, cut short
    assert declared(pro) == {(10, "D")}


@pytest.mark.parametrize(("days", "slots"), [("wd9", "D"), ("w7", "N"), ("all", "X"), ("all", "DDN")])
def test_an_unknown_shortcut_is_refused_naming_the_field(client, pro, month, days, slots):
    response = client.post(url(month), {"action": "shortcut", "shortcut_days": days, "shortcut_slots": slots})
    html = response.content.decode()
    assert response.status_code == 400 and "Raccourci inconnu : choisissez dans la liste." in html
    assert declared(pro) == {(10, "D")}


def test_a_user_who_is_not_a_professional_gets_a_404(client, month):
    client.force_login(make_user())
    assert client.post(url(month), {"slots": [slot(month, 12)], "action": "save"}).status_code == 404
    assert not Availability.objects.exists()
