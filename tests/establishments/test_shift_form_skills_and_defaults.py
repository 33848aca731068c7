"""The shift form: the required skills are those of the shift's profession (offered and accepted, the
script hides the others), no profession is pre-selected, and the day and slot proposed are the next
slot to come — today's day slot before 08:00, tonight's night slot until 20:00, tomorrow's day after."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from establishments.forms import ShiftForm, next_slot
from establishments.models import Shift
from tests.browser import log_in

MISMATCH = "La compétence « Médecine d'urgence » n'existe pas pour la profession « Infirmier »."


def today_at(hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(hour, 0)))


def shift_data(unit, **overrides) -> dict:
    day = timezone.localdate() + timedelta(days=4)
    data = {
        "unit": str(unit.pk), "profession": "60", "day": day.isoformat(), "template": "night",
        "positions": "1", "urgency": "3", "pay": "600.00",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(("hour", "days_ahead", "template"), [(7, 0, "day"), (18, 0, "night"), (21, 1, "day")])
def test_the_form_proposes_the_next_slot(establishment_a, unit_a, hour, days_ahead, template):
    moment = today_at(hour)
    with time_machine.travel(moment, tick=False):
        form = ShiftForm(establishment=establishment_a, can_share=True)
        assert next_slot(timezone.now()) == (moment.date() + timedelta(days=days_ahead), template)
    assert form["day"].value() == moment.date() + timedelta(days=days_ahead)
    assert form["template"].value() == template


@pytest.mark.django_db
def test_the_page_proposes_tonight_in_the_evening(client, alice, establishment_a, unit_a):
    client.force_login(alice)
    with time_machine.travel(today_at(18), tick=False):
        html = client.get(reverse("establishments:shift_create", args=[establishment_a.pk])).content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in html
    assert re.search(r'<option value="night" selected>', html)
    assert re.search(r'<option value="" selected>— Choisir —</option>', html)


@pytest.mark.django_db
def test_a_required_skill_of_another_profession_is_refused_by_name(client, alice, establishment_a, unit_a):
    client.force_login(alice)
    url = reverse("establishments:shift_create", args=[establishment_a.pk])
    response = client.post(url, shift_data(unit_a, required_skills=["SM59"]))
    assert response.status_code == 200
    assert response.context["form"].errors["required_skills"] == [MISMATCH]
    html = response.content.decode()
    # The page sent back offers the nurse's skills only.
    assert 'value="SI06"' in html and 'value="SM59"' not in html
    assert not Shift.objects.exists()
    response = client.post(url, shift_data(unit_a, required_skills=["SI06"]))
    assert response.status_code == 302
    assert list(Shift.objects.get().required_skills.values_list("code", flat=True)) == ["SI06"]


@pytest.mark.browser
def test_changing_the_profession_hides_the_other_required_skills(page, live_server, live_db, axe, alice, establishment_a, unit_a):
    log_in(page, live_server.url, alice.email)
    page.goto(live_server.url + reverse("establishments:shift_create", args=[establishment_a.pk]))
    nurse_skill = page.locator("input[name=required_skills][value=SI06]")
    physician_skill = page.locator("input[name=required_skills][value=SM59]")
    expect(physician_skill).to_be_visible()
    page.select_option("#id_profession", "60")
    expect(physician_skill).to_be_hidden()
    expect(nurse_skill).to_be_visible()
    assert axe() == []


@pytest.mark.django_db
def test_the_recurring_form_refuses_it_too(client, alice, establishment_a, unit_a):
    client.force_login(alice)
    data = shift_data(unit_a, required_skills=["SM59"], weekdays=["0"], weeks="2")
    data["first_day"] = data.pop("day")
    response = client.post(reverse("establishments:shift_series_create", args=[establishment_a.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["required_skills"] == [MISMATCH]
    assert 'value="SM59"' not in response.content.decode()
    assert not Shift.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["shift_create", "shift_series_create"])
def test_a_day_at_the_end_of_the_calendar_is_a_form_error_not_a_500(client, alice, establishment_a, unit_a, name):
    """31 December 9999, overnight: the end would be in the year 10000 (OverflowError)."""
    client.force_login(alice)
    data = shift_data(unit_a, day="9999-12-31", template="night", weekdays=["4"], weeks="2")
    if name == "shift_series_create":
        data["first_day"] = data.pop("day")
    response = client.post(reverse(f"establishments:{name}", args=[establishment_a.pk]), data)
    assert response.status_code == 200
    field = "first_day" if name == "shift_series_create" else "day"
    assert response.context["form"].errors[field][0].startswith("Choisissez une date entre le")
    assert not Shift.objects.exists()
