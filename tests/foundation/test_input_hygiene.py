"""Malformed input answers a clear 400 (or a bounded result), never a 500, and writes nothing.

Each case is one that answered 500 on PostgreSQL: a NUL byte in a text field or a query string,
a date past the calendar on HR's board, a number past PostgreSQL's range in the API's pagination.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from establishments.models import ShiftState
from professionals.models import Professional
from tests.factories import make_professional, make_shift, make_user, writer_of
from ville_hopital.input_hygiene import first_bad_field, query_date, query_int


@pytest.fixture
def nurse(db):
    return make_professional(make_user("nina@example.org"), commune="48095")


def test_a_nul_byte_in_the_commune_search_is_a_400_naming_the_field(client, nurse):
    client.force_login(nurse.user)
    response = client.get(reverse("territories:commune_search"), {"q": "Men\x00de"})
    assert response.status_code == 400
    assert "« q »" in response.content.decode()


def test_the_api_names_the_field_in_a_json_error(nurse):
    api = APIClient()
    api.force_authenticate(nurse.user)
    response = api.get(reverse("api:commune-search"), {"q": "Men\x00de"})
    assert response.status_code == 400
    assert response.json() == {"q": [response.json()["q"][0]]} and "caractère" in response.json()["q"][0]


def test_a_nul_byte_in_a_profile_field_changes_nothing(client, nurse):
    client.force_login(nurse.user)
    response = client.post(reverse("professionals:profile_edit"), {"home_commune": "Mende\x00", "radius_km": "30"})
    assert response.status_code == 400 and "home_commune" in response.content.decode()
    assert Professional.objects.get(pk=nurse.pk).home_commune.code_insee == "48095"


def test_a_nul_byte_in_the_cancel_reason_leaves_the_shift_published(client, db):
    shift = make_shift()
    client.force_login(writer_of(shift.establishment))
    response = client.post(reverse("missions:hr_shift_cancel", args=[shift.pk]), {"reason": "a\x00b"})
    assert response.status_code == 400 and "« reason »" in response.content.decode()
    shift.refresh_from_db()
    assert shift.state == ShiftState.PUBLISHED


def test_tabs_and_new_lines_stay_allowed(client, db):
    shift = make_shift()
    client.force_login(writer_of(shift.establishment))
    response = client.post(reverse("missions:hr_shift_cancel", args=[shift.pk]), {"reason": "ligne 1\r\n\tligne 2"})
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.state == ShiftState.CANCELLED


@pytest.mark.parametrize("query", [{"au": "9999-12-31"}, {"du": "0001-01-01"}, {"unite": "²"},
                                   {"unite": "99999999999999999999"}, {"page": "99999999999999999999"}])
def test_hr_board_filters_out_of_bounds_are_ignored(client, db, query):
    shift = make_shift()
    client.force_login(writer_of(shift.establishment))
    assert client.get(reverse("missions:hr_board", args=[shift.establishment_id]), query).status_code == 200


def test_api_pagination_is_bounded_and_names_a_bad_field(nurse):
    api = APIClient()
    api.force_authenticate(nurse.user)
    url = reverse("api:notification-list")
    assert api.get(url, {"limit": "99999999999999999999"}).status_code == 200
    for field, value in (("offset", "99999999999999999999"), ("limit", "abc"), ("limit", "0"), ("offset", "-1")):
        response = api.get(url, {field: value})
        assert response.status_code == 400 and field in response.json(), (field, value)


def test_the_shared_parsers():
    assert first_bad_field([("a", "ok\tok\n"), ("b", "x\x7f")]) == "b"
    assert first_bad_field([("a\x00", "ok")]) == "a?"
    assert query_date("2027-02-29") is None and query_date("2028-02-29").day == 29
    assert query_date("9999-12-31") is None and query_date("nope") is None
    assert query_int("12") == 12 and query_int("²") is None and query_int("-3") is None
    assert query_int(str(2**31)) is None and query_int("", default=7) == 7


def test_a_method_the_address_does_not_take_is_a_405_whatever_the_query(client, db):
    """The method is refused before the data is read (schemathesis: an undeclared method is a 405)."""
    response = client.delete("/api/v1/territories/communes/?q=%C2%84")
    assert response.status_code == 405
    assert client.get("/api/v1/territories/communes/?q=%C2%84").status_code == 400
    assert client.head("/api/v1/territories/communes/?q=%00").status_code == 400  # HEAD is the view's GET
