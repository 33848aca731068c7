"""« Supprimer mon compte »: personal data erased or anonymised, legal evidence kept.

The ``User`` row itself stays, anonymised: the audit trail (append-only, ``actor`` PROTECT),
contracts, their signatures and the shifts the person posted point to it. Likewise a professional
with missions keeps an anonymised ``Professional`` row (no RPPS/ADELI, ``erased_at`` set) because the
missions and contracts kept for their legal retention point to it. What stays, and why, is
``RETAINED`` below and docs/privacy.md.
"""

from __future__ import annotations

import secrets
from functools import reduce
from operator import or_

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ArsInvitation, ArsStaff, Civility, User
from establishments.models import MemberInvitation, Membership
from missions.core.models import EstablishmentBlock, Mission, MissionState, Proposal, ProposalState
from notifications.models import (
    Delivery,
    Digest,
    EventPreference,
    Notification,
    NotificationSettings,
    PhoneVerification,
)
from professionals.models import Credential, Professional
from professionals.pro_sante_connect.models import PscIdentity
from ville_hopital.audit import audit_record
from ville_hopital.privacy.declarations import project_models
from ville_hopital.transitions import transition

#: Fields that may still hold the erased person's name after erasure, and why (the erasure test
#: searches every other text field of every model for the person's email, names, phone and RPPS).
RETAINED: dict[str, str] = {
    "missions.ContractSignature.signer_name": (
        "signature evidence of a contract kept for its legal retention (docs/privacy.md: 5 years after the "
        "mission, Code civil art. 2224)"
    ),
}

ERASED_DOMAIN = "erased.invalid"


def erased_email(user_id: int) -> str:
    # ``.invalid`` is reserved (RFC 2606): nothing is ever sent there, and the old address is free again.
    return f"erased-{user_id}@{ERASED_DOMAIN}"


def upcoming_missions(user: User) -> models.QuerySet:
    """Booked missions not yet over: the establishment counts on the person, so erasure waits."""
    return Mission.objects.filter(professional__user=user, state=MissionState.BOOKED, ends_at__gt=timezone.now())


def _mentions(fields: tuple[str, ...], needles: list[str]) -> Q:
    return reduce(or_, (Q(**{f"{name}__icontains": needle}) for name in fields for needle in needles))


def _erase_notifications(user: User, needles: list[str]) -> None:
    Delivery.objects.filter(recipient=user).delete()
    Notification.objects.filter(recipient=user).delete()
    for model in (Digest, NotificationSettings, EventPreference, PhoneVerification):
        model.objects.filter(user=user).delete()
    # Messages to others (HR told « Alice Martin accepted ») name the person: they go too.
    Notification.objects.filter(_mentions(("subject", "body", "sms_text", "context"), needles)).delete()
    Delivery.objects.filter(_mentions(("subject", "body"), needles)).delete()


def _erase_professional(professional: Professional) -> None:
    files = [(c.file.storage, c.file.name) for c in Credential.objects.filter(professional=professional)]
    # Files go once the erasure is committed: a rollback must not leave rows pointing to nothing.
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
    if not Mission.objects.filter(professional=professional).exists():
        professional.delete()  # cascades: credentials, availability, proposals, blocks
        return
    Credential.objects.filter(professional=professional).delete()
    professional.availabilities.all().delete()
    EstablishmentBlock.objects.filter(professional=professional).delete()
    now = timezone.now()
    for proposal in Proposal.objects.select_for_update().filter(professional=professional, state=ProposalState.PENDING):
        proposal.decided_at = now
        transition(proposal, to_state=ProposalState.WITHDRAWN, actor=None, action="proposal.withdraw",
                   data={"reason": "account erased"}, update_fields=["decided_at"])
    Proposal.objects.filter(professional=professional).exclude(decline_reason="").update(decline_reason="")
    professional.skills.clear()
    professional.blocked_establishments.clear()
    professional.rpps = professional.adeli = professional.expected_hourly_rate = None
    professional.calendar_token = secrets.token_urlsafe(32)  # the old calendar link stops answering
    professional.erased_at = now
    professional.full_clean()
    professional.save()


def _delete_sign_in_rows(user: User) -> None:
    """The rows other packages keep about the person's sign-in (allauth's addresses, linked
    accounts and second factors, the API token…): whatever installed model outside the project
    points to the user, so that a package added later is covered too. The admin's log is the
    staff's history, scrubbed instead (``_scrub_admin_log``)."""
    ours = set(project_models())
    for model in apps.get_models():
        if model in ours or model is LogEntry:
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is User:
                model._base_manager.filter(**{field.name: user}).delete()


def _scrub_admin_log(user: User, professional: Professional | None) -> None:
    for obj in (user, professional):
        if obj is not None and obj.pk is not None:
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
            ).update(object_repr=str(obj)[:200], change_message="")


@transaction.atomic
def account_erase(*, actor: User) -> User:
    """Erases ``actor``'s personal data; refused while a booked mission is not over.

    Deleted: profile data, availability, credentials (rows and files), notifications and
    preferences, memberships, the ARS role, invitations sent to the address, e-mail addresses, API
    token, and the notices to others that name the person. Anonymised: the user row (new address
    ``erased-<id>@erased.invalid``, no name or phone, no usable password, inactive) and, when
    missions exist, the professional row. Kept: missions, contracts (PDFs and hashes unchanged),
    signatures, the audit trail. The caller logs the person out.
    """
    user = User.objects.select_for_update().get(pk=actor.pk)
    if upcoming_missions(user).exists():
        raise ValidationError(_(
            "Vous avez une mission réservée à venir : annulez-la ou attendez qu'elle soit terminée avant de "
            "supprimer votre compte."
        ))
    professional = Professional.objects.filter(user=user).first()
    # The full name only when it has both parts: a lone first name would match strangers' notices.
    full_name = user.get_full_name().strip() if user.first_name and user.last_name else ""
    needles = [n for n in (user.email, full_name, user.phone) if n]
    if professional is not None:
        needles += [n for n in (professional.rpps, professional.adeli) if n]
    audit_record(actor=user, action="account.erase", target=user,
                 data={"professional": professional.pk if professional else None})
    _erase_notifications(user, needles)
    if professional is not None:
        _erase_professional(professional)
        professional = Professional.objects.filter(pk=professional.pk).first()
    ArsStaff.objects.filter(user=user).delete()
    Membership.objects.filter(user=user).delete()
    ArsInvitation.objects.filter(email__iexact=user.email).delete()
    MemberInvitation.objects.filter(email__iexact=user.email).delete()
    PscIdentity.objects.filter(user=user).delete()
    _delete_sign_in_rows(user)
    user.email = erased_email(user.pk)
    user.first_name = user.last_name = user.phone = ""
    user.civility = Civility.NOT_STATED
    user.last_login = None
    user.is_active = False
    user.set_unusable_password()  # also ends the person's other sessions (their auth hash changes)
    user.full_clean(exclude=["password"])
    user.save()
    _scrub_admin_log(user, professional)
    return user
