"""Onboarding: FINESS claims, verification by platform staff (and its email), invitations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from establishments.models import Establishment, EstablishmentStatus, MemberInvitation, MemberRole, Membership
from establishments.services import (
    ShiftSpec,
    establishment_register,
    establishment_verify,
    member_invitation_accept,
    member_invitation_create,
    shift_post,
)
from tests.factories import etype, finess, in_days, make_unit, make_user, profession
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


def register(actor, commune, geo="48078009", **extra):
    fields = {
        "finess_geo": finess(geo), "finess_legal": finess("48000001"), "name": "CH de Mende", "type": etype("CH"),
        "commune": commune, "address": "2 avenue du 8 Mai 1945",
    }
    return establishment_register(actor=actor, **(fields | extra))


def test_register_makes_a_pending_establishment_with_the_actor_as_admin(alice, mende):
    est = register(alice, mende)
    assert est.status == EstablishmentStatus.PENDING
    assert Membership.objects.get(user=alice, establishment=est).role == MemberRole.ADMIN
    assert AuditEvent.objects.filter(action="establishment.register", target_id=str(est.pk)).exists()


def test_register_normalises_the_finess(alice, mende):
    number = finess("48078009")
    est = register(alice, mende, finess_geo=f"{number[:2]} {number[2:5]} {number[5:]}")
    assert est.finess_geo == number


@pytest.mark.parametrize("bad", ["48078009X", "12345", "480780090" if finess("48078009")[-1] != "0" else "480780091", "00000000A"])
def test_invalid_finess_names_the_field_and_writes_nothing(alice, mende, bad):
    with pytest.raises(ValidationError) as error:
        register(alice, mende, finess_geo=bad)
    assert "finess_geo" in error.value.message_dict
    assert not Establishment.objects.exists()
    assert not Membership.objects.exists()


def test_invalid_legal_finess_is_refused_too(alice, mende):
    with pytest.raises(ValidationError) as error:
        register(alice, mende, finess_legal="480000000" if finess("48000000")[-1] != "0" else "480000001")
    assert "finess_legal" in error.value.message_dict


def test_a_claimed_finess_cannot_be_claimed_again(alice, charlie, mende):
    register(alice, mende)
    with pytest.raises(ValidationError) as error:
        register(charlie, mende, name="Usurpateur")
    assert "finess_geo" in error.value.message_dict
    assert Establishment.objects.count() == 1
    assert not Membership.objects.filter(user=charlie).exists()


def test_only_staff_verify_and_admins_are_emailed(alice, bob, staff, mende, django_capture_on_commit_callbacks):
    est = register(alice, mende)
    with pytest.raises(PermissionDenied):
        establishment_verify(actor=alice, establishment=est)
    with pytest.raises(PermissionDenied):
        establishment_verify(actor=bob, establishment=est)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        establishment_verify(actor=staff, establishment=est)
    est.refresh_from_db()
    assert est.status == EstablishmentStatus.VERIFIED and est.verified_at is not None
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert "vérifié" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="establishment.verify", to_state="verified").exists()


def test_a_pending_establishment_cannot_post(alice, mende):
    est = register(alice, mende)
    unit = make_unit(est, by=alice)
    with pytest.raises(ValidationError) as error:
        shift_post(
            actor=alice, starts_at=in_days(3, 8), ends_at=in_days(3, 20), spec=ShiftSpec(
                unit=unit, profession=profession("IDE"), positions=1, urgency=3, urgent=False,
                pay=__import__("decimal").Decimal("300"),
            ),
        )
    assert "vérifié" in " ".join(error.value.messages)


def test_admin_verification_queue_action(client, staff, alice, mende, django_capture_on_commit_callbacks):
    est = register(alice, mende)
    client.force_login(staff)
    changelist = reverse("admin:establishments_establishment_changelist")
    response = client.get(changelist + "?status__exact=pending")
    assert response.status_code == 200 and est.name in response.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "verify", "_selected_action": [est.pk]})
    assert response.status_code == 302
    est.refresh_from_db()
    assert est.status == EstablishmentStatus.VERIFIED
    assert mail.outbox and mail.outbox[0].to == [alice.email]


def test_invitation_flow(establishment_a, alice, charlie, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = member_invitation_create(
            actor=alice, establishment=establishment_a, email="Dana@CH-Mende.test", role=MemberRole.HR
        )
    assert mail.outbox[-1].to == ["dana@ch-mende.test"]
    assert invitation.token in mail.outbox[-1].body
    dana = make_user("dana@ch-mende.test")
    with pytest.raises(PermissionDenied):
        member_invitation_accept(actor=charlie, token=invitation.token)
    membership = member_invitation_accept(actor=dana, token=invitation.token)
    assert membership.role == MemberRole.HR and membership.establishment == establishment_a
    with pytest.raises(ValidationError):
        member_invitation_accept(actor=dana, token=invitation.token)


def test_only_admins_invite(establishment_a, bob, charlie):
    with pytest.raises(PermissionDenied):
        member_invitation_create(actor=bob, establishment=establishment_a, email="x@example.org", role="hr")
    with pytest.raises(PermissionDenied):
        member_invitation_create(actor=charlie, establishment=establishment_a, email="x@example.org", role="hr")


def test_expired_invitation_is_refused(establishment_a, alice):
    invitation = member_invitation_create(actor=alice, establishment=establishment_a, email="e@x.test", role="viewer")
    MemberInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    user = make_user("e@x.test")
    with pytest.raises(ValidationError):
        member_invitation_accept(actor=user, token=invitation.token)
    assert not Membership.objects.filter(user=user).exists()
