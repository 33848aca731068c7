"""« Télécharger mes données »: the declarations cover every personal field; the archive holds the
person's rows and files, and nobody else's."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import User
from professionals.models import Professional
from tests.privacy.conftest import PDF, unzip
from ville_hopital.models import AuditEvent
from ville_hopital.privacy.declarations import PERSONAL_DATA, project_models
from ville_hopital.privacy.export import personal_data_export

pytestmark = pytest.mark.django_db


def relates_to_a_person(model) -> bool:
    return model in (User, Professional) or any(
        field.is_relation and field.concrete and field.related_model in (User, Professional)
        for field in model._meta.get_fields()
    )


def test_every_model_pointing_to_a_person_declares_each_field_exported_or_left_out():
    declared = {}
    for entry in PERSONAL_DATA:
        declared.setdefault(entry.model, []).append(entry)
    personal = [m for m in project_models() if relates_to_a_person(m)]
    assert {User, Professional, AuditEvent} <= set(personal)  # the walk sees what it must
    problems = []
    for model in personal:
        if model not in declared:
            problems.append(f"{model._meta.label}: no PersonalData entry in ville_hopital/privacy/declarations.py")
            continue
        for entry in declared[model]:
            names = {f.name for f in model._meta.concrete_fields}
            covered = set(entry.exported) | set(entry.left_out)
            problems += [f"{model._meta.label}.{n}: neither exported nor left out (with a reason)" for n in names - covered]
            problems += [f"{model._meta.label}.{n}: declared but not a field" for n in covered - names]
            problems += [f"{model._meta.label}.{n}: both exported and left out" for n in set(entry.exported) & set(entry.left_out)]
            problems += [f"{model._meta.label}.{n}: left out without a reason" for n, why in entry.left_out.items() if not why]
    assert not problems, "\n".join(problems)


def test_the_check_fails_for_a_field_nobody_declared():
    """The walk above is not vacuous: a field missing from a declaration is reported."""
    entry = next(e for e in PERSONAL_DATA if e.model is User)
    covered = set(entry.exported) | set(entry.left_out)
    assert "phone" in covered and {f.name for f in User._meta.concrete_fields} - (covered - {"phone"}) == {"phone"}


def test_the_archive_holds_one_file_per_kind_and_the_persons_files(world):
    archive = unzip(personal_data_export(actor=world.alice))
    names = set(archive.namelist())
    assert {"account.json", "professional_profile.json", "availability.json", "credentials.json", "proposals.json",
            "missions.json", "contracts.json", "notifications.json", "notification_preferences.json",
            "memberships.json", "ars_role.json", "audit_events.json", "files.json", "README.txt"} <= names
    account = json.loads(archive.read("account.json"))
    assert account["accounts.User"][0]["email"] == "alice.martin@example.org"
    assert account["accounts.User"][0]["phone"] == "+33612345678"
    assert account["accounts.User"][0]["civility"] == "madame"  # the optional civility is the person's data too
    assert "password" not in account["accounts.User"][0]
    profile = json.loads(archive.read("professional_profile.json"))["professionals.Professional"][0]
    assert profile["rpps"] == world.pro.rpps and "calendar_token" not in profile
    assert len(json.loads(archive.read("missions.json"))["missions.Mission"]) == 1
    assert len(json.loads(archive.read("proposals.json"))["missions.Proposal"]) == 2  # the booked one, the pending one
    signatures = json.loads(archive.read("contracts.json"))["missions.ContractSignature"]
    assert [s["ip"] for s in signatures] == ["192.0.2.10"]
    audit = json.loads(archive.read("audit_events.json"))["ville_hopital.AuditEvent"]
    assert {"contract.sign", "credential.upload"} & {row["action"] for row in audit}

    files = json.loads(archive.read("files.json"))
    uploaded = next(f for f in files["credentials"] if f["credential"] == world.credential.pk)
    assert archive.read(uploaded["archive_file"]) == PDF
    contract = next(f for f in files["contracts"] if f["contract"] == world.contract.pk)
    with world.contract.pdf.open("rb") as stored:
        assert archive.read(contract["archive_file"]) == stored.read()
    # The factories' insurance row names a file never written: listed as missing, not a failure.
    assert files["missing"]


def test_the_archive_holds_nobody_elses_data(world):
    archive = unzip(personal_data_export(actor=world.alice))
    text = " ".join(archive.read(n).decode() for n in archive.namelist() if n.endswith((".json", ".txt")))
    assert "alice.martin@example.org" in text
    for other in ("charlie.bernard@example.org", "Bernardin", "bob.durand@example.org"):
        assert other not in text


def test_the_export_is_audited(world):
    personal_data_export(actor=world.bob)
    assert AuditEvent.objects.filter(actor=world.bob, action="privacy.export").count() == 1


def test_the_download_page_and_the_archive(client, world):
    client.force_login(world.alice)
    page = client.get(reverse("privacy:my_data"))
    assert page.status_code == 200 and reverse("privacy:export") in page.content.decode()
    response = client.get(reverse("privacy:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip" and "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert "account.json" in unzip(b"".join(response.streaming_content)).namelist()


def test_the_pages_need_a_login(client):
    assert client.get(reverse("privacy:my_data")).status_code == 302
    assert client.get(reverse("privacy:export")).status_code == 302
