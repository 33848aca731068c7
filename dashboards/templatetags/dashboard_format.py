"""Formatting of dashboard cells (French number format: grouped thousands, decimal comma)."""

from __future__ import annotations

from django import template
from django.utils.formats import date_format, number_format

register = template.Library()


@register.filter
def cell(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "pct":
        return f"{number_format(value * 100, 0, use_l10n=True)} %"
    if kind == "dec1":
        return number_format(value, 1, use_l10n=True, force_grouping=True)
    if kind == "dec2":
        return number_format(value, 2, use_l10n=True, force_grouping=True)
    if kind == "int":
        return number_format(value, 0, use_l10n=True, force_grouping=True)
    if kind == "date":
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


@register.filter
def kind_class(kind: str) -> str:
    return "" if kind == "text" else "num"
