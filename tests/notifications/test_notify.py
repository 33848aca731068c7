"""notify(): one in-app row always, deliveries per the recipient's channel choices, once per key."""

from __future__ import annotations

import pytest
from django.db import transaction

from notifications.events import EVENTS
from notifications.models import Channel, DeliveryState, DigestState, EventPreference, Notification
from notifications.services import Preference, notify, preferences_update, render_event
from notifications.services import language_for as user_language
from tests.factories import make_user
from tests.notifications.conftest import deliveries, sample_context

pytestmark = pytest.mark.django_db


def test_notify_records_the_notification_and_emails_it_once_committed(alice, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        context = {**sample_context("proposal.new"), "establishment": "CH d'Uzès"}
        notification = notify(recipient=alice, event="proposal.new", context=context, dedupe_key="proposal:42:new")
        assert mailoutbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    assert notification.subject == "Nouvelle proposition : Infirmier·e de nuit — Urgences (CH d'Uzès)"
    assert "du 3 décembre 2026 08:00 au 3 décembre 2026 20:00" in notification.body
    assert "Rémunération : 648,00 €." in notification.body
    assert notification.url == "/missions/propositions/42/"
    [mail] = mailoutbox
    assert mail.to == ["alice@example.org"]
    assert mail.subject == notification.subject
    assert "Bonjour Alice," in mail.body
    assert "http://127.0.0.1:8000/missions/propositions/42/" in mail.body
    assert "à CH d'Uzès, du" in mail.body and "&#x27;" not in mail.body  # plain text, never HTML-escaped
    [delivery] = deliveries(alice)
    assert (delivery.channel, delivery.state, delivery.attempts) == (Channel.EMAIL, DeliveryState.SENT, 1)
    assert delivery.idempotency_key == f"{alice.pk}:proposal:42:new:email"
    assert mail.extra_headers["Message-ID"] == delivery.provider_reference


def test_notify_twice_with_one_key_sends_one_message(alice, mailoutbox, daytime, django_capture_on_commit_callbacks):
    context = sample_context("mission.cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(recipient=alice, event="mission.cancelled", context=context, dedupe_key="mission:7:cancelled")
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = notify(recipient=alice, event="mission.cancelled", context=context, dedupe_key="mission:7:cancelled",
                        urgent=True)
    assert first is not None and second is None
    assert second_callbacks == []
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert len(mailoutbox) == 1
    assert deliveries(alice).count() == 2  # one email, one SMS (mission.cancelled defaults to both)


def test_the_same_key_for_two_recipients_notifies_both(alice, charlie, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for person in (alice, charlie):
            notify(recipient=person, event="shift.unfilled", context=sample_context("shift.unfilled"),
                   dedupe_key="shift:9:unfilled")
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.org", "charlie@example.org"]
    assert "2 postes restent ouverts" in mailoutbox[0].body


def test_preferences_choose_the_channels_per_event(
    alice, mailoutbox, capsys, daytime, django_capture_on_commit_callbacks
):
    preferences_update(actor=alice, language="fr", choices={
        "proposal.new": Preference(email=False, sms=True, digest=False),
        "mission.booked": Preference(email=True, sms=False, digest=False),
        "mission.reminder": Preference(email=False, sms=False, digest=False),
    })
    with django_capture_on_commit_callbacks(execute=True):
        for event in ("proposal.new", "mission.booked", "mission.reminder"):
            notify(recipient=alice, event=event, context=sample_context(event), dedupe_key=f"{event}:1")

    assert Notification.objects.filter(recipient=alice).count() == 3  # in-app: always
    assert [m.subject for m in mailoutbox] == ["Mission réservée : Infirmier·e de nuit — Urgences (CH de Mende)"]
    assert list(deliveries(alice, Channel.SMS).values_list("notification__event", flat=True)) == ["proposal.new"]
    assert not deliveries(alice).filter(notification__event="mission.reminder").exists()
    printed = capsys.readouterr().out
    assert "SMS to +33612345678 [proposal.new]" in printed
    assert "Ville-Hôpital : mission proposée, Infirmier·e de nuit — Urgences, CH de Mende" in printed
    assert deliveries(alice, Channel.SMS).get().state == DeliveryState.SENT


def test_without_a_phone_number_no_sms_is_attempted(charlie, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=charlie, event="mission.cancelled", context=sample_context("mission.cancelled"),
               dedupe_key="mission:8:cancelled")
    assert list(deliveries(charlie).values_list("channel", flat=True)) == [Channel.EMAIL]


def test_a_deactivated_account_gets_the_in_app_row_only(alice, mailoutbox, django_capture_on_commit_callbacks):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(recipient=alice, event="mission.cancelled", context=sample_context("mission.cancelled"),
                              dedupe_key="mission:8:cancelled", urgent=True)
    assert notification is not None and mailoutbox == []
    assert not deliveries(alice).exists()


def test_defaults_apply_until_the_user_saves_preferences(alice, django_capture_on_commit_callbacks):
    assert not EventPreference.objects.filter(user=alice).exists()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=alice, event="credential.expiring", context=sample_context("credential.expiring"),
               dedupe_key="credential:3:expiring-30d")
    # credential.expiring defaults to the daily digest: held, nothing sent yet
    notification = Notification.objects.get(recipient=alice)
    assert notification.digest_state == DigestState.HELD
    assert not deliveries(alice).exists()


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_every_event_renders_in_french_and_in_english(event):
    french, english = make_user(f"fr-{event}@example.org"), make_user(f"en-{event}@example.org")
    preferences_update(actor=english, language="en", choices={})
    fr = notify(recipient=french, event=event, context=sample_context(event), dedupe_key=f"{event}:x")
    en = notify(recipient=english, event=event, context=sample_context(event), dedupe_key=f"{event}:x")
    for notification in (fr, en):
        assert notification.subject and notification.body and notification.sms_text
        assert "{{" not in notification.body + notification.subject + notification.sms_text
        assert "\n" not in notification.subject and "\n" not in notification.sms_text
    assert fr.language == "fr" and en.language == "en"
    assert fr.subject != en.subject and fr.body != en.body and fr.sms_text != en.sms_text
    assert "Bonjour" not in fr.body and "Hello" not in en.body  # the in-app text: the message only
    for user, greeting in ((french, "Bonjour"), (english, "Hello")):
        email = render_event(event=event, context=sample_context(event), recipient=user, language=user_language(user))
        assert email["email_body"].startswith(f"{greeting} {user.first_name},\n\n")
        assert email["body"] in email["email_body"] and "/notifications/preferences/" in email["email_body"]
    assert fr.sms_text.startswith("Ville-Hôpital : ") and en.sms_text.startswith("Ville-Hôpital: ")


def test_english_dates_and_numbers_follow_the_language(alice):
    preferences_update(actor=alice, language="en", choices={})
    notification = notify(recipient=alice, event="proposal.new", context=sample_context("proposal.new"),
                          dedupe_key="proposal:1:new")
    assert notification.subject == "New proposal: Infirmier·e de nuit — Urgences (CH de Mende)"
    assert "from Dec. 3, 2026, 8 a.m. to Dec. 3, 2026, 8 p.m." in notification.body
    assert "Pay: €648.00." in notification.body


def test_a_missing_context_key_or_event_is_a_programming_error(alice):
    context = sample_context("proposal.new")
    del context["expires_at"]
    with pytest.raises(ValueError, match="expires_at"):
        notify(recipient=alice, event="proposal.new", context=context, dedupe_key="p:1")
    with pytest.raises(ValueError, match="unknown notification event"):
        notify(recipient=alice, event="proposal.nouvelle", context=context, dedupe_key="p:1")
    for url in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        with pytest.raises(ValueError, match="url must be a path"):
            notify(recipient=alice, event="proposal.new", context={**sample_context("proposal.new"), "url": url},
                   dedupe_key="p:2")
    assert not Notification.objects.exists()


def test_a_rolled_back_caller_sends_nothing(alice, mailoutbox, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(recipient=alice, event="mission.booked", context=sample_context("mission.booked"),
               dedupe_key="mission:5:booked")
        raise RuntimeError("the caller's transaction fails after notify")
    assert callbacks == [] and mailoutbox == []
    assert not Notification.objects.exists()


def test_context_with_objects_is_stored_as_text(alice):
    context = {**sample_context("mission.booked"), "establishment": alice}  # any object: shown by its str()
    notification = notify(recipient=alice, event="mission.booked", context=context, dedupe_key="mission:6:booked")
    notification.refresh_from_db()
    assert notification.context["establishment"] == str(alice)
    assert notification.context["starts_at"].startswith("2026-12-03T08:00:00")
