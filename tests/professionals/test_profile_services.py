"""Services of the professionals app (profile, credentials, availability) and the calendar's pure helpers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from missions.booking.services.proposals import proposal_accept
from professionals.calendar import copy_previous_month, month_weeks, parse_slot, shortcut_slots, week_of_month
from professionals.models import Availability, Credential
from professionals.services import (
    availability_month_save,
    calendar_token_regenerate,
    credential_delete,
    credential_upload,
    professional_create,
    professional_update,
)
from reference.models import Profession, Skill
from territories.models import Commune
from tests.factories import local, make_professional, make_proposal, make_shift, make_user, valid_rpps
from ville_hopital.models import AuditEvent

# --------------------------------------------------------------------------- pure calendar helpers


def test_week_of_month_follows_the_grid():
    # December 2026 starts on a Tuesday: the first row is 1–6, the third row 14–20.
    assert week_of_month(date(2026, 12, 1)) == 1
    assert week_of_month(date(2026, 12, 6)) == 1
    assert week_of_month(date(2026, 12, 7)) == 2
    assert {d.day for d, _s in shortcut_slots(2026, 12, "w3", "N")} == set(range(14, 21))
    rows = month_weeks(2026, 12)
    assert rows[0][0] is None and rows[0][1] == date(2026, 12, 1)
    assert all(len(row) == 7 for row in rows)


def test_shortcuts():
    saturdays = shortcut_slots(2026, 12, "wd5", "DN")
    assert {d.day for d, _s in saturdays} == {5, 12, 19, 26} and len(saturdays) == 8
    assert len(shortcut_slots(2026, 2, "all", "D")) == 28
    assert all(d.weekday() >= 5 for d, _s in shortcut_slots(2026, 12, "weekends", "N"))
    for bad in (("wd7", "D"), ("w9", "D"), ("all", "X"), ("sundays", "D")):
        with pytest.raises(ValueError):
            shortcut_slots(2026, 12, *bad)


def test_copy_previous_month_keeps_weekdays():
    november_tuesdays = {(d, "N") for d, _s in shortcut_slots(2026, 11, "wd1", "N")}
    copied = copy_previous_month(november_tuesdays, 2026, 12)
    assert copied and all(d.weekday() == 1 and d.month == 12 for d, _s in copied)
    assert {d.day for d, _s in copied} == {1, 8, 15, 22, 29}


def test_parse_slot():
    assert parse_slot(" 2026-12-05:N ") == (date(2026, 12, 5), "N")
    for bad in ("2026-12-05", "2026-13-01:D", "2026-12-05:X", "x"):
        with pytest.raises(ValueError):
            parse_slot(bad)


# --------------------------------------------------------------------------- profile


@pytest.mark.django_db
def test_create_normalises_and_audits():
    user = make_user()
    pro = professional_create(
        actor=user, profession=Profession.objects.get(code="60"), home_commune=Commune.objects.get(code_insee="48095"),
        rpps="100 051 731 40", skills=Skill.objects.filter(code="SI07"),
    )
    assert pro.rpps == "10005173140"
    assert AuditEvent.objects.filter(action="professional.create", target_id=str(pro.pk)).exists()
    with pytest.raises(ValidationError):
        professional_create(
            actor=user, profession=pro.profession, home_commune=pro.home_commune, rpps=valid_rpps(5)
        )


@pytest.mark.django_db
def test_update_refuses_dropping_a_required_skill_or_lowering_the_cap():
    pro = make_professional(skills=("SI06",), max_missions_per_month=5)
    month = (timezone.localdate().replace(day=1) + timedelta(days=45)).replace(day=1)
    for d in (1, 3):  # two missions in one calendar month
        shift = make_shift(skills=("SI06",), starts_at=local(month + timedelta(days=d)))
        proposal_accept(actor=pro.user, proposal=make_proposal(shift, pro))
    with pytest.raises(ValidationError) as info:
        professional_update(actor=pro.user, professional=pro, skills=[])
    assert "IBODE" in " ".join(info.value.message_dict["skills"])
    with pytest.raises(ValidationError) as info:
        professional_update(actor=pro.user, professional=pro, max_missions_per_month=1)
    assert "max_missions_per_month" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        professional_update(actor=pro.user, professional=pro, radius_km=1, home_commune=Commune.objects.get(code_insee="34172"))
    assert "radius_km" in info.value.message_dict
    pro.refresh_from_db()
    assert pro.max_missions_per_month == 5
    updated = professional_update(actor=pro.user, professional=pro, min_notice_hours=48, expected_hourly_rate=Decimal(50))
    assert updated.min_notice_hours == 48
    with pytest.raises(PermissionDenied):
        professional_update(actor=make_professional().user, professional=pro, radius_km=10)


@pytest.mark.django_db
def test_calendar_token_regenerate():
    pro = make_professional()
    old = pro.calendar_token
    assert calendar_token_regenerate(actor=pro.user, professional=pro) != old
    with pytest.raises(PermissionDenied):
        calendar_token_regenerate(actor=make_professional().user, professional=pro)


# --------------------------------------------------------------------------- credentials


@pytest.mark.django_db
def test_credential_rules(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pro = make_professional()
    jpeg = SimpleUploadedFile("diplome.pdf", b"\xff\xd8\xff\xe0" + b"0" * 100, "application/pdf")
    credential = credential_upload(actor=pro.user, professional=pro, kind="diploma", file=jpeg)
    assert credential.content_type == "image/jpeg"  # the content decides, not the name
    with pytest.raises(ValidationError) as info:
        credential_upload(
            actor=pro.user, professional=pro, kind="insurance",
            file=SimpleUploadedFile("rcp.pdf", b"%PDF-1.7", "application/pdf"),
            expires_on=timezone.localdate() - timedelta(days=1),
        )
    assert "expires_on" in info.value.message_dict
    with pytest.raises(PermissionDenied):
        credential_upload(
            actor=make_professional().user, professional=pro, kind="other",
            file=SimpleUploadedFile("a.pdf", b"%PDF-1.7", "application/pdf"),
        )
    path = tmp_path / credential.file.name
    assert path.exists()
    with pytest.raises(PermissionDenied):
        credential_delete(actor=make_professional().user, credential=credential)
    credential_delete(actor=pro.user, credential=credential)
    assert not Credential.objects.exists()


# --------------------------------------------------------------------------- availability


@pytest.mark.django_db
def test_availability_save_is_a_replace_and_audited():
    pro = make_professional()
    today = timezone.localdate()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    first = [(date(year, month, 2), "D"), (date(year, month, 3), "N")]
    assert availability_month_save(actor=pro.user, professional=pro, year=year, month=month, slots=first) == (2, 0)
    assert availability_month_save(actor=pro.user, professional=pro, year=year, month=month, slots=first) == (0, 0)
    assert availability_month_save(actor=pro.user, professional=pro, year=year, month=month, slots=first[:1]) == (0, 1)
    assert AuditEvent.objects.filter(action="availability.save").count() == 2
    with pytest.raises(ValidationError) as info:
        availability_month_save(
            actor=pro.user, professional=pro, year=year, month=month, slots=[(date(year, month, 1) - timedelta(days=1), "D")]
        )
    assert "slots" in info.value.message_dict
    assert Availability.objects.filter(professional=pro).count() == 1
    with pytest.raises(PermissionDenied):
        availability_month_save(actor=make_professional().user, professional=pro, year=year, month=month, slots=[])
