"""A professional's civility (optional: Madame, Monsieur or not stated) and the one accessor of the
label of their profession (``Professional.profession_label``, the rule in ``professionals.models.profession_label``):
« Infirmière » for Madame, « Infirmier » for Monsieur and when not stated (never « Infirmier·ère »),
« Nurse » in English whoever it is. Where it shows: the professional's pages, the contract (its page
and its PDF), the messages about their offers and missions. Asked at sign-up and on the profile form
with nothing pre-selected; a bad value is refused naming the field."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.models import Civility, SignupIntent, User
from establishments.models import MemberRole
from missions.booking.services.notices import mission_booked_notify, proposals_withdrawn_notify
from missions.contracts.services import contract_draft
from notifications.models import Notification
from professionals.models import Professional, profession_label
from professionals.services import professional_create, professional_update
from reference import data
from reference.models import Profession
from territories.models import Commune
from tests.contracts.conftest import file_bytes, pdf_text
from tests.factories import (
    make_establishment,
    make_mission,
    make_professional,
    make_proposal,
    make_shift,
    make_user,
    valid_rpps,
)
from tests.foundation.test_accounts import signup
from tests.professionals.test_pages import profile_data
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db

# Written out here, not read from reference/data.py: a label changed there must change here too.
MASCULINE = {
    "10": "Médecin", "21": "Pharmacien", "35": "Aide-soignant", "40": "Chirurgien-dentiste", "50": "Sage-femme",
    "60": "Infirmier", "69": "Infirmier psychiatrique", "70": "Masseur-kinésithérapeute", "98": "Manipulateur ERM",
}
FEMININE = {
    "10": "Médecin", "21": "Pharmacienne", "35": "Aide-soignante", "40": "Chirurgienne-dentiste", "50": "Sage-femme",
    "60": "Infirmière", "69": "Infirmière psychiatrique", "70": "Masseuse-kinésithérapeute", "98": "Manipulatrice ERM",
}
ENGLISH = {
    "10": "Physician", "21": "Pharmacist", "35": "Nursing assistant", "40": "Dental surgeon", "50": "Midwife",
    "60": "Nurse", "69": "Psychiatric nurse", "70": "Physiotherapist", "98": "Radiographer (ERM)",
}
CODES = sorted(MASCULINE)
EXPECTED = {Civility.MADAME: FEMININE, Civility.MONSIEUR: MASCULINE, Civility.NOT_STATED: MASCULINE}


def person(code: str, civility: str) -> Professional:
    """A professional of ``code`` with ``civility`` (unsaved: the accessor reads, it never queries)."""
    return Professional(user=User(email="x@example.org", civility=civility), profession=Profession.objects.get(code=code))


def civility_inputs(html: str) -> dict[str, bool]:
    """The civility radio buttons of a page: value → ticked."""
    tags = re.findall(r'<input type="radio" name="civility"[^>]*>', html)
    return {re.search(r'value="([^"]*)"', tag).group(1): " checked" in tag for tag in tags}


# --------------------------------------------------------------------------- the accessor


def test_every_profession_of_the_reference_data_is_checked_here():
    assert {code for code, *_ in data.PROFESSIONS} == set(CODES) == set(data.FEMININE_LABELS)


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("civility", Civility.values)
def test_the_accessor_gives_each_profession_for_each_civility(code, civility):
    with translation.override("fr"):
        label = person(code, civility).profession_label
    assert label == EXPECTED[civility][code]
    assert "·" not in label and "(e)" not in label  # never a contracted « Infirmier·ère »


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("civility", Civility.values)
def test_english_stays_neutral_whoever_it_is(code, civility):
    with translation.override("en"):
        assert person(code, civility).profession_label == ENGLISH[code]


def test_the_feminine_labels_asked_for():
    with translation.override("fr"):
        labels = {code: person(code, Civility.MADAME).profession_label for code in CODES}
    assert labels["60"] == "Infirmière" and labels["35"] == "Aide-soignante" and labels["50"] == "Sage-femme"
    assert labels["70"] == "Masseuse-kinésithérapeute" and labels["10"] == "Médecin"


def test_a_profession_without_a_feminine_label_keeps_its_label_for_madame():
    # A profession added by staff in the admin, its feminine left empty: its label, as before.
    speech = Profession(code="91", short="ORTHO", label="Orthophoniste", label_en="Speech therapist")
    with translation.override("fr"):
        assert profession_label(speech, Civility.MADAME) == profession_label(speech, Civility.NOT_STATED) == "Orthophoniste"
    with translation.override("en"):
        assert profession_label(speech, Civility.MADAME) == "Speech therapist"
    unnamed = Profession(code="92", short="DIET", label="Diététicien", label_feminine="Diététicienne")
    with translation.override("en"):  # no English name yet: the French one, as the person's
        assert profession_label(unnamed, Civility.MADAME) == "Diététicienne"
        assert profession_label(unnamed, Civility.MONSIEUR) == "Diététicien"


def test_str_of_a_professional_names_their_profession_with_the_accessor():
    pro = make_professional(make_user(first_name="Léa", last_name="Martin", civility=Civility.MADAME))
    with translation.override("fr"):
        assert str(Professional.objects.get(pk=pro.pk)) == "Léa Martin (Infirmière)"


# --------------------------------------------------------------------------- the pages


@pytest.mark.parametrize(
    ("civility", "language", "shown"),
    [(Civility.MADAME, "fr", "Infirmière"), (Civility.MONSIEUR, "fr", "Infirmier"),
     (Civility.NOT_STATED, "fr", "Infirmier"), (Civility.MADAME, "en", "Nurse")],
)
def test_the_professionals_home_page_shows_their_label(client, civility, language, shown):
    pro = make_professional(make_user(civility=civility))
    client.force_login(pro.user)
    html = client.get(reverse("professionals:home"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"<p>{shown} · " in html


def _booked_madame():
    alice = make_user("alice@example.org", first_name="Alice", last_name="Martin", civility=Civility.MADAME)
    hr = make_user("hr@example.org", first_name="Hélène", last_name="Rh")
    site = make_establishment(members={hr: MemberRole.HR}, name="Centre hospitalier de Mende")
    mission = make_mission(make_professional(alice, profession="60"), site)
    return alice, hr, mission


def test_the_contract_page_and_its_pdf_name_her_infirmiere(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    alice, hr, mission = _booked_madame()
    contract = contract_draft(mission=mission)
    assert "Alice Martin, Infirmière" in pdf_text(file_bytes(contract.pdf), tmp_path)
    for reader in (alice, hr):
        client.force_login(reader)
        html = client.get(reverse("missions:contract_detail", args=[contract.pk])).content.decode()
        assert "Alice Martin — Infirmière" in html


def test_the_contract_is_drafted_in_french_from_an_english_page(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    _alice, _hr, mission = _booked_madame()
    with translation.override("en"):
        contract = contract_draft(mission=mission)
    text = pdf_text(file_bytes(contract.pdf), tmp_path)
    assert "Alice Martin, Infirmière" in text and "Nurse" not in text


def test_messages_to_her_name_her_profession_and_hr_reads_the_posts(tmp_path, settings):
    alice, hr, mission = _booked_madame()
    mission_booked_notify(mission=mission)
    to_her = Notification.objects.get(recipient=alice, event="mission.booked")
    to_hr = Notification.objects.get(recipient=hr, event="mission.booked")
    assert "Infirmière — Urgences" in to_her.subject and "Infirmière — Urgences" in to_her.body
    assert "Infirmier — Urgences" in to_hr.subject  # the post HR published, not a person


def test_a_withdrawn_offer_is_told_to_each_in_their_own_words():
    site = make_establishment()
    shift = make_shift(site, profession="35")
    her = make_professional(make_user(civility=Civility.MADAME), profession="35")
    him = make_professional(make_user(civility=Civility.MONSIEUR), profession="35")
    proposals = [make_proposal(shift, her), make_proposal(shift, him)]
    assert proposals_withdrawn_notify(shift=shift, proposals=proposals, reason="Besoin annulé") == 2
    subjects = {n.recipient_id: n.subject for n in Notification.objects.filter(event="proposal.withdrawn")}
    assert "Aide-soignante — Urgences" in subjects[her.user_id]
    assert "Aide-soignant — Urgences" in subjects[him.user_id]


# --------------------------------------------------------------------------- the profile form


def test_the_new_profile_form_ticks_no_civility(client):
    client.force_login(make_user())
    html = client.get(reverse("professionals:profile_create")).content.decode()
    assert civility_inputs(html) == {"madame": False, "monsieur": False, "not_stated": False}
    assert "<legend>Civilité (facultatif)</legend>" in html


def test_the_answer_given_at_sign_up_is_ticked_and_names_the_professions(client):
    client.force_login(make_user(civility=Civility.MADAME))
    html = client.get(reverse("professionals:profile_create")).content.decode()
    assert civility_inputs(html) == {"madame": True, "monsieur": False, "not_stated": False}
    assert '<option value="60">Infirmière</option>' in html and '<option value="35">Aide-soignante</option>' in html


def test_the_profile_saves_the_civility_and_the_pages_follow(client):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("professionals:profile_create"), profile_data(civility="madame"))
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.civility == Civility.MADAME
    assert "<p>Infirmière · " in client.get(reverse("professionals:home")).content.decode()


def test_no_answer_is_not_stated(client):
    user = make_user()
    client.force_login(user)
    assert client.post(reverse("professionals:profile_create"), profile_data()).status_code == 302
    user.refresh_from_db()
    assert user.civility == Civility.NOT_STATED


@pytest.mark.parametrize("bad", ["mademoiselle", "MADAME", "f"])
def test_a_bad_value_is_refused_naming_the_field_and_nothing_is_saved(client, bad):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("professionals:profile_create"), profile_data(civility=bad))
    assert response.status_code == 200
    assert response.context["form"].errors["civility"] == [
        "Civilité inconnue : choisissez Madame, Monsieur, ou de ne pas la préciser."
    ]
    assert 'id="id_civility-errors"' in response.content.decode()
    assert not Professional.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.civility == Civility.NOT_STATED


def test_the_edit_form_ticks_the_saved_answer_and_changes_it(client):
    pro = make_professional(make_user(civility=Civility.MADAME))
    client.force_login(pro.user)
    html = client.get(reverse("professionals:profile_edit")).content.decode()
    assert civility_inputs(html) == {"madame": True, "monsieur": False, "not_stated": False}
    data = profile_data(rpps=pro.rpps, civility="monsieur")
    assert client.post(reverse("professionals:profile_edit"), data).status_code == 302
    pro.user.refresh_from_db()
    assert pro.user.civility == Civility.MONSIEUR
    event = AuditEvent.objects.filter(action="professional.update").latest("pk")
    assert "civility" in event.data["changed"]
    assert "<p>Infirmier · " in client.get(reverse("professionals:home")).content.decode()


def test_a_civility_not_stated_ticks_nothing_on_the_edit_form(client):
    pro = make_professional(make_user(civility=Civility.NOT_STATED))
    client.force_login(pro.user)
    html = client.get(reverse("professionals:profile_edit")).content.decode()
    assert civility_inputs(html) == {"madame": False, "monsieur": False, "not_stated": False}


def test_the_services_refuse_a_bad_value_naming_the_field():
    user = make_user()
    commune = Commune.objects.get(code_insee="48095")
    with pytest.raises(ValidationError) as error:
        professional_create(actor=user, profession=Profession.objects.get(code="60"), home_commune=commune,
                            rpps=valid_rpps(4242), civility="mlle")
    assert list(error.value.message_dict) == ["civility"]
    assert not Professional.objects.filter(user=user).exists()
    pro = make_professional(make_user(civility=Civility.MONSIEUR))
    with pytest.raises(ValidationError) as error:
        professional_update(actor=pro.user, professional=pro, civility="Mme")
    assert list(error.value.message_dict) == ["civility"]
    assert User.objects.get(pk=pro.user_id).civility == Civility.MONSIEUR


def test_a_change_of_profession_refused_for_a_booked_mission_names_hers():
    _alice, _hr, mission = _booked_madame()
    with pytest.raises(ValidationError) as error, translation.override("fr"):
        professional_update(actor=mission.professional.user, professional=mission.professional,
                            profession=Profession.objects.get(code="70"))
    assert "Vous avez des missions réservées comme Infirmière" in error.value.message_dict["profession"][0]


def test_a_profile_saved_without_the_question_keeps_the_sign_up_answer():
    # Pro Santé Connect and other callers that do not ask: the answer given at sign-up stays.
    pro = make_professional(make_user(civility=Civility.MADAME))
    professional_update(actor=pro.user, professional=pro, radius_km=50)
    assert User.objects.get(pk=pro.user_id).civility == Civility.MADAME


# --------------------------------------------------------------------------- sign-up


def test_sign_up_keeps_a_professionals_civility(client):
    assert signup(client, civility="madame").status_code == 302
    assert User.objects.get(email="new@example.org").civility == Civility.MADAME


def test_sign_up_without_an_answer_is_not_stated(client):
    assert signup(client).status_code == 302
    assert User.objects.get(email="new@example.org").civility == Civility.NOT_STATED


def test_sign_up_for_an_establishment_keeps_no_civility(client):
    # Nothing to agree with: an establishment's staff have no profession here.
    assert signup(client, intent=SignupIntent.ESTABLISHMENT, civility="monsieur").status_code == 302
    assert User.objects.get(email="new@example.org").civility == Civility.NOT_STATED


def test_sign_up_refuses_a_bad_civility_naming_the_field(client):
    response = signup(client, civility="mademoiselle")
    assert response.status_code == 200
    assert response.context["form"].errors["civility"] == [
        "Civilité inconnue : choisissez Madame, Monsieur, ou de ne pas la préciser."
    ]
    assert not User.objects.filter(email="new@example.org").exists()
