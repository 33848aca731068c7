"""``{{ value|amount }}``: an amount in euros in the active language (``ville_hopital.money.format_amount``)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from ville_hopital.money import format_amount

register = template.Library()


@register.filter
def amount(value: Decimal | int | None) -> str:
    return format_amount(value)


@register.filter
def amount_number(value: Decimal | int | None) -> str:
    """The figure alone, for a column whose header already says « € »."""
    return format_amount(value, currency=False)
