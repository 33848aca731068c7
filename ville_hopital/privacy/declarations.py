"""What the personal data export holds, model by model, and what it deliberately leaves out.

Every model of the project that points to a person (a foreign key or one-to-one to ``User`` or
``Professional``) has one ``PersonalData`` entry here; each of its concrete fields is either
``exported`` or in ``left_out`` with the reason. ``tests/privacy/test_export.py`` walks the models
and fails when a field is neither: a new personal field cannot slip out of the export unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import ArsInvitation, ArsStaff, User
from dashboards.models import ProfessionalDay
from establishments.models import IntegrationToken, MemberInvitation, Membership, Shift, ShiftSeries
from missions.contracts.models import Contract, ContractSignature
from missions.core.models import EstablishmentBlock, Mission, Proposal
from notifications.models import (
    Delivery,
    Digest,
    EventPreference,
    Notification,
    NotificationSettings,
    PhoneVerification,
)
from professionals.models import Availability, Credential, Professional
from professionals.pro_sante_connect.models import PscIdentity
from ville_hopital.models import AuditEvent, IdempotencyKey
from webhooks.models import WebhookSubscription

ACCESS_MATERIAL = "a secret (a hash, token or key): giving it out would let someone act as the person"
TECHNICAL = "delivery bookkeeping of the platform (retries, leases, provider ids), not about the person"
FILE_IN_ARCHIVE = "the file itself is in the archive (files/…), named in 'archive_file'"
OTHERS = "another person's data (who invited, who blocked): not the requester's to receive"
AUTHOR_ONLY = "the establishment's record; the person is only its author (exported: id, establishment, date)"
DERIVED = "statistics rebuilt from missions (exported in missions.json)"


def project_models() -> list[type[models.Model]]:
    """The models of the project's own apps (those in the repository, not in a virtualenv)."""
    base = Path(settings.BASE_DIR)
    return [
        model for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(base) and ".venv" not in Path(config.path).parts
        for model in config.get_models()
    ]


def _because(reason: str, names: str) -> dict[str, str]:
    return dict.fromkeys(names.split(), reason)


@dataclass(frozen=True)
class PersonalData:
    """One model's part of the export: the rows about ``user`` and the fields given out."""

    model: type[models.Model]
    file: str  # the JSON file of the archive holding these rows
    rows: Callable[[User], models.QuerySet]
    exported: tuple[str, ...]
    left_out: Mapping[str, str] = field(default_factory=dict)
    # Many-to-many fields exported as lists of ids (not concrete fields: not in the field check).
    many: tuple[str, ...] = ()


def _professional_rows(model: type[models.Model], path: str = "professional") -> Callable[[User], models.QuerySet]:
    return lambda user: model.objects.filter(**{f"{path}__user": user})


PERSONAL_DATA: tuple[PersonalData, ...] = (
    PersonalData(
        User, "account.json", lambda user: User.objects.filter(pk=user.pk),
        ("id", "email", "first_name", "last_name", "civility", "phone", "signup_intent", "date_joined", "last_login",
         "is_active", "is_staff", "is_superuser", "is_integration"),
        {"password": ACCESS_MATERIAL},
    ),
    PersonalData(
        EmailAddress, "account.json", lambda user: EmailAddress.objects.filter(user=user),
        ("id", "user", "email", "verified", "primary"),
    ),
    PersonalData(
        SocialAccount, "account.json", lambda user: SocialAccount.objects.filter(user=user),
        ("id", "user", "provider", "uid", "last_login", "date_joined", "extra_data"),
    ),
    PersonalData(
        ArsStaff, "ars_role.json", lambda user: ArsStaff.objects.filter(user=user),
        ("id", "user", "region", "created_at"),
    ),
    PersonalData(
        ArsInvitation, "ars_role.json", lambda user: ArsInvitation.objects.filter(email__iexact=user.email),
        ("id", "email", "region", "created_at", "expires_at", "accepted_at"),
        {"token": ACCESS_MATERIAL, "invited_by": OTHERS},
    ),
    PersonalData(
        Professional, "professional_profile.json", lambda user: Professional.objects.filter(user=user),
        ("id", "user", "rpps", "adeli", "profession", "home_commune", "radius_km", "max_missions_per_month",
         "min_notice_hours", "expected_hourly_rate", "created_at", "erased_at"),
        {"calendar_token": ACCESS_MATERIAL},
        many=("skills", "blocked_establishments"),
    ),
    PersonalData(
        PscIdentity, "professional_profile.json", lambda user: PscIdentity.objects.filter(user=user),
        ("id", "user", "subject", "rpps", "acr", "verified_at"),
    ),
    PersonalData(
        Availability, "availability.json", _professional_rows(Availability),
        ("id", "professional", "day", "slot"),
    ),
    PersonalData(
        Credential, "credentials.json", _professional_rows(Credential),
        ("id", "professional", "kind", "original_name", "content_type", "size", "expires_on", "uploaded_at"),
        {"file": FILE_IN_ARCHIVE},
    ),
    PersonalData(
        Proposal, "proposals.json", _professional_rows(Proposal),
        ("id", "shift", "professional", "state", "source", "distance_km", "wave", "matching_run_id", "created_at",
         "expires_at", "decided_at", "seen_at", "decline_reason"),
    ),
    PersonalData(
        Mission, "missions.json", _professional_rows(Mission),
        ("id", "shift", "position", "professional", "proposal", "state", "pay", "starts_at", "ends_at", "distance_km",
         "booked_at", "closed_at", "cancelled_by", "cancel_reason"),
    ),
    PersonalData(
        ProfessionalDay, "missions.json", _professional_rows(ProfessionalDay),
        (), _because(DERIVED, "id day region departement profession establishment_type establishment professional "
                              "last_levels"),
    ),
    PersonalData(
        EstablishmentBlock, "establishment_blocks.json", _professional_rows(EstablishmentBlock),
        ("id", "establishment", "professional", "created_at"),
        {"created_by": OTHERS, "reason": "written by the establishment's staff about its hiring; given by the "
                                         "data protection officer on request, once others' rights are weighed "
                                         "(GDPR art. 15(4))"},
    ),
    PersonalData(
        Contract, "contracts.json",
        lambda user: Contract.objects.filter(mission__professional__user=user),
        ("id", "mission", "version", "previous", "state", "route", "sha256", "final_sha256", "reason", "created_at",
         "signed_at", "completed_at", "cancelled_at", "cancel_reason", "flagged_at", "unsigned_at_start_at"),
        {"pdf": FILE_IN_ARCHIVE, "final_pdf": FILE_IN_ARCHIVE, "created_by": OTHERS, "cancelled_by": OTHERS},
    ),
    PersonalData(
        ContractSignature, "contracts.json",
        lambda user: ContractSignature.objects.filter(Q(user=user) | Q(contract__mission__professional__user=user)),
        ("id", "contract", "side", "user", "signer_name", "signer_role", "signed_at", "ip", "sha256_signed"),
    ),
    PersonalData(
        Notification, "notifications.json", lambda user: Notification.objects.filter(recipient=user),
        ("id", "recipient", "event", "urgent", "language", "subject", "body", "sms_text", "url", "context",
         "digest_state", "digest", "created_at", "read_at"),
        {"dedupe_key": TECHNICAL},
    ),
    PersonalData(
        Delivery, "notifications.json", lambda user: Delivery.objects.filter(recipient=user),
        ("id", "recipient", "notification", "digest", "channel", "subject", "body", "state", "address", "created_at",
         "sent_at"),
        _because(TECHNICAL, "idempotency_key attempts last_error provider_reference lease_until next_attempt_at"),
    ),
    PersonalData(
        Digest, "notifications.json", lambda user: Digest.objects.filter(user=user),
        ("id", "user", "day", "created_at"),
    ),
    PersonalData(
        NotificationSettings, "notification_preferences.json",
        lambda user: NotificationSettings.objects.filter(user=user),
        ("id", "user", "language", "urgent_sms", "night_sms", "phone_verified", "phone_verified_at"),
    ),
    PersonalData(
        EventPreference, "notification_preferences.json", lambda user: EventPreference.objects.filter(user=user),
        ("id", "user", "event", "email", "sms", "digest"),
    ),
    PersonalData(
        PhoneVerification, "notification_preferences.json", lambda user: PhoneVerification.objects.filter(user=user),
        ("id", "user", "phone", "expires_at", "failed_attempts", "locked_until", "last_sent_at"),
        {"code_hash": ACCESS_MATERIAL, **_because(TECHNICAL, "sends_window_start sends_in_window")},
    ),
    PersonalData(
        Membership, "memberships.json", lambda user: Membership.objects.filter(user=user),
        ("id", "user", "establishment", "role", "created_at"),
    ),
    PersonalData(
        MemberInvitation, "memberships.json", lambda user: MemberInvitation.objects.filter(email__iexact=user.email),
        ("id", "establishment", "email", "role", "created_at", "expires_at", "accepted_at"),
        {"token": ACCESS_MATERIAL, "invited_by": OTHERS},
    ),
    PersonalData(
        ShiftSeries, "memberships.json", lambda user: ShiftSeries.objects.filter(created_by=user),
        ("id", "establishment", "created_at"), _because(AUTHOR_ONLY, "rule created_by"),
    ),
    PersonalData(
        Shift, "memberships.json", lambda user: Shift.objects.filter(created_by=user),
        ("id", "establishment", "created_at"),
        _because(AUTHOR_ONLY, "unit profession starts_at ends_at positions urgent urgency pay pay_cap "
                              "pay_cap_explanation contract_route location shared_with_legal_entity series state "
                              "cancel_reason created_by"),
    ),
    PersonalData(
        IntegrationToken, "memberships.json",
        lambda user: IntegrationToken.objects.filter(Q(created_by=user) | Q(revoked_by=user)),
        ("id", "establishment", "name", "created_at", "revoked_at"),
        {**_because(AUTHOR_ONLY, "scope expires_at last_used_at created_by revoked_by"),
         "key_hash": ACCESS_MATERIAL, "key_prefix": ACCESS_MATERIAL,
         "user": "the token's own account (not a person's): the establishment's, not the author's"},
    ),
    PersonalData(
        WebhookSubscription, "memberships.json", lambda user: WebhookSubscription.objects.filter(created_by=user),
        ("id", "establishment", "created_at"),
        {**_because(AUTHOR_ONLY, "url events state disabled_at disabled_reason consecutive_failures created_by"),
         "secret": ACCESS_MATERIAL},
    ),
    PersonalData(
        IdempotencyKey, "api_requests.json", lambda user: IdempotencyKey.objects.filter(user=user),
        ("id", "user", "key", "method", "path", "response_status", "created_at"),
        {"body_sha256": TECHNICAL,
         "response_body": "a copy of the API's answer, kept a day to replay a retry: the rows it names are "
                          "exported in their own files"},
    ),
    PersonalData(
        AuditEvent, "audit_events.json", lambda user: AuditEvent.objects.filter(actor=user),
        ("id", "actor", "action", "target_type", "target_id", "from_state", "to_state", "data", "created_at"),
    ),
)
