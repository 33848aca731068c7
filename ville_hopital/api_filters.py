"""Filters of the API's lists (django-filter) that never reach the database with a value it refuses:
an id past PostgreSQL's integer range, or a date-time whose offset PostgreSQL cannot store (it allows
±15:59; ISO 8601 up to ±23:59) — both answered 500 before; now a 400 naming the parameter (the date), or no row (the id). A
parameter given empty is a 400 too (``StrictFilterSet``)."""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from ville_hopital.input_hygiene import LARGEST_INT


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    """An id: a whole number; one no row can have (below 1, past PostgreSQL's integers) matches nothing."""

    field_class = forms.IntegerField

    def filter(self, qs, value):
        if value is not None and not 1 <= value <= LARGEST_INT:
            return qs.none()
        return super().filter(qs, value)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time with its offset, read as the same instant in UTC."""

    default_error_messages = {"invalid": _("Une date et heure ISO 8601 (ex. 2027-01-05T08:00:00+01:00).")}

    def to_python(self, value) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # the year 1 with a positive offset: before any representable instant
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class DateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class StrictFilterSet(filters.FilterSet):
    """A parameter given empty (``?state=``, ``?unit=``) is refused, as the schema's types say, instead
    of being read as "no filter" (free text aside: empty is a text)."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, declared in self.filters.items():
            if isinstance(declared, filters.CharFilter):  # free text: empty is a value like another
                continue
            if name in self.data and self.data.get(name) == "":
                self.form.add_error(name, _("Une valeur est attendue."))
                valid = False
        return valid


class BooleanWordFilter(filters.ChoiceFilter):
    """``true``/``false`` (or ``1``/``0``); another word is a 400 naming the parameter. A choice, not
    django-filter's ``BooleanFilter``, which reads an unknown word as "no filter". ``is_true`` reads it."""

    WORDS = ("true", "false", "1", "0")

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("choices", [(word, word) for word in self.WORDS])
        super().__init__(*args, **kwargs)

    @staticmethod
    def is_true(value: str | None) -> bool:
        return value in ("true", "1")
