"""Journeys of an integrator, through a client generated from the schema (``openapi-python-client``)
against the running application (pytest-django's live server), with tokens obtained as a client does.

Each scenario runs as soon as the operations it uses are in the schema (until then it is skipped,
the reason naming the missing operations): the API plan's names are the contract.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from establishments.models import MemberRole
from tests.api_client.generated import missing, request_schema
from tests.factories import (
    PASSWORD,
    in_days,
    insure,
    make_availability,
    make_establishment,
    make_professional,
    make_proposal,
    make_shift,
    make_user,
    totp_code,
)

HR_JOURNEY = ("shifts_create", "shifts_offer_create", "offers_list", "offers_accept", "shifts_retrieve", "missions_list")
PROFESSIONAL_JOURNEY = ("availability_month_replace", "availability_month_retrieve", "offers_list", "offers_accept",
                        "missions_list")


def sign_in(api, base_url: str, email: str, code: str = ""):
    """A client holding the personal token the account obtains from ``auth_token_create``."""
    body = {"username": email, "password": PASSWORD, **({"code": code} if code else {})}
    response = api.call("auth_token_create", api.client(base_url), body=body)
    assert response.status_code == 200, response.content
    return api.client(base_url, response.parsed.token)


def mentions(value, wanted) -> bool:
    """Whether ``wanted`` is one of the values of a (nested) JSON answer."""
    if isinstance(value, dict):
        return any(mentions(v, wanted) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, wanted) for v in value)
    return value == wanted or str(value) == str(wanted)


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.parsed.to_dict()["results"]


def body_for(operation_id: str, values: dict) -> dict:
    """The operation's body from ``values``: the fields its request schema has (a callable value is
    given the field's schema); a required field without a value fails, naming it."""
    schema = request_schema(operation_id)
    properties = schema.get("properties", {})
    lacking = set(schema.get("required", [])) - set(values)
    assert not lacking, f"{operation_id}: the scenario has no value for the required {sorted(lacking)}"
    return {name: value(properties[name]) if callable(value) else value
            for name, value in values.items() if name in properties}


def test_a_token_then_me_and_the_commune_search(api, live_server, live_db):
    """What failed at once with the client of the old schema (``NameError: Unset``)."""
    make_professional(make_user("integrator@example.org"))
    wrong = api.call("auth_token_create", api.client(live_server.url),
                     body={"username": "integrator@example.org", "password": "not the password"})
    assert wrong.status_code == 400 and "username" in wrong.parsed.to_dict()
    client = sign_in(api, live_server.url, "integrator@example.org")
    me = api.call("me_retrieve", client).parsed
    assert (me.email, me.roles) == ("integrator@example.org", ["professional"])
    communes = api.call("communes_list", client, q="Mende").parsed
    assert "Mende" in [commune.name for commune in communes.results]
    assert api.call("notifications_unread_count", client).parsed.unread == 0
    assert api.call("me_retrieve", api.client(live_server.url)).status_code == 403


@pytest.mark.skipif(bool(missing(*HR_JOURNEY)), reason=missing(*HR_JOURNEY) or "-")
def test_hr_posts_a_shift_and_reads_its_booking(api, live_server, live_db):
    hr = make_user("rh@example.org")
    site = make_establishment(members={hr: MemberRole.HR})
    accepted_before = make_shift(site)  # a shift the posting service accepted: its values make a valid body
    nurse = make_professional(make_user("ide@example.org"))
    insure(nurse)
    starts_at = in_days(15)
    make_availability(nurse, starts_at.date(), "D")  # HR offers to the professionals free that day
    hr_client = sign_in(api, live_server.url, hr.email, code=totp_code())
    body = body_for("shifts_create", {
        "establishment": site.pk, "unit": accepted_before.unit_id,
        "profession": lambda field: accepted_before.profession.pk if field.get("type") == "integer" else accepted_before.profession.code,
        "starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(hours=12)).isoformat(),
        "positions": 1, "pay": str(accepted_before.pay), "urgency": accepted_before.urgency, "urgent": False,
        "required_skills": [],
    })
    created = api.call("shifts_create", hr_client, body=body)
    assert created.status_code == 201, created.content
    shift_id = created.parsed.to_dict()["id"]
    offered = api.call("shifts_offer_create", hr_client, path=(shift_id,), body={"professional": nurse.rpps})
    assert offered.status_code in (200, 201), offered.content

    nurse_client = sign_in(api, live_server.url, nurse.user.email)
    [offer] = [offer for offer in results(api.call("offers_list", nurse_client)) if mentions(offer, shift_id)]
    assert api.call("offers_accept", nurse_client, path=(offer["id"],)).status_code == 200

    board = api.call("shifts_retrieve", hr_client, path=(shift_id,))
    assert board.status_code == 200 and board.parsed.to_dict()["filled"] == 1
    missions = [m for m in results(api.call("missions_list", hr_client)) if mentions(m, shift_id)]
    assert len(missions) == 1 and (mentions(missions[0], nurse.rpps) or mentions(missions[0], nurse.user.last_name))


@pytest.mark.skipif(bool(missing(*PROFESSIONAL_JOURNEY)), reason=missing(*PROFESSIONAL_JOURNEY) or "-")
def test_a_professional_declares_a_month_and_accepts_an_offer(api, live_server, live_db):
    nurse = make_professional(make_user("ide@example.org"))
    day = (in_days(10)).date()
    client = sign_in(api, live_server.url, nurse.user.email)
    declared = api.call("availability_month_replace", client, path=(day.year, day.month),
                        body={"slots": [{"day": day.isoformat(), "slot": "D"}]})
    assert declared.status_code == 200, declared.content
    month = api.call("availability_month_retrieve", client, path=(day.year, day.month))
    assert month.status_code == 200 and mentions(month.parsed.to_dict(), day.isoformat())

    shift = make_shift(make_establishment(), starts_at=in_days(12))
    offer = make_proposal(shift, nurse)
    assert any(o["id"] == offer.pk for o in results(api.call("offers_list", client)))
    assert api.call("offers_accept", client, path=(offer.pk,)).status_code == 200
    assert any(mentions(mission, shift.pk) for mission in results(api.call("missions_list", client)))
