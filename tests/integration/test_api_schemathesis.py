"""The API against its own OpenAPI document (``/api/schema/``), with schemathesis.

Every operation of the schema is called with generated requests — valid and invalid — through the
project's WSGI application, once anonymous and once with a personal API token (obtained from
``/api/v1/auth/token/``, as a client does), and each answer must:

- not be a server error (5xx);
- have a status code the schema documents for the operation (403, 404, 400 included);
- have the content type it documents (JSON, a 404 of an unknown /api/ address too);
- match the documented response schema, and the documented headers;
- accept a request the schema calls valid (2xx, or 401/403/404…), refuse one it calls invalid (4xx);
- refuse a missing or invalid credential where the operation needs one (``ignored_auth``: the token
  is given through schemathesis's auth, so that it can take it away), and more (``CHECKS``).

The token endpoint answers 400 to a well-formed request with a wrong password (DRF's convention for
obtaining a token): the one status schemathesis's config allows beyond the defaults, on that operation.

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
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
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
    positive_data_acceptance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    ignored_auth,
    use_after_free,
    ensure_resource_availability,
]

TOKEN_PATH = "/api/v1/auth/token/"
CONFIG = schemathesis.Config.from_dict({"operations": [{
    "include-path": TOKEN_PATH,
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 400, 429]}},  # wrong credentials: 400
}, {
    # Postings and actions on shifts: a well-formed body naming a unit, a profession or a professional
    # the caller cannot use, a date in the past or a pay above the legal cap is the services' 400.
    "include-path-regex": "^/api/v1/(shifts/|establishments/[^/]+/units/)",
    "include-method": "POST",
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 400, 403, 404, 409]}},
}]})

# A server always gives the peer's address (the sign-in rate limit counts per address); werkzeug's
# in-process client does not.
A_CLIENT = {"REMOTE_ADDR": "192.0.2.10"}

RUN = hypothesis.settings(
    max_examples=25,
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
        return schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@pytest.fixture
def token(client) -> str:
    """A professional with a few notifications, and the personal API token they obtain."""
    professional = make_professional(make_user("api-client@example.org"))
    for n in range(3):
        event = "mission.booked"
        notify(recipient=professional.user, event=event, context=sample_context(event), dedupe_key=f"{event}:{n}")
    response = client.post(TOKEN_PATH, {"username": "api-client@example.org", "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _every_operation_conforms(schema) -> None:
    """Run each operation with valid and invalid generated requests; report every failing one."""
    with _requests_in_the_test_transaction():
        failures = _failures_of_every_operation(schema)
    assert not failures, "\n\n".join(failures)


def _failures_of_every_operation(schema) -> list[str]:
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        # Invalid requests need something to make invalid: parameters or a body.
        has_inputs = bool(operation.path_parameters or operation.query or operation.body)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if has_inputs else (GenerationMode.POSITIVE,):

            @RUN
            @hypothesis.given(case=operation.as_strategy(mode, auth_storage=schema.auth if schema.auth.is_defined else None))
            def conforms(case):
                case.call_and_validate(checks=CHECKS, environ_base=A_CLIENT)

            try:
                conforms()
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{operation.label} ({mode.value}):\n{error}")
    return failures


def test_the_api_anonymous(api_schema):
    _every_operation_conforms(api_schema)


def test_the_api_with_a_personal_token(api_schema, token):
    @api_schema.auth()
    class PersonalToken:
        def get(self, case, context):
            return token

        def set(self, case, data, context):
            case.headers["Authorization"] = f"Token {data}"

    _every_operation_conforms(api_schema)
