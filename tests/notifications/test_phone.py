"""The mobile number: typed in any usual French way and stored in E.164, refused with the reason
otherwise; verified by a 6-digit code sent by SMS (through the local fake of Brevo's API), hashed,
valid 10 minutes, locked after five wrong codes in a row, resend limited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import NotificationSettings, PhoneVerification
from notifications.phones import mobile_display, mobile_e164
from notifications.selectors import sms_choice_for
from notifications.services import (
    PHONE_CODE_TTL,
    PHONE_LOCK,
    PHONE_RESEND_AFTER,
    PHONE_SENDS_PER_HOUR,
    phone_set,
    phone_verification_confirm,
    phone_verification_send,
    phone_verification_start,
)
from tests.factories import make_user
from tests.notifications.conftest import with_mobile

pytestmark = pytest.mark.django_db
PAGE = "/notifications/mobile/"
CODE = re.compile(r"\b(\d{6})\b")


def sent_code(brevo) -> str:
    """The code in the last SMS the fake Brevo received."""
    return CODE.search(brevo.requests[-1].body["content"]).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


# --------------------------------------------------------------------------- typing the number


@pytest.mark.parametrize(("raw", "e164"), [
    ("06 12 34 56 78", "+33612345678"),
    ("0612345678", "+33612345678"),
    ("06.12.34.56.78", "+33612345678"),
    ("06-12-34-56-78", "+33612345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "+33612345678"),
    ("0033 6 12 34 56 78", "+33612345678"),
    ("07 81 23 45 67", "+33781234567"),
    ("0692 12 34 56", "+262692123456"),  # Réunion, written nationally
    ("+262 692 12 34 56", "+262692123456"),
    ("+269 639 12 34 56", "+262639123456"),  # Mayotte under its former code
    ("+590 690 12 34 56", "+590690123456"),  # Guadeloupe
    ("+594 694 12 34 56", "+594694123456"),  # Guyane
    ("+596 696 12 34 56", "+596696123456"),  # Martinique
])
def test_french_mobiles_are_stored_in_e164(raw, e164):
    user = make_user()
    assert phone_set(actor=user, phone=raw) == e164
    user.refresh_from_db()
    assert user.phone == e164
    assert mobile_display(e164).replace(" ", "") == "0" + e164[-9:]


@pytest.mark.parametrize(("raw", "reason"), [
    ("04 66 49 49 49", "fixe"),
    ("+33 1 23 45 67 89", "fixe"),
    ("+262 262 12 34 56", "fixe"),  # a Réunion landline
    ("08 00 12 34 56", "spéciaux"),
    ("+44 7911 123456", "étrangers"),
    ("+1 415 555 0100", "étrangers"),
    ("0049 151 12345678", "étrangers"),
    ("06 12 34 56 7", "10 chiffres"),
    ("06 12 34 56 78 9", "10 chiffres"),
    ("+590 690 12 34", "9 chiffres"),
    ("06 12 AB 56 78", "chiffres"),
    ("++33612345678", "chiffres"),
])
def test_landlines_foreign_and_malformed_numbers_are_refused_naming_the_field(raw, reason):
    user = make_user()
    with pytest.raises(ValidationError) as caught:
        phone_set(actor=user, phone=raw)
    [message] = caught.value.message_dict["phone"]
    assert message.startswith("Numéro de mobile :") and reason in message
    user.refresh_from_db()
    assert user.phone == ""


def test_mobile_e164_refuses_an_empty_number():
    with pytest.raises(ValidationError, match="indiquez un numéro"):
        mobile_e164("  ")


# --------------------------------------------------------------------------- the code


def test_the_code_goes_by_sms_is_stored_hashed_and_verifies_the_number(brevo):
    user = make_user()
    phone_verification_send(actor=user, phone="06 12 34 56 78")
    [request] = brevo.requests
    assert request.body["recipient"] == "33612345678" and request.body["tag"] == "phone.verify"
    code = sent_code(brevo)
    assert "expire dans 10 minutes" in request.body["content"]
    row = PhoneVerification.objects.get(user=user)
    assert len(row.code_hash) == 64 and code not in row.code_hash  # an HMAC, never the code
    assert sms_choice_for(user).number == ""  # not before the code comes back
    phone_verification_confirm(actor=user, code=code)
    user.refresh_from_db()
    assert sms_choice_for(user).number == "+33612345678"
    assert NotificationSettings.objects.get(user=user).phone_verified_at is not None


def test_a_new_number_is_unverified_until_its_own_code_comes_back():
    user = make_user()
    with_mobile(user, "06 12 34 56 78")
    assert sms_choice_for(user).number == "+33612345678"
    phone_set(actor=user, phone="07 11 22 33 44")
    assert sms_choice_for(User.objects.get(pk=user.pk)).number == ""


def test_five_wrong_codes_in_a_row_lock_verification_for_a_while():
    user = make_user()
    phone_set(actor=user, phone="06 12 34 56 78")
    code = phone_verification_start(actor=user)
    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationError, match=f"il vous reste {left} essai"):
            phone_verification_confirm(actor=user, code=wrong(code))
    assert PhoneVerification.objects.get(user=user).failed_attempts == 4  # counted although the call raised
    with pytest.raises(ValidationError) as caught:
        phone_verification_confirm(actor=user, code=wrong(code))
    assert "bloquée jusqu'à" in caught.value.message_dict["code"][0]
    # Locked: even the right code is refused now, and no new code can be asked for.
    with pytest.raises(ValidationError, match="bloquée"):
        phone_verification_confirm(actor=user, code=code)
    with pytest.raises(ValidationError) as caught:
        phone_verification_start(actor=user)
    assert "bloquée" in caught.value.message_dict["phone"][0]
    assert sms_choice_for(user).number == ""
    # After the lock, a new code works.
    with time_machine.travel(timezone.now() + PHONE_LOCK + timedelta(seconds=1), tick=False):
        code = phone_verification_start(actor=user)
        phone_verification_confirm(actor=user, code=code)
    assert sms_choice_for(user).number == "+33612345678"


def test_an_expired_code_is_refused():
    user = make_user()
    phone_set(actor=user, phone="06 12 34 56 78")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        code = phone_verification_start(actor=user)
    late = start + PHONE_CODE_TTL + timedelta(seconds=1)
    with time_machine.travel(late, tick=False), pytest.raises(ValidationError, match="expiré"):
        phone_verification_confirm(actor=user, code=code)
    assert sms_choice_for(user).number == ""


def test_a_code_confirms_only_the_number_it_was_sent_to():
    user = make_user()
    phone_set(actor=user, phone="06 12 34 56 78")
    code = phone_verification_start(actor=user)
    phone_set(actor=user, phone="07 11 22 33 44")
    with pytest.raises(ValidationError, match="le numéro a changé"):
        phone_verification_confirm(actor=user, code=code)


@pytest.mark.parametrize("typed", ["12345", "1234567", "12a456", ""])
def test_a_code_that_is_not_six_digits_is_refused_without_counting(typed):
    user = make_user()
    phone_set(actor=user, phone="06 12 34 56 78")
    phone_verification_start(actor=user)
    with pytest.raises(ValidationError, match="6 chiffres"):
        phone_verification_confirm(actor=user, code=typed)
    assert PhoneVerification.objects.get(user=user).failed_attempts == 0


def test_resending_waits_a_minute_and_stops_after_five_codes_an_hour():
    user = make_user()
    phone_set(actor=user, phone="06 12 34 56 78")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        phone_verification_start(actor=user)
        with pytest.raises(ValidationError, match="attendez encore"):
            phone_verification_start(actor=user)
    for n in range(1, PHONE_SENDS_PER_HOUR):
        with time_machine.travel(start + n * (PHONE_RESEND_AFTER + timedelta(seconds=1)), tick=False):
            phone_verification_start(actor=user)
    with time_machine.travel(start + 10 * PHONE_RESEND_AFTER, tick=False), pytest.raises(ValidationError) as caught:
        phone_verification_start(actor=user)
    assert "5 codes envoyés en une heure" in caught.value.message_dict["phone"][0]
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        phone_verification_start(actor=user)  # a new hour


# --------------------------------------------------------------------------- the page


def test_the_page_sends_a_code_then_verifies_and_goes_back_where_asked(client, brevo):
    user = make_user()
    client.force_login(user)
    page = client.get(PAGE, {"next": "/pro/"})
    html = page.content.decode()
    assert page.status_code == 200 and "<h1>Mon numéro de mobile</h1>" in html
    assert 'type="tel"' in html and 'autocomplete="tel"' in html
    sent = client.post(PAGE, {"action": "send", "phone": "+33 6 12 34 56 78", "next": "/pro/"})
    assert sent.status_code == 302 and sent["Location"] == f"{PAGE}?next=%2Fpro%2F"
    html = client.get(sent["Location"]).content.decode()
    assert "Code envoyé par SMS au 06 12 34 56 78" in html and 'autocomplete="one-time-code"' in html
    done = client.post(PAGE, {"action": "confirm", "code": sent_code(brevo), "next": "/pro/"})
    assert done.status_code == 302 and done["Location"] == "/pro/"
    assert "est vérifié" in client.get(PAGE).content.decode()


def test_the_page_says_why_a_number_or_a_code_is_refused(client, brevo):
    user = make_user()
    client.force_login(user)
    refused = client.post(PAGE, {"action": "send", "phone": "04 66 49 49 49"})
    assert refused.status_code == 400 and "ce numéro est un fixe" in refused.content.decode()
    assert brevo.requests == []
    client.post(PAGE, {"action": "send", "phone": "06 12 34 56 78"})
    bad = client.post(PAGE, {"action": "confirm", "code": wrong(sent_code(brevo))})
    assert bad.status_code == 400 and "il vous reste 4 essais" in bad.content.decode()


def test_a_provider_refusal_is_said_on_the_page(client, brevo):
    brevo.statuses = [400]
    client.force_login(make_user())
    response = client.post(PAGE, {"action": "send", "phone": "06 12 34 56 78"})
    assert response.status_code == 400 and "le SMS n&#x27;a pas pu être envoyé" in response.content.decode()


def test_next_must_be_a_page_of_this_site(client, brevo):
    user = make_user()
    client.force_login(user)
    client.post(PAGE, {"action": "send", "phone": "06 12 34 56 78"})
    code = sent_code(brevo)
    forged = client.post(PAGE, {"action": "confirm", "code": code, "next": "https://evil.example/"})
    html = forged.content.decode()
    assert forged.status_code == 400 and "Page de retour : l&#x27;adresse doit être une page de ce site." in html
    assert "evil.example" not in html
    assert not NotificationSettings.objects.filter(user=user).exclude(phone_verified="").exists()  # nothing done
    done = client.post(PAGE, {"action": "confirm", "code": code})
    assert done["Location"] == PAGE
    link = client.get(PAGE, {"next": "https://evil.example/"})  # a link's off-site next is only dropped
    assert link.status_code == 200 and 'value="https://evil.example/"' not in link.content.decode()


@pytest.mark.parametrize("step", [None, "", "delete", "send "])
def test_a_form_without_a_known_step_does_nothing_and_says_so(client, brevo, step):
    user = make_user()
    client.force_login(user)
    data = {"phone": "06 12 34 56 78"} | ({} if step is None else {"action": step})
    response = client.post(PAGE, data)
    assert response.status_code == 400
    assert "Étape : envoyez le formulaire depuis la page du numéro de mobile." in response.content.decode()
    assert brevo.requests == [] and not PhoneVerification.objects.exists()


def test_the_page_needs_a_login(client):
    response = client.get(reverse("notifications:phone"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_preferences_page_says_whether_the_number_can_receive_sms(client):
    user = make_user()
    client.force_login(user)
    preferences = reverse("notifications:preferences")
    assert "Aucun numéro de mobile" in client.get(preferences).content.decode()
    phone_set(actor=user, phone="06 12 34 56 78")
    assert "n'est pas vérifié" in client.get(preferences).content.decode()
    with_mobile(user, "06 12 34 56 78")
    assert "SMS envoyés au 06 12 34 56 78 (vérifié)" in client.get(preferences).content.decode()
