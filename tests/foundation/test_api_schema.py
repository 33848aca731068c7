"""The OpenAPI document is the contract a client is generated from (``/api/schema/``).

Every operation, whichever app adds it: a stable name of its own (an explicit ``operation_id``,
snake_case, unique — not drf-spectacular's ``v1_…`` default, which moves with the path), its error
answers documented (at least one 4xx, each the ``Error`` component), a body in one media type, and
request components without the read-only fields of the responses. The document is valid OpenAPI 3
(drf-spectacular's own validation against the OpenAPI JSON schema), generated without a warning.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.validation import validate_schema

from tests.api_client.generated import schema_operations as operations
from ville_hopital.api_schema import ERROR_REF

pytestmark = pytest.mark.django_db

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@pytest.fixture
def document(client) -> dict:
    response = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def naming_problems(document: dict) -> list[str]:
    problems, seen = [], {}
    for method, path, operation in operations(document):
        name = operation.get("operationId", "")
        if not SNAKE_CASE.match(name) or name.startswith(("v1_", "api_")):
            problems.append(f"{method} {path}: {name!r} is not an explicit snake_case operation_id "
                            "(extend_schema(operation_id=…), the name in the API plan)")
        if name in seen:
            problems.append(f"{method} {path}: operation_id {name!r} is also {seen[name]}'s")
        seen[name] = f"{method} {path}"
    return problems


def error_problems(document: dict) -> list[str]:
    problems = []
    for method, path, operation in operations(document):
        errors = {status: response for status, response in operation["responses"].items() if status.startswith("4")}
        parameters = operation.get("parameters", [])
        expected = {"404"} if any(p["in"] == "path" for p in parameters) else set()
        expected |= {"400"} if parameters or "requestBody" in operation else set()
        expected |= {"403"} if {} not in operation.get("security", [{}]) else set()
        if not errors or expected - set(errors):
            problems.append(f"{method} {path}: documents {sorted(errors)}, expected at least {sorted(expected) or '1 error'}")
        problems += [f"{method} {path}: {status} is not the Error component" for status, response in errors.items()
                     if response.get("content", {}).get("application/json", {}).get("schema") != ERROR_REF]
    return problems


def body_problems(document: dict) -> list[str]:
    problems = []
    for method, path, operation in operations(document):
        media_types = list(operation.get("requestBody", {}).get("content", {}))
        if len(media_types) > 1:
            problems.append(f"{method} {path}: a body in {media_types}; one media type (a generated client "
                            "unites them into a type it cannot name)")
    return problems


def read_only_in_requests(document: dict) -> list[str]:
    """Request components (``…Request``, COMPONENT_SPLIT_REQUEST) ask for no read-only field."""
    return [f"{name}.{field}" for name, component in document["components"]["schemas"].items()
            for field, spec in component.get("properties", {}).items()
            if name.endswith("Request") and spec.get("readOnly")]


def test_the_schema_is_valid_openapi(document):
    validate_schema(document)
    assert document["openapi"].startswith("3.")


def test_the_schema_is_generated_without_a_warning(tmp_path):
    """drf-spectacular warns where the document is wrong or guessed: two serializers of one name
    (one component for both: a generated client parses one of them wrongly), an authentication
    class it cannot describe, an enum named by a collision, a view it cannot introspect."""
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))


def test_every_operation_has_an_explicit_name(document):
    assert operations(document)
    assert not naming_problems(document), "\n".join(naming_problems(document))


def test_every_operation_documents_its_errors(document):
    assert not error_problems(document), "\n".join(error_problems(document))
    assert document["components"]["schemas"]["Error"]["type"] == "object"


def test_bodies_have_one_media_type_and_ask_for_no_read_only_field(document):
    assert not body_problems(document), "\n".join(body_problems(document))
    assert not read_only_in_requests(document)
    assert "TokenObtainRequest" in document["components"]["schemas"]


def test_query_parameters_are_declared(document):
    """What the views read from the query string is in the schema (a generated client can send it)."""
    communes = {p["name"] for p in document["paths"]["/api/v1/territories/communes/"]["get"]["parameters"]}
    notifications = {p["name"] for p in document["paths"]["/api/v1/notifications/"]["get"]["parameters"]}
    assert {"q", "limit", "offset"} <= communes
    assert {"unread", "limit", "offset"} <= notifications


def test_the_checks_catch_what_they_are_for():
    """An operation with drf-spectacular's default name, no error documented and a body in two
    media types is reported by each check."""
    bad = {"paths": {"/api/v1/things/{id}/": {"post": {
        "operationId": "v1_things_create", "parameters": [{"in": "path", "name": "id"}],
        "requestBody": {"content": {"application/json": {}, "multipart/form-data": {}}},
        "responses": {"200": {}}, "security": [{"tokenAuth": []}],
    }}}, "components": {"schemas": {"ThingRequest": {"properties": {"id": {"readOnly": True}}}}}}
    assert naming_problems(bad) and body_problems(bad) and read_only_in_requests(bad) == ["ThingRequest.id"]
    assert error_problems(bad) == ["POST /api/v1/things/{id}/: documents [], expected at least ['400', '403', '404']"]
