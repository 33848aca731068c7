"""The notification centre and the preferences page: scoped to the recipient, unread count in the header."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from notifications.models import EventPreference, Notification, NotificationSettings
from notifications.services import notify
from tests.factories import local, make_user
from tests.lists import group_headings, monday_of, week_of
from tests.notifications.conftest import sample_context

pytestmark = pytest.mark.django_db
CENTRE = reverse("notifications:centre")


def _notify(user, n: int, event="mission.booked"):
    return notify(recipient=user, event=event, context=sample_context(event), dedupe_key=f"{event}:{n}")


def test_anonymous_people_are_sent_to_the_login_page(client):
    for url in (CENTRE, reverse("notifications:preferences")):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_centre_lists_only_my_notifications_with_the_unread_count(client, alice, charlie):
    mine = [_notify(alice, n) for n in range(3)]
    theirs = _notify(charlie, 99, "shift.unfilled")
    client.force_login(alice)
    response = client.get(CENTRE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "3 notifications non lues." in html
    assert html.count('class="card notification unread"') == 3
    assert theirs.subject not in html
    assert mine[0].subject in html
    assert '<span class="badge" aria-hidden="true">3</span><span class="visually-hidden">(3 non lues)</span>' in html


def test_mark_read_is_scoped_to_the_recipient(client, alice, charlie):
    mine, theirs = _notify(alice, 1), _notify(charlie, 2)
    client.force_login(alice)

    assert client.get(reverse("notifications:mark_read", args=[mine.pk])).status_code == 405  # POST only
    assert client.post(reverse("notifications:mark_read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:mark_read", args=[987654])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    response = client.post(reverse("notifications:mark_read", args=[mine.pk]), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == CENTRE  # no open redirect
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == ["Page de retour : l'adresse doit être une page de ce site."]
    mine.refresh_from_db()
    assert mine.read_at is None  # a refused form does nothing

    response = client.post(reverse("notifications:mark_read", args=[mine.pk]), {"next": f"{CENTRE}?page=2"})
    assert response.status_code == 302 and response["Location"] == f"{CENTRE}?page=2"
    mine.refresh_from_db()
    assert mine.read_at is not None
    html = client.get(CENTRE).content.decode()
    assert "Aucune notification non lue." in html
    assert 'class="badge" aria-hidden="true"' not in html


def test_mark_all_read_touches_only_mine(client, alice, charlie):
    for n in range(4):
        _notify(alice, n)
    theirs = _notify(charlie, 9)
    client.force_login(alice)
    response = client.post(reverse("notifications:mark_all_read"), follow=True)
    assert "4 notification(s) marquée(s) comme lue(s)." in response.content.decode()
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_centre_page_costs_the_same_queries_with_more_notifications(client, alice, django_assert_max_num_queries):
    client.force_login(alice)
    for n in range(3):
        _notify(alice, n)
    with django_assert_max_num_queries(12) as few:
        client.get(CENTRE)
    for n in range(3, 40):
        _notify(alice, n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(CENTRE)
    assert "Page 1 sur 2" in response.content.decode()


def test_preferences_page_saves_channels_digest_and_language(client, alice):
    client.force_login(alice)
    url = reverse("notifications:preferences")
    page = client.get(url).content.decode()
    assert 'name="proposal.new__email"' in page and 'name="shift.unfilled__sms"' in page  # no role yet: all events
    assert "Aucun numéro de mobile" not in page  # alice has one

    response = client.post(url, {
        "language": "en",
        "proposal.new__sms": "on",
        "mission.booked__email": "on",
        "mission.booked__digest": "on",
    })
    assert response.status_code == 302
    assert NotificationSettings.objects.get(user=alice).language == "en"
    saved = {p.event: (p.email, p.sms, p.digest) for p in EventPreference.objects.filter(user=alice)}
    assert saved["proposal.new"] == (False, True, False)
    assert saved["mission.booked"] == (True, False, True)
    assert saved["mission.cancelled"] == (False, False, False)
    page = client.get(url).content.decode()
    assert 'name="mission.booked__digest" id="id_mission.booked__digest" checked' in page


def test_preferences_page_warns_without_a_phone(client, charlie):
    client.force_login(charlie)
    assert "Aucun numéro de mobile" in client.get(reverse("notifications:preferences")).content.decode()


def test_an_unknown_language_is_refused(client, charlie):
    client.force_login(charlie)
    response = client.post(reverse("notifications:preferences"), {"language": "de"})
    assert response.status_code == 200
    assert not NotificationSettings.objects.filter(user=charlie).exists()


def test_the_header_badge_counts_on_other_pages_too(client):
    dora = make_user("dora@example.org")
    _notify(dora, 1)
    client.force_login(dora)
    html = client.get(reverse("notifications:preferences")).content.decode()
    assert f'href="{CENTRE}"' in html and "(1 non lue)" in html


def test_the_centre_goes_by_week_newest_first(client, alice):
    monday = monday_of(timezone.localdate())
    old = _notify(alice, 1)
    last_week = _notify(alice, 2)
    today = _notify(alice, 3)
    Notification.objects.filter(pk=old.pk).update(created_at=local(monday - timedelta(days=10), 12))
    Notification.objects.filter(pk=last_week.pk).update(created_at=local(monday - timedelta(days=4), 12))
    client.force_login(alice)
    response = client.get(CENTRE)
    assert group_headings(response.content.decode(), level=2) == [
        "Cette semaine", "La semaine dernière", week_of(monday - timedelta(days=14)),
    ]
    assert [[n.pk for n in week.rows] for week in response.context["weeks"]] == [[today.pk], [last_week.pk], [old.pk]]
    assert '<h3 class="notification-title">' in response.content.decode()


def test_the_centre_pages_are_bounded_and_a_week_goes_on(client, alice):
    for n in range(30):
        _notify(alice, n)
    client.force_login(alice)
    second = client.get(CENTRE, {"page": "2"})
    assert len(second.context["page"]) == 5
    assert group_headings(second.content.decode()) == ["Cette semaine (suite)"]
    for raw, number in (("0", 1), ("-1", 1), ("abc", 1), ("7", 2), ("99999999999999999999", 1)):
        response = client.get(CENTRE, {"page": raw})
        assert response.status_code == 200 and response.context["page"].number == number, raw
