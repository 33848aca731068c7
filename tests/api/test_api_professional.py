"""The professional side of the API (``professionals.api``, ``missions.platform.api_pro``): the
profile, a month of availability, the credentials and the open shifts, each as the owner (a nurse of
Mende), another professional (Paris), HR of an establishment and anonymous; bad input answered 400
naming the field with nothing written (never a 500); the upload's idempotent retry; the lists' queries
constant whatever their size."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from establishments.models import Establishment, MemberRole
from professionals.models import Availability, Credential, Professional
from tests.api.conftest import signed_in
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
from ville_hopital.models import AuditEvent
from ville_hopital.months import next_month, previous_month

pytestmark = pytest.mark.django_db

PROFILE, CREDENTIALS, OPEN_SHIFTS = "/api/v1/profile/", "/api/v1/credentials/", "/api/v1/open-shifts/"
MENDE, MONTPELLIER, PARIS = "48095", "34172", "75056"
PDF = b"%PDF-1.7\n" + b"0" * 200


@dataclass
class Scene:
    pro: Professional  # the owner: a nurse of Mende (Occitanie)
    other: Professional  # a nurse of Paris
    hr: User  # HR of the CH de Mende
    site: Establishment

    def client(self, user: User | None) -> Client:
        return signed_in(user)


@pytest.fixture
def scene() -> Scene:
    hr = make_user(first_name="Hélène", last_name="RH")
    site = make_establishment(members={hr: MemberRole.HR}, commune=MENDE, name="CH de Mende")
    pro = make_professional(make_user(first_name="Alix", last_name="Pro"), commune=MENDE, radius_km=50)
    other = make_professional(make_user(first_name="Basile", last_name="Autre"), commune=PARIS)
    return Scene(pro=pro, other=other, hr=hr, site=site)


def send(client: Client, method: str, url: str, body) -> object:
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --------------------------------------------------------------------------- profile


def test_the_profile_is_one_s_own(scene):
    mine = scene.client(scene.pro.user).get(PROFILE)
    assert mine.status_code == 200, mine.content
    body = mine.json()
    assert body["id"] == scene.pro.pk and body["rpps"] == scene.pro.rpps and body["home_commune"] == MENDE
    assert body["profession"] == "60" and body["radius_km"] == 50
    assert body["insurance"] == {"expires_on": None, "expired": False, "missing": True}
    assert scene.client(scene.other.user).get(PROFILE).json()["id"] == scene.other.pk
    assert scene.client(scene.hr).get(PROFILE).status_code == 404
    assert scene.client(None).get(PROFILE).status_code in (401, 403)


def test_the_profile_is_edited_through_its_service(scene):
    client = scene.client(scene.pro.user)
    changed = send(client, "PATCH", PROFILE, {"radius_km": 80, "min_notice_hours": 6, "expected_hourly_rate": "45.50",
                                             "blocked_establishments": [scene.site.pk]})
    assert changed.status_code == 200, changed.content
    assert changed.json()["radius_km"] == 80 and changed.json()["min_notice_hours"] == 6
    assert changed.json()["blocked_establishments"] == [scene.site.pk]
    scene.pro.refresh_from_db()
    assert scene.pro.radius_km == 80 and scene.pro.expected_hourly_rate == 45.5
    assert AuditEvent.objects.filter(action="professional.update", actor=scene.pro.user).exists()
    assert send(scene.client(scene.hr), "PATCH", PROFILE, {"radius_km": 10}).status_code == 404
    assert send(scene.client(None), "PATCH", PROFILE, {"radius_km": 10}).status_code in (401, 403)


@pytest.mark.parametrize(("body", "field"), [
    ({"radius_km": "loin"}, "radius_km"),
    ({"radius_km": 500}, "radius_km"),
    ({"radus_km": 20}, "radus_km"),
    ({"profession": "9999"}, "profession"),
    ({"home_commune": "00000"}, "home_commune"),
    ({"skills": ["NOPE"]}, "skills"),
    ({"skills": "SI07"}, "skills"),
    ({"blocked_establishments": [2**40]}, "blocked_establishments"),
    ({"min_notice_hours": 3}, "min_notice_hours"),
    ({"rpps": "12345"}, "rpps"),  # the service's check of the number
    ({"expected_hourly_rate": "-5"}, "expected_hourly_rate"),  # the model's, through the service
    ({"urgent_sms": True, "phone": ""}, "phone"),  # the notification service's
    ({"civility": "docteur"}, "civility"),
])
def test_a_bad_profile_change_is_refused_naming_the_field(scene, body, field):
    before = Professional.objects.filter(pk=scene.pro.pk).values().get()
    answer = send(scene.client(scene.pro.user), "PATCH", PROFILE, body)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()
    assert Professional.objects.filter(pk=scene.pro.pk).values().get() == before


def test_a_profile_change_that_breaks_a_booked_mission_is_refused(scene):
    mission = book(make_shift(scene.site, starts_at=in_days(5)), scene.pro)
    answer = send(scene.client(scene.pro.user), "PATCH", PROFILE, {"blocked_establishments": [scene.site.pk]})
    assert answer.status_code == 400 and "blocked_establishments" in answer.json()
    assert mission.shift.establishment_id not in scene.pro.blocked_establishments.values_list("pk", flat=True)


# --------------------------------------------------------------------------- availability


def month_url(day: date) -> str:
    return f"/api/v1/availability/{day.year}/{day.month}/"


def declared(professional: Professional) -> set[tuple[date, str]]:
    return set(Availability.objects.filter(professional=professional).values_list("day", "slot"))


def test_a_month_is_replaced_then_read_back(scene):
    day = in_days(10).date()
    client = scene.client(scene.pro.user)
    first = send(client, "PUT", month_url(day), {"slots": [{"day": day.isoformat(), "slot": "D"},
                                                          {"day": day.isoformat(), "slot": "N"}]})
    assert first.status_code == 200, first.content
    assert first.json()["added"] == 2 and first.json()["removed"] == 0
    assert declared(scene.pro) == {(day, "D"), (day, "N")}
    again = send(client, "PUT", month_url(day), {"slots": [{"day": day.isoformat(), "slot": "N"}]})
    assert (again.json()["added"], again.json()["removed"]) == (0, 1)
    month = client.get(month_url(day)).json()
    assert (month["year"], month["month"]) == (day.year, day.month)
    assert month["slots"] == [{"day": day.isoformat(), "slot": "N"}]
    cells = {(c["day"], c["slot"]): c for c in month["cells"]}
    assert cells[day.isoformat(), "N"]["declared"] and not cells[day.isoformat(), "D"]["declared"]
    assert len(cells) == 2 * len({c["day"] for c in month["cells"]})
    cleared = send(client, "PUT", month_url(day), {"slots": []})
    assert cleared.json()["removed"] == 1 and declared(scene.pro) == set()


def test_a_booked_slot_is_shown_and_kept(scene):
    shift = make_shift(scene.site, starts_at=in_days(8))
    mission = book(shift, scene.pro)
    day = shift.starts_at.date()
    client = scene.client(scene.pro.user)
    month = client.get(month_url(day)).json()
    cell = next(c for c in month["cells"] if c["day"] == day.isoformat() and c["slot"] == "D")
    assert cell["missions"] == [mission.pk]


def test_the_month_is_one_s_own(scene):
    day = in_days(10).date()
    send(scene.client(scene.pro.user), "PUT", month_url(day), {"slots": [{"day": day.isoformat(), "slot": "D"}]})
    assert scene.client(scene.other.user).get(month_url(day)).json()["slots"] == []
    assert send(scene.client(scene.other.user), "PUT", month_url(day), {"slots": []}).status_code == 200
    assert declared(scene.pro) == {(day, "D")}
    assert scene.client(scene.hr).get(month_url(day)).status_code == 404
    assert send(scene.client(scene.hr), "PUT", month_url(day), {"slots": []}).status_code == 404
    assert scene.client(None).get(month_url(day)).status_code in (401, 403)
    assert send(scene.client(None), "PUT", month_url(day), {"slots": []}).status_code in (401, 403)


def _bad_bodies(day: date) -> list[tuple[object, str]]:
    iso = day.isoformat()
    outside = next_month(day).replace(day=1).isoformat()
    return [
        ({"slots": [{"day": iso, "slot": "D"}, {"day": outside, "slot": "D"}]}, "slots"),  # the service's
        ({"slots": [{"day": iso, "slot": "X"}]}, "slots"),
        ({"slots": [{"day": iso, "slot": "D:"}]}, "slots"),
        ({"slots": [{"day": iso, "slot": "D"}, {"day": iso, "slot": "D"}]}, "slots"),
        ({"slots": [{"day": "le 5", "slot": "D"}]}, "slots"),
        ({"slots": [{"day": 5, "slot": "D"}]}, "slots"),
        ({"slots": [{"day": iso, "slot": "D", "note": "x"}]}, "slots"),
        ({"slots": [{"day": iso}]}, "slots"),
        ({"slots": "D"}, "slots"),
        ({"slots": [iso]}, "slots"),
        ({"slots": [{"day": iso, "slot": "D"}] * 70}, "slots"),
        ({"slots": [], "comment": "x"}, "comment"),
        ({}, "slots"),
    ]


def test_bad_slots_are_refused_naming_the_field_and_nothing_is_written(scene):
    day = in_days(10).date()
    client = scene.client(scene.pro.user)
    send(client, "PUT", month_url(day), {"slots": [{"day": day.isoformat(), "slot": "N"}]})
    for body, field in _bad_bodies(day):
        answer = send(client, "PUT", month_url(day), body)
        assert answer.status_code == 400, (body, answer.content)
        assert field in answer.json(), (body, answer.json())
        assert declared(scene.pro) == {(day, "N")}, body


def test_errors_name_the_index_of_the_slot(scene):
    day = in_days(10).date()
    client = scene.client(scene.pro.user)
    body = {"slots": [{"day": day.isoformat(), "slot": "D"}, {"day": day.isoformat(), "slot": "Z"}]}
    assert list(send(client, "PUT", month_url(day), body).json()["slots"]["1"]) == ["slot"]
    twice = {"slots": [{"day": day.isoformat(), "slot": "D"}, {"day": day.isoformat(), "slot": "D"}]}
    errors = send(client, "PUT", month_url(day), twice).json()["slots"]
    assert list(errors) == ["1"] and "n° 0" in errors["1"]["day"][0]


def test_a_past_slot_is_refused_and_nothing_of_the_month_is_written(scene):
    today = timezone.localdate()
    past = previous_month(today).replace(day=2)
    client = scene.client(scene.pro.user)
    answer = send(client, "PUT", month_url(past), {"slots": [{"day": past.isoformat(), "slot": "D"}]})
    assert answer.status_code == 400 and "slots" in answer.json()
    # In the current month: one valid future slot with a past one, refused together.
    future = in_days(3).date()
    yesterday = today - timedelta(days=1)
    if yesterday.month == future.month == today.month:
        body = {"slots": [{"day": future.isoformat(), "slot": "D"}, {"day": yesterday.isoformat(), "slot": "D"}]}
        answer = send(client, "PUT", month_url(today), body)
        assert answer.status_code == 400 and "slots" in answer.json()
    assert declared(scene.pro) == set()


@pytest.mark.parametrize("path", ["2027/13/", "2027/0/", "1999/12/", "9999/1/", "99999999999999999999/1/",
                                  "2027/99999999999999999999/"])
def test_a_month_out_of_range_is_a_404(scene, path):
    client = scene.client(scene.pro.user)
    assert client.get(f"/api/v1/availability/{path}").status_code == 404
    assert send(client, "PUT", f"/api/v1/availability/{path}", {"slots": []}).status_code == 404


def test_the_month_answers_in_english_when_asked(scene):
    day = in_days(10).date()
    outside = next_month(day).replace(day=1).isoformat()
    answer = scene.client(scene.pro.user).generic(
        "PUT", month_url(day), json.dumps({"slots": [{"day": outside, "slot": "D"}]}),
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en",
    )
    twice = scene.client(scene.pro.user).generic(
        "PUT", month_url(day), json.dumps({"slots": [{"day": day.isoformat(), "slot": "D"}] * 2}),
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400 and "mois" not in answer.json()["slots"][0]
    assert "already" in twice.json()["slots"]["1"]["day"][0]


# --------------------------------------------------------------------------- credentials


def upload(client: Client, *, kind: str = "insurance", content: bytes = PDF, name: str = "rcp.pdf",
           expires_on: object = "default", key: str | None = None, **extra):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content, "application/pdf"), **extra}
    if expires_on == "default":
        data["expires_on"] = (timezone.localdate() + timedelta(days=300)).isoformat()
    elif expires_on is not None:
        data["expires_on"] = expires_on
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(CREDENTIALS, data, **headers)


def test_a_credential_is_uploaded_listed_and_read(scene):
    client = scene.client(scene.pro.user)
    created = upload(client)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "insurance" and body["name"] == "rcp.pdf" and body["content_type"] == "application/pdf"
    assert body["download"] == f"/pro/justificatifs/{body['id']}/telecharger/"
    assert [c["id"] for c in results(client.get(CREDENTIALS))] == [body["id"]]
    assert results(client.get(CREDENTIALS, {"kind": "diploma"})) == []
    assert client.get(CREDENTIALS, {"kind": "passport"}).status_code == 400
    assert client.get(f"{CREDENTIALS}{body['id']}/").json()["expires_on"] == body["expires_on"]
    assert scene.client(scene.pro.user).get(PROFILE).json()["insurance"]["missing"] is False


def test_a_credential_is_the_owner_s_and_the_booking_establishment_s(scene):
    credential_id = upload(scene.client(scene.pro.user)).json()["id"]
    url = f"{CREDENTIALS}{credential_id}/"
    assert scene.client(scene.other.user).get(url).status_code == 404
    assert results(scene.client(scene.other.user).get(CREDENTIALS)) == []
    assert scene.client(scene.hr).get(url).status_code == 404  # no mission with the professional
    assert results(scene.client(scene.hr).get(CREDENTIALS)) == []
    assert scene.client(None).get(url).status_code in (401, 403)
    assert scene.client(None).get(CREDENTIALS).status_code in (401, 403)
    assert scene.client(scene.pro.user).get(f"{CREDENTIALS}{2**40}/").status_code == 404
    book(make_shift(scene.site, starts_at=in_days(6)), scene.pro)
    assert scene.client(scene.hr).get(url).status_code == 200  # as the document's download page


def test_only_a_professional_uploads(scene):
    assert upload(scene.client(scene.hr)).status_code == 404
    assert upload(scene.client(None)).status_code in (401, 403)
    assert not Credential.objects.exists()


@pytest.mark.parametrize(("arguments", "field"), [
    ({"expires_on": ""}, "expires_on"),
    ({"expires_on": None}, "expires_on"),
    ({"expires_on": "2020-01-01"}, "expires_on"),
    ({"expires_on": "bientôt"}, "expires_on"),
    ({"content": b"just some text"}, "file"),
    ({"content": b""}, "file"),
    ({"content": b"%PDF-" + b"0" * (10 * 1024 * 1024)}, "file"),
    ({"kind": "passport"}, "kind"),
    ({"colour": "blue"}, "colour"),
])
def test_a_bad_upload_is_refused_naming_the_field(scene, arguments, field):
    answer = upload(scene.client(scene.pro.user), **arguments)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()
    assert not Credential.objects.exists()


def test_a_diploma_needs_no_expiry_and_json_is_not_an_upload(scene):
    client = scene.client(scene.pro.user)
    assert upload(client, kind="diploma", expires_on="").json()["expires_on"] is None
    assert send(client, "POST", CREDENTIALS, {"kind": "diploma"}).status_code == 415


def test_the_upload_retried_with_its_key_is_written_once(scene):
    client = scene.client(scene.pro.user)
    first = upload(client, key="rcp-2027")
    again = upload(client, key="rcp-2027")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Credential.objects.count() == 1
    other_file = upload(client, key="rcp-2027", content=PDF + b"1")
    assert other_file.status_code == 409 and "Idempotency-Key" in other_file.json()
    refused = upload(client, key="diploma-1", kind="diploma", content=b"text")
    assert refused.status_code == 400
    fixed = upload(client, key="diploma-1", kind="diploma", expires_on=None, name="diplome.pdf")
    assert fixed.status_code == 201 and Credential.objects.count() == 2


def test_the_credentials_list_costs_the_same_whatever_its_size(scene):
    client = scene.client(scene.pro.user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CREDENTIALS, {"limit": 200}).status_code == 200
        return len(captured)

    for _n in range(2):
        insure(scene.pro)
    small = queries()
    for _n in range(15):
        insure(scene.pro)
    assert len(results(client.get(CREDENTIALS, {"limit": 200}))) == 17
    assert queries() == small


# --------------------------------------------------------------------------- open shifts


@pytest.fixture
def shifts(scene) -> dict:
    montpellier = make_establishment(commune=MONTPELLIER, name="CHU de Montpellier")
    made = {
        "mende": make_shift(scene.site, starts_at=in_days(3)),
        "montpellier": make_shift(montpellier, starts_at=in_days(4)),
        "urgent": make_shift(montpellier, starts_at=in_days(5), urgent=True),
        "full": make_shift(scene.site, starts_at=in_days(6)),
        "kine": make_shift(scene.site, starts_at=in_days(3), profession="70"),
        "paris": make_shift(make_establishment(commune=PARIS), starts_at=in_days(3)),
    }
    book(made["full"], make_professional(commune=MENDE))
    make_proposal(made["montpellier"], scene.pro)
    return made


def test_open_shifts_are_the_page_s(scene, shifts):
    rows = results(scene.client(scene.pro.user).get(OPEN_SHIFTS))
    assert [r["id"] for r in rows] == [shifts[k].pk for k in ("mende", "montpellier", "urgent")]
    by_id = {r["id"]: r for r in rows}
    assert by_id[shifts["montpellier"].pk]["offered"] and not by_id[shifts["mende"].pk]["offered"]
    assert by_id[shifts["urgent"].pk]["urgent"] and not by_id[shifts["mende"].pk]["urgent"]
    assert by_id[shifts["mende"].pk]["distance_km"] == "0.0"
    assert [r["id"] for r in results(scene.client(scene.other.user).get(OPEN_SHIFTS))] == [shifts["paris"].pk]
    assert results(scene.client(scene.hr).get(OPEN_SHIFTS)) == []
    assert scene.client(None).get(OPEN_SHIFTS).status_code in (401, 403)


def test_open_shifts_filters(scene, shifts):
    client = scene.client(scene.pro.user)
    assert [r["id"] for r in results(client.get(OPEN_SHIFTS, {"departement": "48"}))] == [shifts["mende"].pk]
    assert [r["id"] for r in results(client.get(OPEN_SHIFTS, {"urgent": "true"}))] == [shifts["urgent"].pk]
    assert len(results(client.get(OPEN_SHIFTS, {"urgent": "false", "departement": ""}))) == 3
    assert results(client.get(OPEN_SHIFTS, {"departement": "75"})) == []  # not of my region: nothing
    for query, field in (({"urgent": "oui"}, "urgent"),
                         ({"urgent": ""}, "urgent"), ({"limit": "0"}, "limit"), ({"offset": "-1"}, "offset")):
        answer = client.get(OPEN_SHIFTS, query)
        assert answer.status_code == 400 and field in answer.json(), (query, answer.content)
    assert results(scene.client(scene.hr).get(OPEN_SHIFTS, {"departement": "48"})) == []


def test_the_open_shifts_list_costs_the_same_whatever_its_size(scene):
    client = scene.client(scene.pro.user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(OPEN_SHIFTS, {"limit": 200, "departement": "48"}).status_code == 200
        return len(captured)

    def post(n: int, offset: int) -> None:
        for i in range(n):
            shift = make_shift(scene.site, starts_at=in_days(3 + offset + i))
            if i % 2:
                make_proposal(shift, scene.pro)

    post(2, 0)
    small = queries()
    post(10, 2)
    assert len(results(client.get(OPEN_SHIFTS, {"limit": 200}))) == 12
    assert queries() == small
