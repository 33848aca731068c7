"""« Supprimer mon compte »: no personal data left anywhere, contracts intact, refused while a
booked mission is not over, the person logged out, the address free to sign up again."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from accounts.models import Civility, User
from missions.contracts.models import ContractSignature
from missions.core.models import Mission, MissionState
from professionals.models import Credential, Professional
from tests.factories import PASSWORD, from_now, make_ars_agent, make_mission, make_professional, make_user
from tests.privacy.conftest import ALICE_PHONE
from ville_hopital.models import AuditEvent
from ville_hopital.privacy.erasure import RETAINED, account_erase

pytestmark = pytest.mark.django_db

TEXT_FIELDS = (models.CharField, models.TextField, models.EmailField, models.JSONField)


def where_found(needles: list[str]) -> list[str]:
    """Every (model.field) of every installed model whose text holds one of ``needles``."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            label = f"{model._meta.label}.{field.name}"
            if not isinstance(field, TEXT_FIELDS) or label in RETAINED:
                continue
            for needle in needles:
                if model._default_manager.filter(**{f"{field.name}__icontains": needle}).exists():
                    found.append(f"{label} holds {needle!r}")
    return found


def file_bytes(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def test_after_erasure_no_personal_data_is_left_and_contracts_are_intact(world, django_capture_on_commit_callbacks):
    alice, pro, contract = world.alice, world.pro, world.contract
    needles = [alice.email, "Alyzée", "Vauquelin-Ortiz", ALICE_PHONE, pro.rpps, "psc-alice-0001"]
    assert where_found(needles), "the search finds the person before erasure (it is not vacuous)"
    pdf, final_pdf = file_bytes(contract.pdf), file_bytes(contract.final_pdf) if contract.final_pdf else b""
    sha256, credential_name = contract.sha256, world.credential.file.name
    storage = world.credential.file.storage
    actions_before = AuditEvent.objects.filter(actor=alice).count()

    with django_capture_on_commit_callbacks(execute=True):  # the credential files go on commit
        account_erase(actor=alice)

    assert where_found(needles) == []
    contract.refresh_from_db()
    assert file_bytes(contract.pdf) == pdf and contract.sha256 == sha256 == hashlib.sha256(pdf).hexdigest()
    if final_pdf:
        assert file_bytes(contract.final_pdf) == final_pdf
    signature = ContractSignature.objects.get(contract=contract, user=alice)
    assert signature.sha256_signed == sha256 and signature.ip == "192.0.2.10"
    assert Mission.objects.filter(pk=world.mission.pk, professional=pro).exists()
    erased = User.objects.get(pk=alice.pk)
    assert not erased.is_active and not erased.has_usable_password() and erased.email.endswith("@erased.invalid")
    assert (alice.civility, erased.civility) == (Civility.MADAME, Civility.NOT_STATED)
    kept = Professional.objects.get(pk=pro.pk)
    assert kept.erased_at and kept.rpps is None and not kept.availabilities.exists()
    assert not Credential.objects.filter(professional=pro).exists() and not storage.exists(credential_name)
    # The trail keeps its rows (append-only) and gains the erasure.
    assert AuditEvent.objects.filter(actor=alice).count() == actions_before + 1
    assert AuditEvent.objects.filter(actor=alice, action="account.erase").exists()
    # The address is free: someone may sign up with it again.
    assert make_user("alice.martin@example.org").pk != alice.pk


def test_a_professional_without_missions_loses_the_profile_row(db):
    pro = make_professional(make_user("solo@example.org", first_name="Solène", last_name="Quintrebert"))
    account_erase(actor=pro.user)
    assert not Professional.objects.filter(pk=pro.pk).exists()
    assert where_found(["solo@example.org", "Quintrebert"]) == []


def test_refused_while_a_booked_mission_is_upcoming(world):
    upcoming = make_mission(world.pro, world.site, starts_at=from_now(timedelta(days=5)))
    assert upcoming.state == MissionState.BOOKED
    with pytest.raises(ValidationError, match="mission réservée à venir"):
        account_erase(actor=world.alice)
    world.alice.refresh_from_db()
    assert world.alice.email == "alice.martin@example.org" and world.alice.is_active
    assert not AuditEvent.objects.filter(action="account.erase").exists()


def test_the_page_refuses_with_an_upcoming_mission(client, world):
    make_mission(world.pro, world.site, starts_at=from_now(timedelta(days=5)))
    client.force_login(world.alice)
    page = client.get(reverse("privacy:erase"))
    assert "mission réservée à venir" in page.content.decode() and "Centre hospitalier de Mende" in page.content.decode()
    response = client.post(reverse("privacy:erase"), {"email": world.alice.email})
    assert response.status_code == 200 and "mission réservée à venir" in response.content.decode()
    assert User.objects.get(pk=world.alice.pk).is_active


def test_the_page_asks_for_the_address_then_erases_and_logs_out(client, world):
    client.force_login(world.alice)
    wrong = client.post(reverse("privacy:erase"), {"email": "someone@example.org"})
    assert wrong.status_code == 200 and User.objects.get(pk=world.alice.pk).is_active
    done = client.post(reverse("privacy:erase"), {"email": "Alice.Martin@example.org"})
    assert done.status_code == 302 and done["Location"] == reverse("home")
    assert "_auth_user_id" not in client.session
    assert not User.objects.get(pk=world.alice.pk).is_active
    assert not client.login(email="alice.martin@example.org", password=PASSWORD)


def test_an_hr_member_and_an_ars_agent_are_erased_what_they_posted_stays(world):
    shifts = set(world.site.shifts.values_list("pk", flat=True))
    ars = make_ars_agent("76", "agent.zephyrin@ars.sante.fr", first_name="Zéphyrin", last_name="Zylberquintz")
    account_erase(actor=world.bob)
    account_erase(actor=ars)
    assert set(world.site.shifts.values_list("pk", flat=True)) == shifts  # their author is anonymised, not deleted
    assert not world.site.memberships.filter(user=world.bob).exists()
    assert where_found(["bob.durand@example.org", "Bob Durand", "agent.zephyrin@ars.sante.fr", "Zylberquintz"]) == []
