"""The ARS API (``/api/v1/ars/regions/{code}/…``): who reads what, the same figures as the pages for
the same filters, bad parameters answered 400 naming them, a constant number of queries.

alice is an ARS agent of Occitanie (76, the owner's region), bob one of Île-de-France (11), charlie
an establishment's HR member; a professional, platform staff and an anonymous client complete the roles.
"""

from __future__ import annotations

from datetime import timedelta

import hypothesis
import pytest
import schemathesis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dashboards.services import aggregates_rebuild, availability_refresh
from dashboards.tables import FIGURE_COLUMNS
from missions.core.models import MissionState
from tests.dashboards.conftest import MENDE, MONTPELLIER, PARIS, World
from tests.factories import make_ars_agent, make_user, platform_staff
from tests.integration.test_api_schemathesis import A_CLIENT, _requests_in_the_test_transaction
from ville_hopital.input_hygiene import FORBIDDEN_CHARACTERS
from ville_hopital.wsgi import application

pytestmark = pytest.mark.django_db

OCCITANIE, ILE_DE_FRANCE = "76", "11"
GROUPS = ("ars-departements", "ars-professions", "ars-establishment-types")
ENDPOINTS = ("ars-indicators", *GROUPS, "ars-trend", "ars-establishments", "ars-shortages")
FIGURES = ("posted", "filled", "unfilled", "fill_rate", "urgent_posted", "urgent_filled", "urgent_unfilled_7d",
           "withdrawn", "done", "no_show", "cancelled", "cancelled_by_pro", "cancelled_by_estab",
           "cancelled_by_platform", "hours_filled", "hours_done", "fte", "elapsed_days", "active_professionals",
           "median_ttf_hours", "median_km", "mean_km")


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Computed on every request (query counts); the cache is turned back on where it is the subject."""
    settings.DASHBOARDS_CACHE_SECONDS = 0


@pytest.fixture
def world(db) -> World:
    return World(today=timezone.localdate(), hr=make_user())


def build(world: World, n_shifts: int, prefix: str = "") -> None:
    """Establishments in Montpellier and Mende (76) and Paris (11), shifts over the default period,
    missions in every state, availability: every figure of the pages has something to count."""
    chu = world.establishment(f"{prefix}CHU Montpellier", MONTPELLIER, "CHU")
    mende = world.establishment(f"{prefix}CH Mende", MENDE, "CH")
    paris = world.establishment(f"{prefix}CH Paris", PARIS, "CH")
    pros = [world.professional(MONTPELLIER, profession="60" if i % 2 else "10") for i in range(3)]
    states = (MissionState.DONE, MissionState.BOOKED, MissionState.CANCELLED, MissionState.NO_SHOW)
    for i in range(n_shifts):
        for estab in (chu, mende, paris):
            shift = world.shift(estab, day=(i * 7) % 50 - 25, positions=2 + i % 3, urgent=i % 4 == 0,
                                profession="60" if i % 3 else "10", created_days_before=1 + i % 9)
            state = states[i % len(states)]
            world.mission(shift, pros[i % 3], state=state, km=str(i % 70), ttf_hours=2 + i * 3,
                          cancelled_by="professional" if state == MissionState.CANCELLED else "")
        world.availability(pros[i % 3], (i % 25) + 1, "D" if i % 2 else "N")
    aggregates_rebuild()
    availability_refresh()


@pytest.fixture
def data(world) -> World:
    build(world, 8)
    return world


@pytest.fixture
def alice(db):
    return make_ars_agent(OCCITANIE, "alice@ars.sante.fr")


@pytest.fixture
def bob(db):
    return make_ars_agent(ILE_DE_FRANCE, "bob@ars.sante.fr")


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def url(name: str, code: str = OCCITANIE) -> str:
    return reverse(f"api:{name}", kwargs={"code": code})


def page_json(f) -> dict:
    return {name: getattr(f, name) for name in FIGURES}


# --------------------------------------------------------------------------- who reads what


@pytest.mark.parametrize("name", ENDPOINTS)
def test_each_endpoint_answers_the_region_s_agents_and_staff_only(data, alice, bob, name):
    assert api_as(alice).get(url(name)).status_code == 200
    assert api_as(bob).get(url(name)).status_code == 404  # another region's agent: as if it did not exist
    assert api_as(bob).get(url(name, ILE_DE_FRANCE)).status_code == 200
    for someone in (data.hr, data.professional().user):
        response = api_as(someone).get(url(name))
        assert response.status_code == 404 and set(response.json()) == {"detail"}
    assert api_as(None).get(url(name)).status_code in (401, 403)
    staff = api_as(platform_staff())
    assert staff.get(url(name)).status_code == 200
    assert staff.get(url(name, "fr")).status_code == 200  # France as a whole, as on the pages
    assert staff.get(url(name, "99")).status_code == 404
    for code in ("fr", "99", "x" * 300):
        assert api_as(alice).get(url(name, code)).status_code == 404


def test_the_regions_i_may_read(data, alice):
    assert api_as(alice).get(reverse("api:ars-regions")).json() == {
        "results": [{"code": "76", "name": "Occitanie", "national": False}],
    }
    staff = api_as(platform_staff()).get(reverse("api:ars-regions")).json()["results"]
    assert len(staff) == 19 and staff[-1] == {"code": "fr", "name": "France entière", "national": True}
    assert [r["code"] for r in staff[:-1]] == sorted(r["code"] for r in staff[:-1])
    for someone in (data.hr, data.professional().user):
        assert api_as(someone).get(reverse("api:ars-regions")).status_code == 404
    assert api_as(None).get(reverse("api:ars-regions")).status_code in (401, 403)


def test_the_api_and_the_pages_share_one_territory_rule(data, alice, bob, client):
    """The pages and the API answer the same for every (user, territory): both resolve it with ``scope_for``."""
    staff, pro = platform_staff(), data.professional().user
    for user in (alice, bob, staff, pro, data.hr):
        client.force_login(user)
        for code in (OCCITANIE, ILE_DE_FRANCE, "fr", "99"):
            page = client.get(reverse("dashboards:overview", args=[code])).status_code
            assert api_as(user).get(url("ars-indicators", code)).status_code == page, (user, code)


# --------------------------------------------------------------------------- the same figures as the pages


def filter_sets(world: World) -> list[dict]:
    today = world.today
    return [
        {},
        {"start": (today - timedelta(days=20)).isoformat(), "end": (today + timedelta(days=20)).isoformat(),
         "departement": "48"},
        {"profession": "60", "end": (today + timedelta(days=40)).isoformat()},
        {"start": (today - timedelta(days=90)).isoformat(), "end": (today - timedelta(days=1)).isoformat()},
    ]


def test_indicators_equal_the_overview_s_headline_figures(data, alice, client):
    client.force_login(alice)
    for params in filter_sets(data):
        page = client.get(reverse("dashboards:overview", args=[OCCITANIE]), params)
        body = api_as(alice).get(url("ars-indicators"), params).json()
        assert body["figures"] == page_json(page.context["total"])
        filters = page.context["filters"]
        assert body["filters"] == {"start": filters.start.isoformat(), "end": filters.end.isoformat(),
                                   "departement": filters.departement, "profession": filters.profession}
        assert body["territory"] == {"code": "76", "name": "Occitanie"}
        assert body["data_as_of"] == timezone.localtime(page.context["data_as_of"]).isoformat()
    assert body["figures"]["posted"] > 0 and isinstance(body["figures"]["fill_rate"], float)


def _table_values(table) -> list[dict]:
    keys = [c.key for c in table.columns]
    return [dict(zip(keys, row, strict=True)) for row in table.rows]


@pytest.mark.parametrize(("name", "table"), [("ars-departements", 0), ("ars-professions", 1),
                                             ("ars-establishment-types", 2)])
def test_breakdowns_equal_the_overview_s_tables(data, alice, client, name, table):
    client.force_login(alice)
    for params in filter_sets(data):
        page = client.get(reverse("dashboards:overview", args=[OCCITANIE]), params)
        results = api_as(alice).get(url(name), params).json()["results"]
        shown = _table_values(page.context["tables"][table])
        assert len(results) == len(shown)
        for row, line in zip(results, shown, strict=True):
            label = f"{row['code']} {row['name']}" if name == "ars-departements" else row["name"]
            assert label == line["label"]
            assert {c.key: row["figures"][c.key] for c in FIGURE_COLUMNS} == {c.key: line[c.key] for c in FIGURE_COLUMNS}
    departements = api_as(alice).get(url("ars-departements")).json()["results"]
    assert [r["code"] for r in departements] == ["34", "48"]  # Paris (75) is another region's


def test_trend_equals_the_overview_s_chart_data(data, alice, client):
    client.force_login(alice)
    for params in filter_sets(data):
        page = client.get(reverse("dashboards:overview", args=[OCCITANIE]), params)
        results = api_as(alice).get(url("ars-trend"), params).json()["results"]
        assert [[r["start"], r["posted"], r["filled"], r["fill_rate"]] for r in results] == [
            [week.isoformat(), posted, filled, rate] for week, posted, filled, rate in page.context["tables"][3].rows
        ]
    assert sum(r["posted"] for r in results) > 0


def test_establishments_equal_the_page_and_page_on(data, alice, client):
    build(data, 4, prefix="Autre ")
    client.force_login(alice)
    for params in filter_sets(data):
        page = client.get(reverse("dashboards:establishments", args=[OCCITANIE]), params)
        body = api_as(alice).get(url("ars-establishments"), {**params, "limit": 30}).json()
        assert body["count"] == page.context["total_rows"]
        shown = _table_values(page.context["table"])
        assert [[r["name"], r["type"], r["commune"]] for r in body["results"]] == [
            [line["name"], line["type"], line["commune"]] for line in shown
        ]
        for row, line in zip(body["results"], shown, strict=True):
            assert {c.key: row["figures"][c.key] for c in FIGURE_COLUMNS} == {c.key: line[c.key] for c in FIGURE_COLUMNS}
    everything = api_as(alice).get(url("ars-establishments")).json()
    assert everything["count"] == 4 and everything["next"] is None and everything["previous"] is None
    first = api_as(alice).get(url("ars-establishments"), {"limit": 3}).json()
    assert first["next"] and "offset=3" in first["next"] and first["previous"] is None
    rest = api_as(alice).get(first["next"]).json()
    assert [r["id"] for r in first["results"] + rest["results"]] == [r["id"] for r in everything["results"]]
    assert api_as(alice).get(url("ars-establishments"), {"offset": 100}).json()["results"] == []


def test_shortages_equal_the_page(data, alice, client):
    client.force_login(alice)
    for params in filter_sets(data):
        page = client.get(reverse("dashboards:shortages", args=[OCCITANIE]), params)
        body = api_as(alice).get(url("ars-shortages"), params).json()
        assert [[f"{r['departement']} {r['departement_name']}", r["profession_name"], r["open_positions"],
                 r["available_slots"], r["gap"]] for r in body["results"]] == page.context["table"].rows
        window = page.context["window"]
        assert body["window"] == (window and {"start": window[0].isoformat(), "end": window[1].isoformat()})
    assert body["window"] is None  # the last filter set is a past period
    assert api_as(alice).get(url("ars-shortages")).json()["results"], "the data has a shortage to show"


def test_staff_reads_france_as_a_whole(data, client):
    staff = platform_staff()
    client.force_login(staff)
    page = client.get(reverse("dashboards:overview", args=["fr"]))
    body = api_as(staff).get(url("ars-indicators", "fr")).json()
    assert body["territory"] == {"code": "fr", "name": "France entière"}
    assert body["figures"] == page_json(page.context["total"])
    occitanie = api_as(staff).get(url("ars-indicators")).json()["figures"]["posted"]
    assert body["figures"]["posted"] > occitanie  # Paris counts nationally


def test_names_follow_the_request_s_language(data, alice):
    french = api_as(alice).get(url("ars-professions")).json()["results"]
    english = api_as(alice).get(url("ars-professions"), HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert {r["code"] for r in french} == {r["code"] for r in english} == {"10", "60"}
    assert {r["name"] for r in french} != {r["name"] for r in english}


def test_the_page_cache_serves_the_api_too(data, alice, settings):
    settings.DASHBOARDS_CACHE_SECONDS = 300
    first = api_as(alice).get(url("ars-indicators")).json()
    with CaptureQueriesContext(connection) as again:
        second = api_as(alice).get(url("ars-departements")).json()
    assert not any("dashboards_dailyfillarea" in q["sql"] for q in again.captured_queries)  # the overview, cached
    assert sum(r["figures"]["posted"] for r in second["results"]) == first["figures"]["posted"]


# --------------------------------------------------------------------------- bad parameters


def bad_parameters(today) -> list[tuple[dict, str, str]]:
    """(parameters, the field the 400 names, part of its message)."""
    return [
        ({"start": "2026-13-45"}, "start", "Date de début invalide"),
        ({"start": "2027-02-30"}, "start", "Date de début invalide"),
        ({"end": "hier"}, "end", "Date de fin invalide"),
        ({"start": today.isoformat(), "end": (today - timedelta(days=1)).isoformat()}, "end", "précède son début"),
        ({"start": (today - timedelta(days=4 * 365)).isoformat(), "end": today.isoformat()}, "end", "dépasser 3 ans"),
        ({"start": "9999-12-01", "end": "9999-12-31"}, "start", "Choisissez une date entre le"),
        ({"start": "0001-01-01"}, "start", "Choisissez une date entre le"),
        ({"departement": "75"}, "departement", "Département inconnu"),
        ({"departement": "<script>"}, "departement", "Département inconnu"),
        ({"profession": "99"}, "profession", "Profession inconnue"),
        ({"start": "2" * 10_000}, "start", "Date de début invalide"),
        ({"departement": "4" * 10_000}, "departement", "Département inconnu"),
        ({"profession": "x" * 10_000}, "profession", "Profession inconnue"),
        ({"profession": "60\x00"}, "profession", "caractère invisible"),
        ({"end": "\x00"}, "end", "caractère invisible"),
    ]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_bad_parameters_answer_400_naming_them(world, alice, name):
    client = api_as(alice)
    for params, field, message in bad_parameters(world.today):
        response = client.get(url(name), params)
        assert response.status_code == 400, (params, response.content[:300])
        body = response.json()
        assert field in body and set(body) <= set(params), (params, body)  # never a 500, nor another field
        assert message in body[field][0], (params, body)


def test_bad_pages_answer_400_naming_them(world, alice):
    client = api_as(alice)
    for params, field in (({"limit": "0"}, "limit"), ({"limit": "abc"}, "limit"), ({"offset": "-1"}, "offset"),
                          ({"offset": "9" * 30}, "offset")):
        response = client.get(url("ars-establishments"), params)
        assert response.status_code == 400 and list(response.json()) == [field], params
    assert client.get(url("ars-establishments"), {"limit": "9" * 30}).status_code == 200  # lowered to 200


def test_error_messages_in_english_on_request(world, alice):
    response = api_as(alice).get(url("ars-indicators"), {"profession": "99"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"profession": ["Unknown profession: “99”."]}


def test_another_region_s_parameters_tell_nothing(world, bob):
    """The territory is checked first: a bad filter on a region not yours is still a 404."""
    assert api_as(bob).get(url("ars-indicators"), {"start": "hier"}).status_code == 404


# --------------------------------------------------------------------------- queries


def _queries(client: APIClient, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured.captured_queries)


def test_queries_do_not_grow_with_the_data(world, alice):
    client = api_as(alice)
    addresses = [url(name) for name in ENDPOINTS] + [url(name, "fr") for name in ENDPOINTS]
    build(world, 2)
    staff = api_as(platform_staff())
    for address in addresses:  # warm-up: the per-process caches (centroids of the départements)
        (staff if "/fr/" in address else client).get(address)
    small = {a: _queries(staff if "/fr/" in a else client, a) for a in addresses}
    build(world, 25, prefix="Grand ")
    large = {a: _queries(staff if "/fr/" in a else client, a) for a in addresses}
    assert large == small
    assert max(small.values()) <= 14, small


# --------------------------------------------------------------------------- the schema


def test_the_schema_documents_each_operation(client):
    schema = client.get(reverse("schema"), {"format": "json"}).json()
    operations = {
        op["operationId"]: (path, op) for path, item in schema["paths"].items() for op in item.values()
        if path.startswith("/api/v1/ars/")
    }
    assert set(operations) == {
        "ars_regions_list", "ars_indicators_retrieve", "ars_departements_list", "ars_professions_list",
        "ars_establishment_types_list", "ars_trend_list", "ars_establishments_list", "ars_shortages_list",
    }
    for operation_id, (path, op) in operations.items():
        assert {"200", "403", "404"} <= set(op["responses"]), operation_id
        if "{code}" in path:
            assert "400" in op["responses"]
            assert {"start", "end", "departement", "profession"} <= {p["name"] for p in op["parameters"]}
    figures = schema["components"]["schemas"]["ArsFigures"]["properties"]
    assert set(figures) == set(FIGURES)
    assert figures["posted"]["type"] == "integer" and figures["fill_rate"]["type"] == "number"
    assert figures["fill_rate"]["nullable"] and "between 0 and 1" in figures["fill_rate"]["description"]


#: The shared bounded run, without shrinking: each example computes a territory's figures, and a
#: failure is reported as found rather than narrowed down over hundreds more requests.
SEARCH_ONLY = hypothesis.settings(
    max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(hypothesis.HealthCheck),
    phases=(hypothesis.Phase.explicit, hypothesis.Phase.generate),
)


def test_generated_requests_as_the_region_s_agent(data, alice):
    """Generated parameters (schemathesis, from the schema), as the region's agent: never a 5xx, a
    status and a body the schema documents (the figures' JSON shape included), a 400 naming only
    parameters. The territory is the agent's own, so the filters are what is read, not the 404."""
    token = Token.objects.create(user=alice).key
    with _requests_in_the_test_transaction():
        schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex="^/api/v1/ars/")
        failures = []
        for result in schema.get_all_operations():
            operation = result.ok()
            # Invalid requests need something to make invalid: the regions' list has no parameter.
            modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if operation.query else (GenerationMode.POSITIVE,)
            for mode in modes:

                @SEARCH_ONLY
                @hypothesis.given(case=operation.as_strategy(mode))
                def conforms(case):
                    if "code" in (case.path_parameters or {}):
                        case.path_parameters = {"code": OCCITANIE}
                    case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}
                    response = case.call(environ_base=A_CLIENT)
                    case.validate_response(response, checks=[
                        not_a_server_error, status_code_conformance, content_type_conformance,
                        response_schema_conformance,
                    ])
                    if response.status_code == 400:  # named as sent (a control character shown as "?")
                        sent = {FORBIDDEN_CHARACTERS.sub("?", name) for name in case.query or {}}
                        assert set(response.json()) <= sent, response.json()
                    else:
                        assert response.status_code == 200, (case.query, response.status_code)

                try:
                    conforms()
                except (Exception, BaseExceptionGroup) as error:
                    failures.append(f"{operation.label} ({mode.value}):\n{error}")
    assert not failures, "\n\n".join(failures)
