"""Formatting of dashboard figures in templates (the same rules as the tables: ``tables.format_cell``)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from dashboards.tables import format_cell

register = template.Library()


@register.filter
def cell(value, kind: str) -> str:
    return format_cell(value, kind)


@register.filter
def kind_class(kind: str) -> str:
    return "" if kind == "text" else "num"


@register.filter
def select_options(bound_field) -> SafeString:
    """The ``<option>`` list of a select, built in one pass: Django's widget renders one template per
    option, which costs ~0.5 ms each on a national list of 101 départements."""
    current = str(bound_field.value() or "")
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, mark_safe(" selected") if str(value) == current else "", label)
         for value, label in bound_field.field.choices),
    )
