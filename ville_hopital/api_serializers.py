"""The API's input serializers start here: a field the serializer does not know is refused (400
naming it), never silently dropped — a client's typo (``"positons": 2``) must not post a shift with
the default instead. Serializers only check shapes and types; the services decide."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """A ``Serializer`` that refuses unknown fields: ``{"<field>": ["Champ inconnu."]}`` (the schema
    says ``additionalProperties: false``: ``ville_hopital.api_schema.ApiSchema``)."""

    refuses_unknown_fields = True

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(name) for name in data if name not in known)
            if unknown:
                raise serializers.ValidationError({name: [_("Champ inconnu.")] for name in unknown})
        return super().to_internal_value(data)


class NoFields(StrictSerializer):
    """The body of an action that takes none (accept an offer, mark a mission done): absent or ``{}``;
    any field is refused, naming it, rather than ignored."""


def refuse_any_field(data: Any) -> None:
    NoFields(data=data).is_valid(raise_exception=True)
