"""The retention purge (daily, ``ville_hopital.tasks.privacy_retention_purge``): what is no longer needed goes.

Periods are settings (``PRIVACY_*``, docs/privacy.md). The audit trail is never purged: it is
append-only, and it is the evidence of who did what.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, OuterRef, ProtectedError
from django.utils import timezone

from accounts.models import User
from missions.core.models import Proposal, ProposalState
from notifications.models import Notification
from ville_hopital.models import AuditEvent
from ville_hopital.months import add_months

CLOSED_PROPOSAL_STATES = (ProposalState.DECLINED, ProposalState.EXPIRED, ProposalState.WITHDRAWN)


def unverified_signups(*, before: datetime) -> models.QuerySet:
    """Accounts created before ``before`` whose address was never confirmed, that never signed in
    and hold no role (an ARS agent or a staff member may have no confirmed address row)."""
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
    return User.objects.filter(
        date_joined__lt=before, last_login__isnull=True, is_staff=False, is_superuser=False,
        professional__isnull=True, ars_staff__isnull=True, memberships__isnull=True,
        # A revoked integration token's account: no address to confirm, kept with its token's record.
        is_integration=False,
    ).exclude(Exists(verified))


@transaction.atomic
def retention_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Deletes read notifications older than ``PRIVACY_READ_NOTIFICATION_MONTHS`` (with their
    deliveries: the e-mail bodies and addresses), blanks the free-text reason of offers closed
    (declined, expired, withdrawn) more than ``PRIVACY_CLOSED_PROPOSAL_MONTHS`` ago (the row stays:
    the ARS and HR figures count it), and deletes sign-ups left unconfirmed for
    ``PRIVACY_UNVERIFIED_SIGNUP_DAYS``. One audit row with the counts. Idempotent."""
    now = now or timezone.now()
    notifications, _ = Notification.objects.filter(
        read_at__lt=add_months(now, -settings.PRIVACY_READ_NOTIFICATION_MONTHS)
    ).delete()
    proposals = Proposal.objects.filter(
        state__in=CLOSED_PROPOSAL_STATES, expires_at__lt=add_months(now, -settings.PRIVACY_CLOSED_PROPOSAL_MONTHS),
    ).exclude(decline_reason="").update(decline_reason="")
    signups = 0
    for user in unverified_signups(before=now - timedelta(days=settings.PRIVACY_UNVERIFIED_SIGNUP_DAYS)):
        try:
            with transaction.atomic():
                user.delete()
        except ProtectedError:
            continue  # something (an audit row) points to it: it stays rather than break the trail
        signups += 1
    counts = {"notification_rows": notifications, "proposals_blanked": proposals, "signups_deleted": signups}
    AuditEvent.objects.create(action="privacy.retention_purge", target_type="system", target_id="retention", data=counts)
    return counts
