"""Admin pages of proposals and missions: staff look, filter and search; nothing is written there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from missions.core.models import Mission, MissionState, Proposal
from tests.factories import book, make_professional, make_proposal, make_shift, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


@pytest.fixture
def booked():
    pros = [make_professional() for _ in range(3)]
    missions = [book(make_shift(), pro) for pro in pros]
    pending = make_proposal(make_shift(), pros[0])
    return pros, missions, pending


@pytest.mark.parametrize("model", ["proposal", "mission"])
def test_lists_filters_and_search(staff_client, booked, model, django_assert_max_num_queries):
    pros, missions, pending = booked
    url = reverse(f"admin:missions_{model}_changelist")
    with django_assert_max_num_queries(12):  # list_select_related: no query per row
        response = staff_client.get(url)
    assert response.status_code == 200
    rows = Proposal.objects.all() if model == "proposal" else Mission.objects.all()
    assert response.context["cl"].result_count == rows.count()

    state = "pending" if model == "proposal" else MissionState.BOOKED
    response = staff_client.get(url, {"state__exact": state})
    expected = [pending.pk] if model == "proposal" else [m.pk for m in missions]
    assert sorted(o.pk for o in response.context["cl"].result_list) == sorted(expected)

    source = {"source__exact": "manual"} if model == "proposal" else {"proposal__source__exact": "manual"}
    assert staff_client.get(url, source).context["cl"].result_count == rows.count()

    by_email = staff_client.get(url, {"q": pros[1].user.email}).context["cl"].result_list
    assert [o.professional_id for o in by_email] == [pros[1].pk]
    shift_id = missions[2].shift_id
    by_shift = staff_client.get(url, {"q": str(shift_id)}).context["cl"].result_list
    assert shift_id in [o.shift_id for o in by_shift]
    # (an e-mail address holding the same digits matches too: the search is on both fields)
    assert all(o.shift_id == shift_id or str(shift_id) in o.professional.user.email for o in by_shift)
    assert staff_client.get(url, {"q": "pas-un-numéro"}).status_code == 200


@pytest.mark.parametrize("model", ["proposal", "mission"])
def test_read_only(staff_client, booked, model):
    _pros, missions, pending = booked
    obj = pending if model == "proposal" else missions[0]
    change = reverse(f"admin:missions_{model}_change", args=[obj.pk])
    page = staff_client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert staff_client.post(change, {"state": "withdrawn" if model == "proposal" else "cancelled"}).status_code == 403
    assert staff_client.get(reverse(f"admin:missions_{model}_add")).status_code == 403
    assert staff_client.post(reverse(f"admin:missions_{model}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    obj.refresh_from_db()
    assert obj.state in ("pending", "booked")
