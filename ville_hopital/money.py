"""Money is Decimal euros, rounded one way everywhere: to the cent, half up (as invoices are)."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.utils.formats import number_format

CENT = Decimal("0.01")


def round_eur(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def floor_eur(amount: Decimal) -> Decimal:
    """Round a *ceiling* down, so that a pay equal to the displayed cap is never above the legal one."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_DOWN)


def format_amount(value: Decimal | int | None, *, currency: bool = True) -> str:
    """An amount as the active language writes it: « 1 234,50 € » in French, « 1,234.50 € » in English.

    The one formatter of amounts for pages, contracts, emails, the calendar feed and error messages,
    so that no message shows « 648.00 € » to a French reader. Always two decimals (cents) and
    grouped thousands, whatever USE_THOUSAND_SEPARATOR says: an amount is read, not parsed back.
    """
    if value is None:
        return ""
    if isinstance(value, int):
        value = Decimal(value)
    text = number_format(round_eur(value), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{text} €" if currency else text
