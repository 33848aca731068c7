"""A profession's skills only: the profile form offers a nurse no physician specialty, refuses a
skill of another profession with a message naming it (form and service alike, nothing saved), and
pre-selects no profession; in Chromium, changing the profession hides the other professions' skills."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from playwright.sync_api import expect

from professionals.models import Professional
from professionals.services import professional_update
from reference.models import Skill
from tests.browser import log_in
from tests.factories import make_professional, make_user
from tests.professionals.test_pages import profile_data

MISMATCH = "La compétence « Médecine d'urgence » n'existe pas pour la profession « Infirmier »."


@pytest.mark.django_db
def test_a_nurse_is_offered_no_physician_specialty(client):
    nurse = make_professional(profession="60", skills=["SI08"])
    client.force_login(nurse.user)
    html = client.get(reverse("professionals:profile_edit")).content.decode()
    assert 'value="SI08"' in html and 'value="SI06"' in html
    assert "Médecine d'urgence" not in html and 'value="SM59"' not in html
    # A submitted profession decides what the page offers again (the page sent back with an error).
    response = client.post(reverse("professionals:profile_edit"), profile_data(profession="10", radius_km="0"))
    html = response.content.decode()
    assert 'value="SM59"' in html and 'value="SI08"' not in html


@pytest.mark.django_db
def test_a_skill_of_another_profession_is_refused_by_name(client):
    client.force_login(make_user())
    response = client.post(reverse("professionals:profile_create"), profile_data(skills=["SI08", "SM59"]))
    assert response.status_code == 200
    assert response.context["form"].errors["skills"] == [MISMATCH]
    assert "Médecine d&#x27;urgence" in response.content.decode()
    assert not Professional.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_it_too(client):
    nurse = make_professional(profession="60", skills=["SI08"])
    with pytest.raises(ValidationError) as refused:
        professional_update(actor=nurse.user, professional=nurse, skills=list(Skill.objects.filter(code="SM59")))
    assert refused.value.message_dict["skills"] == [MISMATCH]
    assert list(nurse.skills.values_list("code", flat=True)) == ["SI08"]


@pytest.mark.django_db
def test_no_profession_is_preselected(client):
    client.force_login(make_user())
    response = client.get(reverse("professionals:profile_create"))
    assert response.context["form"]["profession"].value() is None
    html = response.content.decode()
    assert re.search(r'<option value="" selected>— Choisir —</option>', html), html
    assert "selected>Aide-soignant" not in html
    # Chosen by nobody, it is required: the form says so and saves nothing.
    response = client.post(reverse("professionals:profile_create"), profile_data(profession=""))
    assert "profession" in response.context["form"].errors
    assert not Professional.objects.exists()


@pytest.mark.browser
def test_changing_the_profession_hides_the_other_skills(page, live_server, live_db, axe):
    user = make_user()
    log_in(page, live_server.url, user.email)
    page.goto(live_server.url + reverse("professionals:profile_create"))
    nurse_skill, physician_skill = page.locator("input[name=skills][value=SI08]"), page.locator("input[name=skills][value=SM59]")
    # No profession chosen yet: every profession's skills, for the script to filter.
    expect(nurse_skill).to_be_visible()
    expect(physician_skill).to_be_visible()
    page.select_option("#id_profession", "60")
    expect(physician_skill).to_be_hidden()
    expect(nurse_skill).to_be_visible()
    assert axe() == []
    page.select_option("#id_profession", "10")
    expect(nurse_skill).to_be_hidden()
    expect(physician_skill).to_be_visible()
    physician_skill.check()
    page.select_option("#id_profession", "60")
    # Hidden and disabled: a physician's specialty ticked before is not sent for a nurse.
    expect(physician_skill).to_be_disabled()
    page.check("input[name=skills][value=SI08]")
    page.fill("#id_rpps", "1000 5173 140")
    page.fill("#id_home_commune", "Mende (48000)")
    page.check("input[name=min_notice_hours][value='12']")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page).not_to_have_url(re.compile(r"/pro/profil/nouveau/$"))
    assert list(Professional.objects.get(user=user).skills.values_list("code", flat=True)) == ["SI08"]
