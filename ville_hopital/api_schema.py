"""The OpenAPI document (``/api/schema/``) states the errors a client meets, not only the success.

drf-spectacular documents each operation's 200; the answers every client also gets are added here,
from what the operation is: 400 when it reads parameters or a body (a validation error, a malformed
body, a control character refused by ``input_hygiene``), 401 when an authentication class sends a
challenge (``WWW-Authenticate``: an integration token refused, ``establishments.authentication``) and 403 when the operation needs a signed-in person
(DRF answers 403, not 401, while the session comes first among the authentication classes), 404
when its path names an object, 409 when it takes an ``Idempotency-Key`` or acts on an object (a
service refusing a change of state), 415 when it reads a body
(one of another type), 429 when it is throttled. Each is JSON, the one ``Error`` component:
``{"detail": "…"}`` or, for a validation error, ``{"field": ["…"]}``. A text query parameter
states, as a pattern, the characters ``input_hygiene`` refuses.

A body is documented in one media type (JSON, or multipart for an upload): a client generator
given several builds a union of identical types (openapi-python-client's ``NameError: Unset``).
Tags are the first segment after ``/api/v1/`` (``shifts``, ``offers``…): a generated client groups
its modules by them.

Checked by ``tests/foundation/test_api_schema.py`` (every operation named and its errors documented)
and against the running API by ``tests/integration/test_api_schemathesis.py``.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import AllowAny

from ville_hopital.input_hygiene import FORBIDDEN_CHARACTERS

#: DRF's error bodies: ``{"detail": "message"}``, or the messages of each field: a list of texts, or
#: for a nested body the same shape again (``{"slots": [{}, {"day": ["…"]}]}``, ``{"0": {"pay": ["…"]}}``).
ERROR_BODY = {
    "type": "object",
    "additionalProperties": {"oneOf": [
        {"type": "string"},
        {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "object"}]}},
        {"type": "object"},
    ]},
}
#: The component every error response points to (``error_component``).
ERROR_REF = {"$ref": "#/components/schemas/Error"}

#: A text query parameter holds no control character but tab, LF and CR (``input_hygiene``, 400 otherwise).
CLEAN_TEXT = f"^[^{FORBIDDEN_CHARACTERS.pattern[1:-1]}]*$"

API_PREFIX = "/api/v1/"
#: The one body media type an operation documents, first found first chosen.
BODY_MEDIA_TYPES = ("application/json", "multipart/form-data")


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}}


class ApiSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        if self.path.startswith(API_PREFIX):
            return [self.path.removeprefix(API_PREFIX).split("/", 1)[0]]
        return super().get_tags()

    def map_parsers(self) -> list[str]:
        media_types = super().map_parsers()
        return [next((m for m in BODY_MEDIA_TYPES if m in media_types), media_types[0])] if media_types else []

    def get_operation(self, *args, **kwargs) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(schema):
                schema["pattern"] = CLEAN_TEXT
        for status, description in self._error_statuses(operation):
            operation["responses"].setdefault(status, error_response(description))
        return operation

    def _error_statuses(self, operation: dict) -> list[tuple[str, str]]:
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        signed_in = not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        # DRF answers 401 when the first class sends a challenge; a class may also answer 401 itself
        # (an integration token's Bearer, refused): any class with a challenge may give a 401.
        asks_credentials = any(a.authenticate_header(self.view.request) for a in self.view.get_authenticators())
        conditions = (
            (bool(parameters) or has_body, "400", "Invalid parameters or body; the message names the field."),
            (signed_in and asks_credentials, "401", "An invalid or expired token, refused with a challenge."),
            (signed_in, "403", "Not signed in (no or an invalid token), or not allowed."),
            (any(p["in"] == "path" for p in parameters), "404", "Not found (or not yours: the same answer)."),
            (any(p["in"] == "header" and p["name"].lower() == "idempotency-key" for p in parameters), "409",
             "The Idempotency-Key was used with another body."),
            (self.method != "GET" and any(p["in"] == "path" for p in parameters), "409",
             "The object's state does not allow it (already cancelled, answered, closed…)."),
            (has_body, "415", "A body of another type than the one listed, or unreadable."),
            (bool(self.view.get_throttles()), "429", "Too many requests: wait, then try again."),
        )
        return [(status, description) for present, status, description in conditions if present]


def error_component(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: every error body (``ERROR_BODY``, inline where a view
    states it) becomes one ``Error`` component, so a generated client has one error type."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                for content in response.get("content", {}).values():
                    if content.get("schema") == ERROR_BODY:
                        content["schema"] = ERROR_REF
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = {
        **ERROR_BODY, "description": "`{\"detail\": \"message\"}`, or the messages of each field that was refused.",
    }
    return result
