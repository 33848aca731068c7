"""The API against its own OpenAPI document (``/api/schema/``), with schemathesis.

Every operation of the schema is called with generated requests — valid and invalid — through the
project's WSGI application, once anonymous and once with a personal API token (obtained from
``/api/v1/auth/token/``, as a client does), and each answer must:

- not be a server error (5xx);
- have a status code the schema documents for the operation (401 and 403 included);
- have the content type it documents;
- match the documented response schema, and the documented headers.

A bounded, deterministic run (``derandomize``: the same examples on every run and in CI).
"""

from __future__ import annotations

from contextlib import contextmanager

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from notifications.services import notify
from tests.factories import PASSWORD, make_professional, make_user
from tests.notifications.conftest import sample_context

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# A server always gives the peer's address (the sign-in rate limit counts per address); werkzeug's
# in-process client does not.
A_CLIENT = {"REMOTE_ADDR": "192.0.2.10"}

RUN = hypothesis.settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@contextmanager
def _requests_in_the_test_transaction():
    """The WSGI requests run in the test's transaction, as the test client's do: Django would
    otherwise close the connection at the start and end of each request (``close_old_connections``),
    inside that transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db):
    """The schema the application serves, loaded through its WSGI entry point."""
    from ville_hopital.wsgi import application

    with _requests_in_the_test_transaction():
        return schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def token(client) -> str:
    """A professional with a few notifications, and the personal API token they obtain."""
    professional = make_professional(make_user("api-client@example.org"))
    for n in range(3):
        event = "mission.booked"
        notify(recipient=professional.user, event=event, context=sample_context(event), dedupe_key=f"{event}:{n}")
    response = client.post("/api/v1/auth/token/", {"username": "api-client@example.org", "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _every_operation_conforms(schema, headers: dict[str, str] | None = None) -> None:
    """Run each operation with valid and invalid generated requests; report every failing one."""
    with _requests_in_the_test_transaction():
        failures = _failures_of_every_operation(schema, headers)
    assert not failures, "\n\n".join(failures)


def _failures_of_every_operation(schema, headers: dict[str, str] | None) -> list[str]:
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        # Invalid requests need something to make invalid: parameters or a body.
        has_inputs = bool(operation.path_parameters or operation.query or operation.body)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if has_inputs else (GenerationMode.POSITIVE,):

            @RUN
            @hypothesis.given(case=operation.as_strategy(mode))
            def conforms(case):
                case.call_and_validate(checks=CHECKS, headers=headers, environ_base=A_CLIENT)

            try:
                conforms()
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{operation.label} ({mode.value}):\n{error}")
    return failures


def test_the_api_anonymous(api_schema):
    _every_operation_conforms(api_schema)


def test_the_api_with_a_personal_token(api_schema, token):
    _every_operation_conforms(api_schema, headers={"Authorization": f"Token {token}"})
