"""The establishment side of the API (``establishments.api``, ``missions.booking.api_hr``,
``missions.platform.api_hr``): each endpoint as HR of the site (alice), its viewer (bob: reads; a
write is a 403 saying why), HR of another site (charlie: 404, or a 400 naming the unit a posting
names), a professional (404 / empty lists) and anonymous (401/403); bad input answered 400 naming
the field, nothing written; the list's queries constant whatever the page size."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from establishments.models import MemberRole, Shift, ShiftState, Unit
from establishments.services import shift_share_with_legal_entity
from missions.core.models import Proposal
from tests.factories import (
    book,
    in_days,
    make_establishment,
    make_proposal,
    make_shift,
    make_unit,
    make_user,
    valid_rpps,
)
from tests.urgent.conftest import nurse

SHIFTS = "/api/v1/shifts/"


def post(client, url: str, body) -> object:
    return client.post(url, json.dumps(body), content_type="application/json")


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --------------------------------------------------------------------------- establishments and units


def test_establishments_list_and_retrieve_by_role(scene):
    url = "/api/v1/establishments/"
    assert [e["id"] for e in results(scene.client(scene.alice).get(url))] == [scene.site.pk]
    assert [e["id"] for e in results(scene.client(scene.bob).get(url))] == [scene.site.pk]
    assert [e["id"] for e in results(scene.client(scene.charlie).get(url))] == [scene.other.pk]
    assert results(scene.client(scene.pro.user).get(url)) == []
    assert scene.client(None).get(url).status_code in (401, 403)
    detail = f"{url}{scene.site.pk}/"
    assert scene.client(scene.alice).get(detail).json()["finess_geo"] == scene.site.finess_geo
    assert scene.client(scene.bob).get(detail).status_code == 200
    assert scene.client(scene.charlie).get(detail).status_code == 404
    assert scene.client(scene.pro.user).get(detail).status_code == 404


def test_units_list_and_create_by_role(scene):
    url = f"/api/v1/establishments/{scene.site.pk}/units/"
    assert [u["name"] for u in results(scene.client(scene.bob).get(url))] == ["Urgences"]
    assert scene.client(scene.charlie).get(url).status_code == 404
    created = post(scene.client(scene.alice), url, {"name": "Réanimation", "specialty": "SI07", "contact": "poste 12"})
    assert created.status_code == 201, created.json()
    assert created.json()["specialty"] == "SI07" and created.json()["establishment"] == scene.site.pk
    viewer = post(scene.client(scene.bob), url, {"name": "Pédiatrie"})
    assert viewer.status_code == 403 and "rôle" in viewer.json()["detail"]
    assert post(scene.client(scene.charlie), url, {"name": "Pédiatrie"}).status_code == 404
    assert post(scene.client(scene.pro.user), url, {"name": "Pédiatrie"}).status_code == 404
    twice = post(scene.client(scene.alice), url, {"name": "réanimation"})
    assert twice.status_code == 400 and "name" in twice.json()
    unknown = post(scene.client(scene.alice), url, {"name": "Pédiatrie", "floor": 3})
    assert unknown.status_code == 400 and list(unknown.json()) == ["floor"]
    assert not Unit.objects.filter(name="Pédiatrie").exists()


# --------------------------------------------------------------------------- posting one shift


def test_hr_posts_a_shift_through_the_posting_service(scene):
    response = post(scene.client(scene.alice), SHIFTS, scene.shift_body(required_skills=[]))
    assert response.status_code == 201, response.json()
    data = response.json()
    shift = Shift.objects.get()
    assert data["id"] == shift.pk and data["pay"] == "300.00" and data["board_status"] == "open"
    assert data["filled"] == 0 and data["pending_offers"] == 0 and data["urgent"] is False
    assert data["contract_route"] == shift.contract_route and data["pay_cap"] == f"{shift.pay_cap}"
    assert data["location"] == scene.site.commune_id


def test_who_may_post_where(scene):
    viewer = post(scene.client(scene.bob), SHIFTS, scene.shift_body())
    assert viewer.status_code == 403 and viewer.json()["detail"]
    for user in (scene.charlie, scene.pro.user):  # a unit they cannot see: as unknown as a missing one
        response = post(scene.client(user), SHIFTS, scene.shift_body())
        assert response.status_code == 400 and list(response.json()) == ["unit"]
    assert scene.client(None).post(SHIFTS, scene.shift_body()).status_code in (401, 403)
    assert not Shift.objects.exists()


@pytest.mark.parametrize(("changes", "field"), [
    ({"positions": "deux"}, "positions"),
    ({"pay": "cher"}, "pay"),
    ({"pay": "12.345"}, "pay"),
    ({"starts_at": "demain"}, "starts_at"),
    ({"unit": "Urgences"}, "unit"),
    ({"required_skills": "SI07"}, "required_skills"),
    ({"required_skills": ["XX99"]}, "required_skills"),
    ({"profession": "PLOMBIER"}, "profession"),
    ({"location": "99999"}, "location"),
    ({"positons": 2}, "positons"),
    ({"positions": 0}, "positions"),
    ({"urgency": 9}, "urgency"),
    ({"pay": "99999.00"}, "pay"),
])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(scene, changes, field):
    response = post(scene.client(scene.alice), SHIFTS, scene.shift_body(**changes))
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Shift.objects.exists()


def test_a_past_start_and_a_pay_above_the_cap_are_the_services_refusals(scene):
    past = in_days(-1)
    response = post(scene.client(scene.alice), SHIFTS, scene.shift_body(
        starts_at=past.isoformat(), ends_at=(past + timedelta(hours=12)).isoformat()))
    assert response.status_code == 400 and "futur" in response.json()["starts_at"][0]
    capped = post(scene.client(scene.alice), SHIFTS, scene.shift_body(pay="5000.00"))
    assert capped.status_code == 400 and "plafond" in capped.json()["pay"][0]
    english = scene.client(scene.alice).post(SHIFTS, json.dumps(scene.shift_body(pay="5000.00")),
                                             content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert "cap" in english.json()["pay"][0]
    assert not Shift.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(scene):
    assert post(scene.client(scene.alice), SHIFTS, ["not", "an", "object"]).status_code == 400
    response = scene.client(scene.alice).post(SHIFTS, "{broken", content_type="application/json")
    assert response.status_code == 400


# --------------------------------------------------------------------------- reading shifts


def test_the_list_by_role_and_a_sister_sites_shared_shift(scene):
    mine = make_shift(scene.site, by=scene.alice)
    theirs = make_shift(scene.other, by=scene.charlie)
    admin = make_user()
    sister = make_establishment(admin=admin, finess_legal=scene.site.finess_legal, commune="48095")
    shared = make_shift(sister, by=admin)
    shift_share_with_legal_entity(actor=admin, shift=shared, shared=True)
    assert {s["id"] for s in results(scene.client(scene.alice).get(SHIFTS))} == {mine.pk, shared.pk}
    assert {s["id"] for s in results(scene.client(scene.bob).get(SHIFTS))} == {mine.pk, shared.pk}
    assert {s["id"] for s in results(scene.client(scene.charlie).get(SHIFTS))} == {theirs.pk}
    assert results(scene.client(scene.pro.user).get(SHIFTS)) == []
    assert scene.client(None).get(SHIFTS).status_code in (401, 403)
    assert scene.client(scene.alice).get(f"{SHIFTS}{shared.pk}/").status_code == 200
    assert scene.client(scene.charlie).get(f"{SHIFTS}{mine.pk}/").status_code == 404
    assert scene.client(scene.pro.user).get(f"{SHIFTS}{mine.pk}/").status_code == 404
    # visible, never ours: a write is a 404, as on the HR pages (establishments.access)
    refused = post(scene.client(scene.alice), f"{SHIFTS}{shared.pk}/cancel/", {"reason": "plus besoin"})
    assert refused.status_code == 404
    assert Shift.objects.get(pk=shared.pk).state == ShiftState.PUBLISHED


def test_the_lists_filters(scene):
    reanimation = make_unit(scene.site, name="Réanimation")
    early = make_shift(scene.site, by=scene.alice, starts_at=in_days(3))
    late = make_shift(scene.site, by=scene.alice, starts_at=in_days(20), unit=reanimation)
    urgent = make_shift(scene.site, by=scene.alice, starts_at=in_days(1))
    doctor = make_shift(scene.site, by=scene.alice, starts_at=in_days(5), profession="10")
    client = scene.client(scene.alice)

    def ids(query: str) -> list[int]:
        return [s["id"] for s in results(client.get(f"{SHIFTS}?{query}"))]

    assert ids("") == [urgent.pk, early.pk, doctor.pk, late.pk]  # by start
    assert ids(f"unit={reanimation.pk}") == [late.pk]
    assert ids(f"establishment={scene.site.pk}") == [urgent.pk, early.pk, doctor.pk, late.pk]
    assert ids(f"establishment={scene.other.pk}") == []
    assert ids("profession=10") == [doctor.pk]
    assert ids("urgent=true") == [urgent.pk]
    assert ids("urgent=false") == [early.pk, doctor.pk, late.pk]
    after = in_days(4).isoformat().replace("+", "%2B")
    before = in_days(10).isoformat().replace("+", "%2B")
    assert ids(f"starts_after={after}&starts_before={before}") == [doctor.pk]
    assert ids("state=cancelled") == []
    assert ids("unit=0") == [] and ids("establishment=99999999999999") == []
    # an offset PostgreSQL cannot store (it stops at ±15:59) is the same instant in UTC
    assert ids("starts_after=0403-03-05T05:39:22%2B22:50") == [urgent.pk, early.pk, doctor.pk, late.pk]
    for bad in ("state=lost", "state=", "starts_after=lundi", "starts_after=0001-01-01T00:00:00%2B05:00", "unit=abc", "urgent=peut-etre", "urgent="):
        response = client.get(f"{SHIFTS}?{bad}")
        assert response.status_code == 400 and bad.split("=")[0] in response.json(), bad


def test_a_shifts_board_status(scene):
    shift = make_shift(scene.site, by=scene.alice, positions=2)
    url = f"{SHIFTS}{shift.pk}/"
    client = scene.client(scene.bob)
    assert client.get(url).json()["board_status"] == "open"
    make_proposal(shift, nurse(commune="48095"))
    data = client.get(url).json()
    assert (data["board_status"], data["pending_offers"], data["filled"]) == ("proposed", 1, 0)
    book(shift, nurse(commune="48095"))
    book(shift, nurse(commune="48095"))
    data = client.get(url).json()
    assert (data["board_status"], data["filled"], data["positions"]) == ("filled", 2, 2)


def test_the_list_answers_in_constant_queries_whatever_the_page_size(scene):
    for day in range(2, 32):
        shift = make_shift(scene.site, by=scene.alice, starts_at=in_days(day), skills=["SI07"] if day % 2 else ())
        if day % 6 == 0:
            make_proposal(shift, nurse(commune="48095"))
    client = scene.client(scene.alice)
    counts = []
    for limit in (3, 30):
        with CaptureQueriesContext(connection) as queries:
            assert len(results(client.get(f"{SHIFTS}?limit={limit}"))) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --------------------------------------------------------------------------- actions on a shift


def test_cancel_by_role(scene):
    shift = make_shift(scene.site, by=scene.alice)
    url = f"{SHIFTS}{shift.pk}/cancel/"
    assert post(scene.client(scene.bob), url, {"reason": "x"}).status_code == 403
    assert post(scene.client(scene.charlie), url, {"reason": "x"}).status_code == 404
    assert post(scene.client(scene.pro.user), url, {"reason": "x"}).status_code == 404
    empty = post(scene.client(scene.alice), url, {"reason": "  "})
    assert empty.status_code == 400 and "reason" in empty.json()
    done = post(scene.client(scene.alice), url, {"reason": "Service fermé"})
    assert done.status_code == 200 and done.json()["state"] == "cancelled" and done.json()["board_status"] == "cancelled"
    again = post(scene.client(scene.alice), url, {"reason": "Service fermé"})
    assert again.status_code == 409 and list(again.json()) == ["state"]  # a conflict naming the state


def test_share_is_the_admins(scene):
    admin = make_user()
    site = make_establishment(admin=admin, members={scene.alice: MemberRole.HR}, commune="48095")
    shift = make_shift(site, by=admin)
    url = f"{SHIFTS}{shift.pk}/share/"
    hr = post(scene.client(scene.alice), url, {"shared": True})
    assert hr.status_code == 403
    assert post(scene.client(scene.charlie), url, {"shared": True}).status_code == 404
    shared = post(scene.client(admin), url, {"shared": True})
    assert shared.status_code == 200 and shared.json()["shared_with_legal_entity"] is True
    assert post(scene.client(admin), url, {"shared": "peut-être"}).status_code == 400


def test_offer_to_a_named_professional_by_rpps_or_id(scene):
    shift = make_shift(scene.site, by=scene.alice, positions=2)
    by_rpps = nurse(commune="48095", shift=shift, rpps=valid_rpps(91))
    by_id = nurse(commune="48095", shift=shift)
    url = f"{SHIFTS}{shift.pk}/offers/"
    assert post(scene.client(scene.bob), url, {"professional": by_rpps.rpps}).status_code == 403
    assert post(scene.client(scene.charlie), url, {"professional": by_rpps.rpps}).status_code == 404
    first = post(scene.client(scene.alice), url, {"professional": by_rpps.rpps})
    assert first.status_code == 201, first.json()
    assert first.json()["professional"] == by_rpps.pk and first.json()["state"] == "pending"
    second = post(scene.client(scene.alice), url, {"professional": by_id.pk})
    assert second.status_code == 201, second.json()
    assert Proposal.objects.filter(shift=shift).count() == 2
    unknown = post(scene.client(scene.alice), url, {"professional": valid_rpps(92)})
    assert unknown.status_code == 400 and "professional" in unknown.json()
    for bad in (True, "123", 1.5, None):
        response = post(scene.client(scene.alice), url, {"professional": bad})
        assert response.status_code == 400 and "professional" in response.json(), bad


# --------------------------------------------------------------------------- bulk, series, import


def test_bulk_posts_all_or_nothing(scene):
    url = f"{SHIFTS}bulk/"
    rows = [scene.shift_body(days=10 + i) for i in range(3)]
    created = post(scene.client(scene.alice), url, {"shifts": rows})
    assert created.status_code == 201, created.json()
    assert created.json()["created"] == 3 and Shift.objects.count() == 3
    starts = [Shift.objects.get(pk=pk).starts_at for pk in created.json()["ids"]]
    assert starts == [datetime.fromisoformat(row["starts_at"]) for row in rows]  # row i is ids[i]
    bare = post(scene.client(scene.alice), url, [scene.shift_body(days=20)])
    assert bare.status_code == 201 and Shift.objects.count() == 4
    wrong = [scene.shift_body(days=30), scene.shift_body(days=31, pay="5000.00"), scene.shift_body(days=32)]
    refused = post(scene.client(scene.alice), url, wrong)
    assert refused.status_code == 400
    assert list(refused.json()["shifts"]) == ["1"] and "plafond" in refused.json()["shifts"]["1"]["pay"][0]
    shape = post(scene.client(scene.alice), url, [scene.shift_body(days=33), scene.shift_body(days=34, positions="x")])
    assert shape.status_code == 400 and "positions" in shape.json()["shifts"]["1"]
    unknown = post(scene.client(scene.alice), url, [scene.shift_body(days=35, bogus=1)])
    assert unknown.status_code == 400 and "bogus" in unknown.json()["shifts"]["0"]
    assert post(scene.client(scene.alice), url, {"shifts": rows, "extra": 1}).json() == {"extra": ["Champ inconnu."]}
    assert Shift.objects.count() == 4


def test_bulk_refuses_more_than_a_thousand_and_other_peoples_units(scene):
    url = f"{SHIFTS}bulk/"
    too_many = post(scene.client(scene.alice), url, [scene.shift_body()] * 1001)
    assert too_many.status_code == 400 and "shifts" in too_many.json()
    assert post(scene.client(scene.alice), url, []).status_code == 400
    assert post(scene.client(scene.bob), url, [scene.shift_body()]).status_code == 403
    other = post(scene.client(scene.charlie), url, [scene.shift_body(unit=scene.other_unit.pk), scene.shift_body()])
    assert other.status_code == 400 and list(other.json()["shifts"]) == ["1"]
    assert "unit" in other.json()["shifts"]["1"]
    assert not Shift.objects.exists()


def test_series_as_the_recurring_form(scene):
    url = f"{SHIFTS}series/"
    body = {**{k: v for k, v in scene.shift_body().items() if k not in ("starts_at", "ends_at")},
            "first_day": in_days(7).date().isoformat(), "weekdays": [5], "weeks": 4, "template": "night"}
    created = post(scene.client(scene.alice), url, body)
    assert created.status_code == 201, created.json()
    assert len(created.json()["shifts"]) == 4 and Shift.objects.filter(series_id=created.json()["id"]).count() == 4
    assert post(scene.client(scene.bob), url, body).status_code == 403
    refused = post(scene.client(scene.alice), url, {**body, "weeks": 0})
    assert refused.status_code == 400 and "weeks" in refused.json()
    custom = post(scene.client(scene.alice), url, {**body, "template": "custom"})
    assert custom.status_code == 400 and {"start", "end"} <= set(custom.json())
    assert Shift.objects.count() == 4


def test_json_import_with_the_csv_columns(scene):
    url = f"{SHIFTS}import/"
    day = in_days(12).date().strftime("%d/%m/%Y")
    rows = [{"unite": "Urgences", "profession": "IDE", "date": day, "debut": "08:00", "fin": "20:00", "postes": "1",
             "remuneration": "300,00"},
            {"Unité": "Urgences", "profession": "60", "date": day, "debut": "20:00", "fin": "08:00", "postes": "2",
             "remuneration": "300.00"}]
    body = {"establishment": scene.site.pk, "rows": rows}
    created = post(scene.client(scene.alice), url, body)
    assert created.status_code == 201, created.json()
    assert created.json()["created"] == 2 and Shift.objects.count() == 2
    again = post(scene.client(scene.alice), url, body)
    assert again.json()["created"] == 0 and again.json()["already_imported"] == 2
    wrong = post(scene.client(scene.alice), url, {"establishment": scene.site.pk,
                                                  "rows": [rows[0], {**rows[1], "date": "31/02/2027", "couleur": "x"}]})
    assert wrong.status_code == 400
    assert set(wrong.json()["rows"]["1"]) == {"couleur"}
    assert post(scene.client(scene.bob), url, body).status_code == 403
    other = post(scene.client(scene.charlie), url, body)
    assert other.status_code == 400 and list(other.json()) == ["establishment"]
    assert Shift.objects.count() == 2


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_posting_day_at_the_ends_of_the_calendar_is_a_400_naming_it(scene, day):
    """The last and first days Python has: an overnight shift's end or a series' weeks ran past them
    (OverflowError, a 500). Outside the posting window (two years either side), each is refused."""
    series = {**{k: v for k, v in scene.shift_body().items() if k not in ("starts_at", "ends_at")},
              "first_day": day, "weekdays": [0, 1, 2, 3, 4, 5, 6], "weeks": 26, "template": "night"}
    refused = post(scene.client(scene.alice), f"{SHIFTS}series/", series)
    assert refused.status_code == 400 and "Choisissez une date entre le" in refused.json()["first_day"][0]
    row = {"unite": "Urgences", "profession": "IDE", "date": day, "debut": "20:00", "fin": "08:00", "postes": "1",
           "remuneration": "300,00"}
    imported = post(scene.client(scene.alice), f"{SHIFTS}import/", {"establishment": scene.site.pk, "rows": [row]})
    assert imported.status_code == 400 and "Choisissez une date entre le" in str(imported.json()["rows"]["0"]["date"])
    assert Shift.objects.count() == 0
