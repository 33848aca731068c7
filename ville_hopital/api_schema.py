"""The OpenAPI document (``/api/schema/``) states the errors a client meets, not only the success.

drf-spectacular documents each operation's 200; the answers every client also gets are added here,
from what the operation is: 400 when it reads parameters or a body (a validation error, a malformed
body, a control character refused by ``input_hygiene``), 403 when it needs a signed-in person (DRF
answers 403, not 401: the session comes first among the authentication classes; 401 is an integration
token refused, ``establishments.authentication``), 404 when its path
names an object, 415 when it reads a body (one of another type). Each is JSON: ``{"detail": "…"}``
or, for a validation error, ``{"field": ["…"]}``. A text query parameter states, as a pattern, the
characters ``input_hygiene`` refuses. Checked against the running API by
``tests/integration/test_api_schemathesis.py``.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import AllowAny

from ville_hopital.input_hygiene import FORBIDDEN_CHARACTERS

#: DRF's error bodies: ``{"detail": "message"}``, or a list of messages per field.
ERROR_BODY = {
    "type": "object",
    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
}

#: A text query parameter holds no control character but tab, LF and CR (``input_hygiene``, 400 otherwise).
CLEAN_TEXT = f"^[^{FORBIDDEN_CHARACTERS.pattern[1:-1]}]*$"


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}}


class ApiSchema(AutoSchema):
    def get_operation(self, *args, **kwargs) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(schema):
                schema["pattern"] = CLEAN_TEXT
        responses = operation["responses"]
        if parameters or "requestBody" in operation:
            responses.setdefault("400", error_response("Invalid parameters or body; the message names the field."))
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            responses.setdefault("403", error_response("Not signed in (no or an invalid token), or not allowed."))
            # An establishment's integration token (``Authorization: Bearer vh_it_…``) refused has its own answer.
            responses.setdefault("401", error_response("An integration token unknown, revoked or expired."))
        if any(parameter["in"] == "path" for parameter in parameters):
            responses.setdefault("404", error_response("Not found (or not yours: the same answer)."))
        if "requestBody" in operation:
            responses.setdefault("415", error_response("A body of another type than those listed, or unreadable."))
        return operation
