"""The daily digest: held notifications go out once, in one email; urgent ones bypass it."""

from __future__ import annotations

from datetime import date

import pytest

from notifications.models import Delivery, DeliveryState, Digest, DigestState, Notification
from notifications.services import Preference, digests_send, notify, preferences_update
from notifications.tasks import send_digests
from tests.notifications.conftest import deliveries, sample_context

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 1)


@pytest.fixture
def alice_on_digest(alice):
    preferences_update(actor=alice, language="fr", choices={
        "proposal.new": Preference(email=True, sms=True, digest=True),
        "mission.booked": Preference(email=True, sms=False, digest=True),
    })
    return alice


def _notify(user, event, key, *, urgent=False):
    return notify(recipient=user, event=event, context=sample_context(event), dedupe_key=key, urgent=urgent)


def test_held_notifications_go_out_once_in_one_email_and_urgent_ones_at_once(
    alice_on_digest, mailoutbox, daytime, django_capture_on_commit_callbacks
):
    alice = alice_on_digest
    with django_capture_on_commit_callbacks(execute=True):
        _notify(alice, "proposal.new", "proposal:1:new")
        _notify(alice, "mission.booked", "mission:2:booked")
        urgent = _notify(alice, "proposal.new", "proposal:3:new", urgent=True)

    # The urgent proposal went out at once on both channels; the two others wait.
    assert [m.subject for m in mailoutbox] == [urgent.subject]
    assert urgent.subject.startswith("URGENT – Nouvelle proposition")
    assert deliveries(alice).filter(notification=urgent).count() == 2
    held = Notification.objects.filter(recipient=alice, digest_state=DigestState.HELD)
    assert held.count() == 2
    assert not Delivery.objects.filter(notification__in=held).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send(day=DAY) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send(day=DAY) == 0  # the daily run again: nothing more

    assert len(mailoutbox) == 2
    digest_mail = mailoutbox[1]
    assert digest_mail.to == ["alice@example.org"]
    assert digest_mail.subject == "Votre résumé Ville-Hôpital du 1 décembre 2026 : 2 notifications"
    assert "- Nouvelle proposition : Infirmier·e de nuit — Urgences (CH de Mende)" in digest_mail.body
    assert "- Mission réservée : Infirmier·e de nuit — Urgences (CH de Mende)" in digest_mail.body
    assert urgent.subject not in digest_mail.body
    assert Notification.objects.filter(recipient=alice, digest_state=DigestState.SENT).count() == 2
    digest = Digest.objects.get(user=alice)
    assert digest.delivery.state == DeliveryState.SENT
    assert digest.delivery.idempotency_key == f"{alice.pk}:digest:2026-12-01:email"


def test_a_notification_held_after_the_days_digest_waits_for_the_next_day(
    alice_on_digest, mailoutbox, django_capture_on_commit_callbacks
):
    alice = alice_on_digest
    with django_capture_on_commit_callbacks(execute=True):
        _notify(alice, "proposal.new", "proposal:1:new")
        digests_send(day=DAY)
        _notify(alice, "proposal.new", "proposal:4:new")
        assert digests_send(day=DAY) == 0
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send(day=date(2026, 12, 2)) == 1
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject.endswith(": 1 notification")
    assert Digest.objects.filter(user=alice).count() == 2


def test_users_without_held_notifications_get_no_digest(alice, charlie, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(alice, "mission.booked", "mission:1:booked")  # default: immediate
        assert send_digests.delay().get() == 0
    assert len(mailoutbox) == 1
    assert not Digest.objects.exists()


def test_digest_with_channels_off_holds_nothing(alice, django_capture_on_commit_callbacks):
    preferences_update(actor=alice, language="fr", choices={
        "mission.booked": Preference(email=False, sms=False, digest=True),
    })
    notification = _notify(alice, "mission.booked", "mission:1:booked")
    assert notification.digest_state == DigestState.NONE  # in-app only: nothing to send, nothing to hold
    assert digests_send(day=DAY) == 0


def test_the_digest_is_written_in_the_users_language(alice_on_digest, mailoutbox, django_capture_on_commit_callbacks):
    alice = alice_on_digest
    preferences_update(actor=alice, language="en", choices={"proposal.new": Preference(True, False, True)})
    with django_capture_on_commit_callbacks(execute=True):
        _notify(alice, "proposal.new", "proposal:1:new")
        digests_send(day=DAY)
    [mail] = mailoutbox
    assert mail.subject == "Your Ville-Hôpital digest of Dec. 1, 2026: 1 notification"
    assert "Here is what happened since your last digest:" in mail.body
    assert "- New proposal: Infirmier·e de nuit — Urgences (CH de Mende)" in mail.body
