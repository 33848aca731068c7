"""The notifications API: my notifications only, unread count, mark read (someone else's → 404)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from notifications.services import notify
from tests.notifications.conftest import sample_context

pytestmark = pytest.mark.django_db
BASE = "/api/v1/notifications/"


def _notify(user, n: int, event="mission.booked"):
    return notify(recipient=user, event=event, context=sample_context(event), dedupe_key=f"{event}:{n}")


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def test_anonymous_gets_nothing():
    client = APIClient()
    assert client.get(BASE).status_code in (401, 403)
    assert client.get(f"{BASE}unread-count/").status_code in (401, 403)


def test_lists_only_mine_and_counts_unread(api, alice, charlie):
    mine = [_notify(alice, n) for n in range(3)]
    _notify(charlie, 9)
    data = api.get(BASE).json()
    assert data["count"] == 3
    assert [item["id"] for item in data["results"]] == [n.pk for n in reversed(mine)]
    assert data["results"][0] == {
        "id": mine[2].pk, "event": "mission.booked", "subject": mine[2].subject, "body": mine[2].body,
        "url": "/missions/propositions/42/", "urgent": False, "created_at": data["results"][0]["created_at"],
        "read": False, "read_at": None,
    }
    assert api.get(f"{BASE}unread-count/").json() == {"unread": 3}


def test_mark_read_and_all_read(api, alice, charlie):
    first, second = _notify(alice, 1), _notify(alice, 2)
    theirs = _notify(charlie, 3)
    assert api.post(f"{BASE}{theirs.pk}/read/").status_code == 404
    response = api.post(f"{BASE}{first.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert api.get(f"{BASE}?unread=1").json()["count"] == 1
    assert api.post(f"{BASE}read-all/").json() == {"marked": 1}
    assert api.get(f"{BASE}unread-count/").json() == {"unread": 0}
    theirs.refresh_from_db()
    second.refresh_from_db()
    assert theirs.read_at is None and second.read_at is not None


def test_the_list_answers_in_constant_queries_whatever_the_page_size(api, alice):
    """A page of 2 and a page of 30 cost the same queries (the integration API's list rule)."""
    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = api.get(BASE, {"limit": limit})
        assert response.status_code == 200 and len(response.json()["results"]) == min(limit, 30)
        return len(captured)

    for n in range(30):
        _notify(alice, n)
    assert queries(2) == queries(30)
