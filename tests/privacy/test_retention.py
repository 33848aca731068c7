"""The retention purge: read notifications, closed offers' reasons and unconfirmed sign-ups go after
their period (the clock moved with time-machine); the rest stays; the job is in the beat schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from missions.booking.services.proposals import proposal_decline
from missions.core.models import Proposal, ProposalState
from notifications.models import Notification
from notifications.services import notify
from tests.factories import (
    from_now,
    make_establishment,
    make_professional,
    make_proposal,
    make_shift,
    make_user,
)
from ville_hopital.celery import app as celery_app
from ville_hopital.models import AuditEvent
from ville_hopital.privacy.retention import retention_purge
from ville_hopital.tasks import privacy_retention_purge

pytestmark = pytest.mark.django_db


def _notice(user: User, key: str, *, read: bool) -> Notification:
    notification = notify(recipient=user, event="credential.expiring", dedupe_key=key,
                          context={"credential": "RCP", "expires_on": timezone.localdate(), "url": "/pro/"})
    if read:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    return notification


def test_read_notifications_go_after_their_period_unread_ones_stay(settings):
    settings.PRIVACY_READ_NOTIFICATION_MONTHS = 6
    user = make_user()
    old_read, old_unread = _notice(user, "a", read=True), _notice(user, "b", read=False)
    with time_machine.travel(timezone.now() + timedelta(days=150)):
        recent_read = _notice(user, "c", read=True)
        retention_purge()
        assert Notification.objects.filter(pk=old_read.pk).exists()  # five months: not yet
    with time_machine.travel(timezone.now() + timedelta(days=190)):
        retention_purge()
    left = set(Notification.objects.values_list("pk", flat=True))
    assert old_read.pk not in left and {old_unread.pk, recent_read.pk} <= left


def test_a_declined_offers_reason_is_blanked_after_its_period_the_offer_stays(settings):
    settings.PRIVACY_CLOSED_PROPOSAL_MONTHS = 12
    pro = make_professional()
    shift = make_shift(make_establishment(), profession=pro.profession_id, starts_at=from_now(timedelta(days=4)))
    proposal = proposal_decline(actor=pro.user, proposal=make_proposal(shift, pro), reason="trop loin de chez moi")
    assert proposal.state == ProposalState.DECLINED
    with time_machine.travel(timezone.now() + timedelta(days=300)):
        retention_purge()
    assert Proposal.objects.get(pk=proposal.pk).decline_reason == "trop loin de chez moi"
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        counts = retention_purge()
    assert counts["proposals_blanked"] == 1
    assert Proposal.objects.get(pk=proposal.pk).decline_reason == ""


def test_unconfirmed_sign_ups_go_after_their_period(settings):
    settings.PRIVACY_UNVERIFIED_SIGNUP_DAYS = 30
    unconfirmed = make_user(verified=False)
    confirmed = make_user()
    with_profile = make_professional(make_user(verified=False)).user  # a role: never purged as a stray sign-up
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        retention_purge()
    assert User.objects.filter(pk=unconfirmed.pk).exists()
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        counts = retention_purge()
    assert counts["signups_deleted"] == 1
    assert set(User.objects.filter(pk__in=[unconfirmed.pk, confirmed.pk, with_profile.pk]).values_list("pk", flat=True)) == {
        confirmed.pk, with_profile.pk}


def test_the_purge_is_audited_and_never_touches_the_audit_trail():
    before = AuditEvent.objects.count()
    with time_machine.travel(timezone.now() + timedelta(days=4000)):
        privacy_retention_purge()
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.filter(action="privacy.retention_purge").exists()


def test_the_job_is_in_the_beat_schedule():
    jobs = {job["task"] for job in celery_app.conf.beat_schedule.values()}
    assert "ville_hopital.tasks.privacy_retention_purge" in jobs
