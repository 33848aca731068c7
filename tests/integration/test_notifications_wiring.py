"""Transitions and periodic scans tell the right people once (``notifications.notify`` for real)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from establishments.models import MemberRole, ShiftState
from missions.booking.services.missions import mission_cancel
from missions.booking.services.notices import (
    mission_booked_notify,
    missions_reminder_notify,
    proposals_expiring_notify,
    shifts_unfilled_notify,
)
from missions.booking.services.proposals import proposal_accept
from missions.booking.services.shifts import shift_cancel
from missions.core.models import CancelledBy, Mission, MissionState, Proposal, ProposalState
from notifications.models import Notification
from professionals.services import credentials_expiring_notify
from tests.factories import (
    book,
    in_days,
    insure,
    make_establishment,
    make_professional,
    make_proposal,
    make_shift,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    """An establishment with one member of each role."""
    admin, hr, viewer = make_user(), make_user(), make_user()
    establishment = make_establishment(members={admin: MemberRole.ADMIN, hr: MemberRole.HR, viewer: MemberRole.VIEWER})
    return establishment, admin, hr, viewer


def received(user, event: str | None = None) -> list[Notification]:
    rows = Notification.objects.filter(recipient=user)
    return list(rows.filter(event=event) if event else rows)


# --------------------------------------------------------------------------- mission.booked


def test_acceptance_tells_the_professional_and_the_admin_and_hr_members(team):
    establishment, admin, hr, viewer = team
    pro = make_professional()
    mission = book(make_shift(establishment=establishment), pro)

    for user, url in ((pro.user, f"/missions/mes-missions/{mission.pk}/"),
                      (admin, reverse("missions:hr_board", args=[establishment.pk])),
                      (hr, reverse("missions:hr_board", args=[establishment.pk]))):
        [notification] = received(user, "mission.booked")
        assert notification.dedupe_key == f"mission:{mission.pk}:booked"
        assert notification.url == url
        assert establishment.name in notification.body
        assert pro.user.get_full_name() in notification.body
    assert received(viewer) == []  # a viewer reads the board, the admin and HR act
    assert mission_booked_notify(mission=mission) == 0  # the same booking is never told twice
    assert Notification.objects.filter(event="mission.booked").count() == 3


def test_a_refused_acceptance_tells_nobody(team):
    establishment, _admin, hr, _viewer = team
    shift = make_shift(establishment=establishment)
    book(shift, make_professional())  # the only position
    late = make_professional()
    with pytest.raises(ValidationError):
        proposal_accept(actor=late.user, proposal=make_proposal(shift, late, insured=False, distance="1", expires_in=timedelta(days=1)))
    assert received(late.user) == []
    assert len(received(hr, "mission.booked")) == 1


# --------------------------------------------------------------------------- RCP insurance on the day


def test_acceptance_refused_when_the_insurance_ends_before_the_shift_day():
    pro = make_professional()
    shift = make_shift(starts_at=in_days(10, 8))
    day = timezone.localdate(shift.starts_at)
    insure(pro, day - timedelta(days=1))  # valid today, lapsed on the shift's day
    proposal = make_proposal(shift, pro, insured=False, distance="3", expires_in=timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        proposal_accept(actor=pro.user, proposal=proposal)
    assert "RCP" in " ".join(error.value.messages)
    assert not Mission.objects.filter(shift=shift).exists()
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.PENDING  # they may still accept after renewing
    assert received(pro.user) == []

    insure(pro, day)  # renewed: valid through the shift's day (the last day counts)
    assert proposal_accept(actor=pro.user, proposal=proposal).state == MissionState.BOOKED


def test_acceptance_refused_without_any_insurance():
    pro = make_professional()
    proposal = make_proposal(make_shift(), pro, insured=False, distance="3", expires_in=timedelta(days=1))
    with pytest.raises(ValidationError, match="RCP"):
        proposal_accept(actor=pro.user, proposal=proposal)


def test_short_notice_is_the_professionals_choice():
    pro = make_professional(min_notice_hours=48)  # more than the 30 h before the shift
    soon = make_shift(starts_at=timezone.now() + timedelta(hours=30))
    assert book(soon, pro).state == MissionState.BOOKED


# --------------------------------------------------------------------------- mission.cancelled


def test_professional_cancels_the_admin_and_hr_members_are_told(team):
    establishment, admin, hr, viewer = team
    pro = make_professional()
    mission = book(make_shift(establishment=establishment), pro)
    mission_cancel(actor=pro.user, mission=mission, reason="Enfant malade", by=CancelledBy.PROFESSIONAL)

    for user in (admin, hr):
        [notification] = received(user, "mission.cancelled")
        assert not notification.urgent  # days ahead, not an urgent shift: the digest may hold it
        assert notification.dedupe_key == f"mission:{mission.pk}:cancelled"
        assert "Enfant malade" in notification.body
    assert received(viewer) == []
    assert received(pro.user, "mission.cancelled") == []  # they did it themselves


def test_establishment_cancels_the_professional_is_told(team):
    establishment, admin, hr, _viewer = team
    pro = make_professional()
    mission = book(make_shift(establishment=establishment), pro)
    mission_cancel(actor=hr, mission=mission, reason="Service fermé", by=CancelledBy.ESTABLISHMENT)

    [notification] = received(pro.user, "mission.cancelled")
    assert not notification.urgent and "Service fermé" in notification.body
    assert notification.url == f"/missions/mes-missions/{mission.pk}/"
    assert received(admin, "mission.cancelled") == received(hr, "mission.cancelled") == []


def test_shift_cancellation_tells_each_professional_once(team):
    establishment, _admin, hr, _viewer = team
    shift = make_shift(establishment=establishment, positions=2)
    pros = [make_professional(), make_professional()]
    for pro in pros:
        book(shift, pro)
    shift_cancel(actor=hr, shift=shift, reason="Fermeture de lits")

    shift.refresh_from_db()
    assert shift.state == ShiftState.CANCELLED
    for pro in pros:
        [notification] = received(pro.user, "mission.cancelled")
        assert not notification.urgent and "Fermeture de lits" in notification.body
    assert Notification.objects.filter(event="mission.cancelled").count() == 2


# --------------------------------------------------------------------------- proposal.expiring


def test_expiring_proposals_scan():
    now = timezone.now()
    pro = make_professional()
    soon = make_proposal(make_shift(), pro, expires_in=timedelta(minutes=90))
    Proposal.objects.filter(pk=soon.pk).update(created_at=now - timedelta(hours=20))
    later = make_proposal(make_shift(), pro, expires_in=timedelta(hours=3))
    Proposal.objects.filter(pk=later.pk).update(created_at=now - timedelta(hours=20))
    make_proposal(make_shift(), pro, expires_in=timedelta(minutes=60))  # an urgent wave's short-lived offer
    answered = make_proposal(make_shift(), make_professional(), expires_in=timedelta(minutes=30))
    Proposal.objects.filter(pk=answered.pk).update(created_at=now - timedelta(hours=20), state=ProposalState.DECLINED)

    assert proposals_expiring_notify(now=now) == 1
    assert proposals_expiring_notify(now=now) == 0  # idempotent
    [notification] = received(pro.user, "proposal.expiring")
    assert notification.dedupe_key == f"proposal:{soon.pk}:expiring"
    assert not notification.urgent and notification.url == "/missions/propositions/"
    # An hour later the second one enters the window; the others never do.
    assert proposals_expiring_notify(now=now + timedelta(hours=1, minutes=30)) == 1
    assert {n.dedupe_key for n in received(pro.user, "proposal.expiring")} == {
        f"proposal:{soon.pk}:expiring", f"proposal:{later.pk}:expiring",
    }
    assert Notification.objects.filter(event="proposal.expiring").count() == 2


# --------------------------------------------------------------------------- mission.reminder


def test_reminder_for_tomorrows_missions(team):
    establishment, _admin, hr, _viewer = team
    now = in_days(0, 18)
    pro, other = make_professional(), make_professional()
    tomorrow_night = book(make_shift(establishment=establishment, starts_at=in_days(1, 20)), pro)
    book(make_shift(establishment=establishment, starts_at=in_days(2, 20)), pro)  # not tomorrow
    cancelled = book(make_shift(establishment=establishment, starts_at=in_days(1, 8)), other)
    mission_cancel(actor=hr, mission=cancelled, reason="Service fermé", by=CancelledBy.ESTABLISHMENT)

    assert missions_reminder_notify(now=now) == 1
    assert missions_reminder_notify(now=now) == 0  # idempotent
    [notification] = received(pro.user, "mission.reminder")
    assert notification.dedupe_key == f"mission:{tomorrow_night.pk}:reminder"
    assert establishment.address in notification.body
    assert received(other.user, "mission.reminder") == []


def test_reminder_uses_the_paris_day():
    """At 00:30 in Paris (still the day before in UTC), « tomorrow » is the Paris one."""
    today = timezone.localdate()
    now = timezone.make_aware(datetime.combine(today + timedelta(days=3), datetime.min.time())) + timedelta(minutes=30)
    pro = make_professional()
    mission = book(make_shift(starts_at=in_days(4, 1)), pro)  # 01:00 Paris, the next day
    assert missions_reminder_notify(now=now) == 1
    assert received(pro.user, "mission.reminder")[0].dedupe_key == f"mission:{mission.pk}:reminder"


# --------------------------------------------------------------------------- shift.unfilled


def test_unfilled_shifts_scan(team):
    establishment, admin, hr, viewer = team
    now = timezone.now()
    half = make_shift(establishment=establishment, starts_at=now + timedelta(hours=10), positions=2)
    book(half, make_professional())
    full = make_shift(establishment=establishment, starts_at=now + timedelta(hours=12))
    book(full, make_professional())
    make_shift(establishment=establishment, starts_at=now + timedelta(hours=30))  # not within 24 h
    gone = make_shift(establishment=establishment, starts_at=now + timedelta(hours=5))
    shift_cancel(actor=hr, shift=gone, reason="Doublon")

    assert shifts_unfilled_notify(now=now) == 2  # admin + HR, for ``half`` only
    assert shifts_unfilled_notify(now=now) == 0  # idempotent
    for user in (admin, hr):
        [notification] = received(user, "shift.unfilled")
        assert notification.dedupe_key == f"shift:{half.pk}:unfilled" and notification.urgent
        assert notification.context["open_positions"] == 1
        assert "1 poste reste ouvert" in notification.body
    assert received(viewer) == []


# --------------------------------------------------------------------------- credential.expiring


def test_expiring_insurance_scan():
    today = timezone.localdate()
    in_30, in_31 = make_professional(), make_professional()
    renewed, lapsed, other_kind = make_professional(), make_professional(), make_professional()
    due = insure(in_30, today + timedelta(days=30))
    insure(in_31, today + timedelta(days=31))
    insure(renewed, today + timedelta(days=10))
    insure(renewed, today + timedelta(days=400))  # a newer attestation: nothing to say
    insure(lapsed, today - timedelta(days=1))
    diploma = insure(other_kind, today + timedelta(days=5))
    diploma.kind = "diploma"
    diploma.save()

    assert credentials_expiring_notify(today=today) == 1
    assert credentials_expiring_notify(today=today) == 0  # idempotent
    assert credentials_expiring_notify(today=today + timedelta(days=1)) == 1  # in_31's turn, in_30 not again
    [notification] = received(in_30.user, "credential.expiring")
    assert notification.dedupe_key == f"credential:{due.pk}:expiring:{due.expires_on.isoformat()}"
    assert notification.url == "/pro/justificatifs/"
    assert not notification.urgent
    for pro in (renewed, lapsed, other_kind):
        assert received(pro.user) == []
    # The same document with another expiry date (corrected) is a new expiry: told again.
    due.expires_on = today + timedelta(days=20)
    due.save()
    assert credentials_expiring_notify(today=today) == 1


# --------------------------------------------------------------------------- tasks and schedule


def test_scans_are_scheduled_tasks():
    from celery.schedules import crontab

    from missions import tasks as mission_tasks
    from professionals import tasks as professional_tasks
    from ville_hopital.celery import app

    schedule = app.conf.beat_schedule
    expected = {
        "missions.notify_expiring_proposals": ("missions.tasks.notify_expiring_proposals", mission_tasks.notify_expiring_proposals),
        "missions.remind_missions": ("missions.tasks.remind_missions", mission_tasks.remind_missions),
        "missions.notify_unfilled_shifts": ("missions.tasks.notify_unfilled_shifts", mission_tasks.notify_unfilled_shifts),
        "professionals.notify_expiring_credentials": (
            "professionals.tasks.notify_expiring_credentials", professional_tasks.notify_expiring_credentials,
        ),
        "missions.expire_proposals": ("missions.tasks.expire_proposals", mission_tasks.expire_proposals),
    }
    for entry, (name, task) in expected.items():
        assert schedule[entry]["task"] == name == task.name
    assert schedule["missions.remind_missions"]["schedule"] == crontab(hour=18, minute=0)
    assert schedule["missions.notify_unfilled_shifts"]["schedule"] == crontab(minute=30)

    # The tasks run the scans (eagerly here): idempotent, the second run sends nothing.
    insure(make_professional(), timezone.localdate() + timedelta(days=3))
    assert professional_tasks.notify_expiring_credentials.delay().get() == 1
    assert professional_tasks.notify_expiring_credentials.delay().get() == 0
    for task in (mission_tasks.notify_expiring_proposals, mission_tasks.remind_missions,
                 mission_tasks.notify_unfilled_shifts):
        assert task.delay().get() == 0
