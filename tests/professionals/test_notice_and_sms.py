"""Short notice is a choice: the profile (onboarding and edit) asks how short a notice the
professional accepts (2, 6, 12, 24 or 48 h) and whether urgent offers may come by SMS, with the
mobile number (E.164) and its verification; old notices are mapped to the nearest choice."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.models import User
from notifications.models import NotificationSettings
from notifications.selectors import sms_choice_for
from professionals.models import Notice, Professional
from professionals.services import professional_update
from tests.factories import make_professional, make_user, valid_rpps
from tests.notifications.conftest import sms_opt_in, with_mobile

CREATE = "/pro/profil/nouveau/"
EDIT = "/pro/profil/"


def profile_data(**overrides) -> dict:
    data = {
        "profession": "60", "rpps": valid_rpps(4242), "adeli": "", "home_commune": "Mende (48000)", "radius_km": "40",
        "max_missions_per_month": "6", "min_notice_hours": "2", "expected_hourly_rate": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.django_db
def test_onboarding_asks_the_notice_as_a_clear_choice_and_the_sms_wish(client):
    client.force_login(make_user())
    html = client.get(CREATE).content.decode()
    for hours in Notice.values:
        assert f'type="radio" name="min_notice_hours" value="{hours}"' in html
    assert not re.search(r'name="min_notice_hours"[^>]*checked', html)  # nothing chosen for them
    assert "avec 24 heures aucune pour le jour même" in html
    assert "2 heures — au pied levé" in html
    assert "Recevoir les offres urgentes par SMS" in html and 'type="tel"' in html
    assert "<legend>Au plus court, combien de temps à l&#x27;avance acceptez-vous d&#x27;être prévenu·e ?</legend>" in html


@pytest.mark.django_db
@pytest.mark.parametrize(("notice", "message"), [
    (None, "Choisissez le délai de prévenance"),
    ("3", "Sélectionnez un choix valide"),
    ("72", "Sélectionnez un choix valide"),
])
def test_the_notice_must_be_one_of_the_choices(client, notice, message):
    client.force_login(make_user())
    response = client.post(CREATE, profile_data(min_notice_hours=notice))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["min_notice_hours"])
    assert not Professional.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_a_notice_outside_the_choices_naming_the_field():
    pro = make_professional()
    with pytest.raises(ValidationError) as caught:
        professional_update(actor=pro.user, professional=pro, min_notice_hours=3)
    assert "min_notice_hours" in caught.value.message_dict
    pro.refresh_from_db()
    assert pro.min_notice_hours == Notice.H24


@pytest.mark.django_db
def test_a_short_notice_with_sms_is_saved_then_the_number_is_verified(client):
    user = make_user()
    client.force_login(user)
    response = client.post(CREATE, profile_data(phone="06 12 34 56 78", urgent_sms="on", night_sms="on"))
    calendar = reverse("professionals:calendar_current")
    assert response.status_code == 302
    assert response["Location"] == f"/notifications/mobile/?next={calendar.replace('/', '%2F')}"
    pro = Professional.objects.get(user=user)
    assert pro.min_notice_hours == 2
    user.refresh_from_db()
    assert user.phone == "+33612345678"
    row = NotificationSettings.objects.get(user=user)
    assert (row.urgent_sms, row.night_sms, row.phone_verified) == (True, True, "")


@pytest.mark.django_db
@pytest.mark.parametrize(("phone", "message"), [
    ("", "indiquez-le pour recevoir les offres urgentes par SMS"),
    ("04 66 49 49 49", "ce numéro est un fixe"),
    ("+44 7911 123456", "les numéros étrangers ne peuvent pas recevoir nos SMS"),
])
def test_a_missing_or_bad_number_is_refused_on_the_phone_field_and_nothing_is_saved(client, phone, message):
    user = make_user()
    client.force_login(user)
    response = client.post(CREATE, profile_data(phone=phone, urgent_sms="on"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["phone"] and message in errors["phone"][0] and errors["phone"][0].startswith("Numéro de mobile")
    assert not Professional.objects.exists()
    assert User.objects.get(pk=user.pk).phone == ""


@pytest.mark.django_db
def test_without_sms_onboarding_goes_straight_to_the_calendar(client):
    user = make_user()
    client.force_login(user)
    response = client.post(CREATE, profile_data(min_notice_hours="24"))
    assert response["Location"] == reverse("professionals:calendar_current")
    assert sms_choice_for(User.objects.get(pk=user.pk)).urgent_sms is False


@pytest.mark.django_db
def test_the_edit_page_shows_the_choices_made_and_the_verified_number(client):
    pro = make_professional(min_notice_hours=Notice.H6)
    with_mobile(pro.user, "0692 12 34 56")
    client.force_login(pro.user)
    html = client.get(EDIT).content.decode()
    assert 'value="6" id="id_min_notice_hours_1" required checked' in html
    assert 'value="06 92 12 34 56"' in html and "vérifié" in html
    response = client.post(EDIT, profile_data(rpps=pro.rpps, min_notice_hours="12", phone="06 92 12 34 56",
                                              urgent_sms="on"))
    assert response["Location"] == reverse("professionals:home")  # verified already: no detour
    pro.refresh_from_db()
    assert pro.min_notice_hours == 12
    assert sms_choice_for(User.objects.get(pk=pro.user_id)).urgent_sms is True


@pytest.mark.django_db
def test_changing_the_number_on_the_profile_asks_to_verify_the_new_one(client):
    pro = make_professional()
    with_mobile(pro.user, "06 12 34 56 78")
    client.force_login(pro.user)
    response = client.post(EDIT, profile_data(rpps=pro.rpps, phone="07 11 22 33 44", urgent_sms="on"))
    assert response["Location"].startswith("/notifications/mobile/?next=")
    assert sms_choice_for(User.objects.get(pk=pro.user_id)).number == ""


@pytest.mark.django_db(transaction=True)
def test_the_migration_maps_old_notices_to_the_nearest_choice_never_shorter(live_db):
    executor = MigrationExecutor(connection)
    before, after = [("professionals", "0001_initial")], [("professionals", "0002_notice_choices")]
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        historical = apps.get_model("professionals", "Professional")
        profession = apps.get_model("reference", "Profession").objects.get(code="60")
        commune = apps.get_model("territories", "Commune").objects.first()
        users = apps.get_model("accounts", "User")
        old = {0: 2, 3: 2, 4: 6, 9: 12, 18: 24, 24: 24, 36: 48, 72: 48, 336: 48}
        for n, hours in enumerate(old):
            historical.objects.create(
                user=users.objects.create(email=f"old{n}@example.org", password="!"), rpps=valid_rpps(9000 + n),
                profession=profession, home_commune=commune, min_notice_hours=hours,
            )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    got = dict(Professional.objects.values_list("user__email", "min_notice_hours"))
    assert got == {f"old{n}@example.org": new for n, new in enumerate(old.values())}


@pytest.mark.django_db
def test_the_home_page_says_the_notice_and_whether_urgent_offers_come_by_sms(client):
    pro = make_professional(min_notice_hours=Notice.H2)
    client.force_login(pro.user)
    home = reverse("professionals:home")
    html = client.get(home).content.decode()
    assert "Vacations proposées au plus tard 2 h avant leur début." in html
    assert "Pas d'offres urgentes par SMS." in html
    with_mobile(pro.user, "06 12 34 56 78")
    sms_opt_in(pro.user)
    assert "Offres urgentes aussi par SMS au 06 12 34 56 78." in client.get(home).content.decode()
