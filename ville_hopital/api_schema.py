"""The OpenAPI document (``/api/schema/``) states the errors a client meets, not only the success.

drf-spectacular documents each operation's 200; the answers every client also gets are added here,
from what the operation is: 400 when it reads parameters or a body (a validation error, a malformed
body, a control character refused by ``input_hygiene``), 403 when it needs a signed-in person (DRF
answers 403, not 401: the session comes first among the authentication classes; 401 is an integration
token refused, ``establishments.authentication``), 404 when its path
names an object, 415 when it reads a body (one of another type); an operation whose handler is
``ville_hopital.idempotency.idempotent`` states the ``Idempotency-Key`` header and its 409; a body
that refuses unknown fields (``api_serializers.StrictSerializer``) states ``additionalProperties: false``.
Each is JSON: ``{"detail": "…"}``
or, for a validation error, ``{"field": ["…"]}``. A text query parameter states, as a pattern, the
characters ``input_hygiene`` refuses. Checked against the running API by
``tests/integration/test_api_schemathesis.py``.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import AllowAny

from ville_hopital.idempotency import HEADER as IDEMPOTENCY_HEADER
from ville_hopital.idempotency import HEADER_DESCRIPTION as IDEMPOTENCY_DESCRIPTION
from ville_hopital.input_hygiene import FORBIDDEN_CHARACTERS

#: DRF's error bodies: ``{"detail": "message"}``, or a list of messages per field.
ERROR_BODY = {
    "type": "object",
    # An object for the errors of a list's items or a nested body: {"shifts": {"12": {"pay": ["…"]}}}.
    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}},
                                       {"type": "object"}]},
}

#: A text query parameter holds no control character but tab, LF and CR (``input_hygiene``, 400 otherwise).
CLEAN_TEXT = f"^[^{FORBIDDEN_CHARACTERS.pattern[1:-1]}]*$"


def _clean_text_everywhere(schema: dict) -> None:
    """Every free text of a body holds no control character (``input_hygiene`` refuses it: 400)."""
    if schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(schema):
        schema["pattern"] = CLEAN_TEXT
    for child in (*schema.get("properties", {}).values(), schema.get("items"), schema.get("additionalProperties")):
        if isinstance(child, dict):
            _clean_text_everywhere(child)


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}}


class ApiSchema(AutoSchema):
    def _map_basic_serializer(self, serializer, direction):
        """A serializer refusing unknown fields (``StrictSerializer``) says so: ``additionalProperties: false``."""
        schema = super()._map_basic_serializer(serializer, direction)
        if getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
            _clean_text_everywhere(schema)
        return schema

    def get_operation(self, *args, **kwargs) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        if getattr(getattr(self.view, self.method.lower(), None), "idempotent", False):
            operation.setdefault("parameters", []).append({
                "in": "header", "name": IDEMPOTENCY_HEADER, "required": False, "description": IDEMPOTENCY_DESCRIPTION,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            })
            operation["responses"].setdefault("409", error_response(
                "The Idempotency-Key was already used with another path or body (the message says which)."))
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
