"""The API against its own OpenAPI document (``/api/schema/``), with schemathesis: the equivalent of
``st run --checks all`` (its coverage and fuzzing phases) over every operation of the schema,
through the project's WSGI application, once anonymous and once with the personal token of each
main role of the security world (``tests/security/world.py``): professional A, establishment 1's HR
member, region 1's ARS agent.

Path parameters are the world's objects (``api_policy.PATH_OBJECTS``, the owner's: a real notification,
shift, offer, mission… for the roles that own them), so valid requests reach the code behind the 404;
invalid ones (the negative mode) get generated path parameters. An operation added to the schema is
run from the day it lands (a path the world cannot fill fails, naming it).

Every check schemathesis has (``CHECKS``, all registered ones: ``--checks all``), each answer:

- not a server error (5xx); a status code, content type, headers and body the schema documents;
- a request the schema calls valid accepted (2xx, or a refusal: 401/403/404/409/429; and 400 for a
  body, which the services may refuse for a rule no schema states — a past date, a pay above the cap —,
  and for an ARS period's query, whose bounds no schema states either),
  one it calls invalid refused (4xx); a missing required header refused; an undocumented method
  refused (405) with the ``Allow`` header it documents;
- a missing or invalid credential refused where the operation needs one (``ignored_auth``: the
  token is given through schemathesis's auth, so that it can take it away), and more.

The token endpoint answers 400 to a well-formed request with a wrong password (DRF's convention).

A bounded, deterministic run (``derandomize``: the same examples on every run and in CI): each
role's budget of generated requests is shared among the operations it may use (``BUDGET``, by
``api_policy.RULES``; the others, which refuse the role, get ``FLOOR`` valid requests per phase),
so the run stays near a minute on two cores whatever the number of operations.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override

from tests.security.api_policy import path_values, rule_for
from tests.security.conftest import world  # noqa: F401 — the security world, built once for the module
from ville_hopital.wsgi import application

load_all_checks()
CHECKS = REGISTRY.get_all()

TOKEN_PATH = "/api/v1/auth/token/"
CONFIG = schemathesis.Config.from_dict({"operations": [
    {"include-path": TOKEN_PATH,
     "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 400, 429]}}},  # wrong credentials: 400
    # An ARS period's bounds (dates within ten years of today, the end after the start, three years at
    # most) and a département of the region in the path are rules no OpenAPI schema can state: the
    # schema gives their formats, a 400 names the parameter (tests/api/test_api_ars.py checks each).
    {"include-path-regex": "^/api/v1/ars/regions/[^/]+/",
     "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 400, 401, 403, 404, 429]}}},
    {"include-method": ["POST", "PUT", "PATCH"],
     "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 400, 401, 403, 404, 409, 429]}}},
]})

ROLES = ("anonymous", "pro_a", "hr_1", "ars_1")
#: Generated requests per role, shared among the operations (each gets at least ``FLOOR`` per mode).
BUDGET = 200
FLOOR = 1

# A server always gives the peer's address (the sign-in rate limit counts per address); werkzeug's
# in-process client does not.
A_CLIENT = {"REMOTE_ADDR": "192.0.2.10"}


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
    with _requests_in_the_test_transaction():
        return schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


def _authenticated_as(schema, token: str) -> None:
    @schema.auth()
    class PersonalToken:
        def get(self, case, context):
            return token

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


def _lets_in(role: str, operation) -> bool:
    rule = rule_for(operation.path, operation.method)
    return rule is None or role in rule.ok | rule.unsure


def _every_operation_conforms(schema, objects: dict, role: str) -> None:
    """Run each operation's coverage cases and generated requests; report every failing one. The
    budget goes to the operations ``role`` may use (``api_policy.RULES``); the others, which refuse
    the role whatever the request, get a few requests each (``FLOOR``)."""
    operations = [result.ok() for result in schema.get_all_operations()]
    served = [operation for operation in operations if _lets_in(role, operation)]
    per_operation = max(FLOOR, BUDGET // (4 * max(len(served), 1)))
    with _requests_in_the_test_transaction():
        failures = [failure for operation in operations for failure in (
            _failures_of(operation, schema, objects, per_operation) if operation in served
            else _failures_of(operation, schema, objects, FLOOR, modes=(GenerationMode.POSITIVE,)))]
    assert not failures, "\n\n".join(failures)


def _failures_of(operation, schema, objects: dict, examples: int,
                 modes: tuple[GenerationMode, ...] = tuple(GenerationMode)) -> list[str]:
    """Valid requests name the world's objects; invalid ones have generated path parameters."""
    auth = schema.auth if schema.auth.is_defined else None
    real = {name: str(value) for name, value in path_values(operation.path, objects).items()}
    # Invalid requests need something to make invalid: parameters or a body.
    if not (operation.path_parameters or operation.query or operation.body):
        modes = (GenerationMode.POSITIVE,)
    failures = []
    for mode in modes:
        path_parameters = real if mode is GenerationMode.POSITIVE else {}
        coverage = CoverageGenerator(
            operation=operation, generation_modes=[mode], auth_storage=auth, feedback=FeedbackSources(),
            generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
            override=Override(path_parameters=path_parameters),
        )
        failures += _failures_of_cases(operation, f"coverage, {mode.value}", itertools.islice(coverage, examples))
        strategy = operation.as_strategy(mode, auth_storage=auth, path_parameters=path_parameters or None)

        @hypothesis.settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(HealthCheck))
        @hypothesis.given(case=strategy)
        def conforms(case):
            case.call_and_validate(checks=CHECKS, environ_base=A_CLIENT)

        try:
            conforms()
        except (Exception, BaseExceptionGroup) as error:
            failures.append(f"{operation.label} (fuzzing, {mode.value}):\n{error}")
    return failures


def _failures_of_cases(operation, phase: str, cases) -> list[str]:
    for case in cases:
        try:
            case.call_and_validate(checks=CHECKS, environ_base=A_CLIENT)
        except (Exception, BaseExceptionGroup) as error:
            return [f"{operation.label} ({phase}):\n{error}"]
    return []


@pytest.mark.parametrize("role", ROLES)
def test_the_api(api_schema, world, role):  # noqa: F811 — the fixture imported above
    user = world.users[role]
    if user is not None:
        _authenticated_as(api_schema, Token.objects.get_or_create(user=user)[0].key)
    _every_operation_conforms(api_schema, world.objects, role)


def test_every_check_of_schemathesis_runs():
    """``--checks all``: the registry's checks, the ones about authentication and methods included."""
    names = {check.__name__ for check in CHECKS}
    assert {"not_a_server_error", "response_schema_conformance", "negative_data_rejection", "ignored_auth",
            "unsupported_method", "allow_header_conformance", "use_after_free", "object_level_authorization"} <= names
