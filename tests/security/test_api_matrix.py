"""The API's authorization matrix, generated from its OpenAPI document: every operation of the
schema × every role of the security world (plus establishment 1's admin), with the path parameters
filled with the owner's objects (professional A, establishment 1, region 1: ``api_policy.PATH_OBJECTS``)
and each role's personal token; GET for reads, and for writes an empty body (enough to tell a
refusal — 401, 403, 404 — from a 400 or a success). Every request is rolled back.

Only the roles ``api_policy.RULES`` lets in get past the refusal; a list shows the owner's object to
them alone. An operation no rule classifies fails the run, naming it: a new endpoint is in the
matrix the day it lands.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from rest_framework.authtoken.models import Token

from tests.api_client.generated import schema_document, schema_operations
from tests.security.api_policy import API_ROLES, LOGGED_IN, Rule, path_values, rule_for
from tests.security.world import World

pytestmark = pytest.mark.django_db

OPERATIONS = schema_operations(schema_document())
REFUSED = {401, 403, 404}


@pytest.fixture(scope="module")
def tokens(world: World, django_db_blocker) -> dict[str, str]:
    """Each role's personal API token (inside the world's transaction, rolled back with it)."""
    with django_db_blocker.unblock():
        return {role: Token.objects.get_or_create(user=world.users[role])[0].key
                for role in API_ROLES if world.users.get(role) is not None}


def send(method: str, path: str, operation: dict, token: str | None):
    """One request, its writes undone; a body, when the operation takes one, empty."""
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    content_types = list(operation.get("requestBody", {}).get("content", {}))
    if method == "GET":
        arguments = {"data": {"limit": 200}}
    elif content_types and content_types[0] == MULTIPART_CONTENT:
        arguments = {"data": encode_multipart(BOUNDARY, {}), "content_type": MULTIPART_CONTENT}
    else:
        arguments = {"data": "{}", "content_type": "application/json"}
    client = Client()
    with transaction.atomic():
        call = client.get if method == "GET" else lambda url, **kw: client.generic(method, url, **kw)
        response = call(path, **arguments, **headers)
        transaction.set_rollback(True)
    return response


def shows(response, obj) -> bool:
    body = response.json()
    items = body.get("results", []) if isinstance(body, dict) else body
    return any(isinstance(item, dict) and item.get("id") == getattr(obj, "pk", obj) for item in items)


def problem(rule: Rule, role: str, response, listed) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"{status}"
    if role in rule.unsure:
        return None
    refused = status in REFUSED
    if role == "anonymous" and role not in rule.ok:
        return None if status in (401, 403) else f"{status}, expected 401/403 ({rule.why})"
    if role in rule.ok:
        if refused:
            return f"{status}, refused though let in ({rule.why})"
        if listed is not None and not shows(response, listed):
            return f"{status}, the list leaves out the owner's object ({rule.why})"
        return None
    if refused:
        return None
    if listed is not None and status == 200:
        return f"the list shows the owner's object ({rule.why})" if shows(response, listed) else None
    return f"{status}, expected a refusal (401/403/404) ({rule.why})"


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS,
                         ids=[operation["operationId"] for _m, _p, operation in OPERATIONS])
def test_who_gets_what(method, path, operation, world, tokens):
    rule = rule_for(path, method)
    assert rule is not None, (f"{method} {path} ({operation['operationId']}): no rule says who may use it; "
                              "add one to RULES in tests/security/api_policy.py")
    url = path.format(**path_values(path, world.objects))
    listed = world.objects[rule.listed] if rule.listed else None
    failures = []
    for role in API_ROLES:
        try:
            response = send(method, url, operation, tokens.get(role))
        except Exception as error:  # the test client re-raises what would be a 500
            failures.append(f"{role} {method} {url}: 500, {type(error).__name__}: {str(error)[:300]}")
            continue
        found = problem(rule, role, response, listed)
        if found:
            failures.append(f"{role} {method} {url}: {found}")
    assert not failures, "\n".join(failures)


def test_the_matrix_walks_the_schema():
    """The operations come from the schema (a broken walk would pass empty), each role is tried."""
    names = {operation["operationId"] for _m, _p, operation in OPERATIONS}
    assert {"me_retrieve", "auth_token_create", "communes_list", "notifications_mark_read"} <= names
    assert {"pro_a", "pro_b", "hr_1", "viewer_1", "hr_2", "viewer_2", "ars_1", "ars_2", "staff", "anonymous"} < set(API_ROLES)


def test_an_unclassified_operation_fails_the_run(world):
    """An operation no rule names has no rule (the test above fails on it), one whose path no
    pattern fills says what to add."""
    assert rule_for("/api/v1/invoices/{id}/", "GET") is None
    with pytest.raises(LookupError, match=r"invoices.*PATH_OBJECTS"):
        path_values("/api/v1/invoices/{id}/", world.objects)
    with pytest.raises(LookupError, match=r"no \['shift'\].*world.py"):
        path_values("/api/v1/shifts/{id}/", {})


def test_the_rules_of_the_plan(world):
    """The plan's endpoints are classified before they land: the owner's side alone gets in."""
    assert rule_for("/api/v1/shifts/{id}/cancel/", "POST").ok == {"hr_1", "admin_1"}
    assert "viewer_1" in rule_for("/api/v1/shifts/{id}/", "GET").ok
    assert rule_for("/api/v1/ars/regions/{code}/indicators/", "GET").ok == {"ars_1", "staff"}
    assert rule_for("/api/v1/offers/{id}/accept/", "POST").ok == {"pro_a"}
    assert rule_for("/api/v1/me/", "GET").ok == LOGGED_IN
    assert path_values("/api/v1/missions/{id}/done/", world.objects) == {"id": world.objects["worked_mission"].pk}
    assert path_values("/api/v1/availability/{year}/{month}/", world.objects) == {
        "year": world.objects["year"], "month": world.objects["month"]}
