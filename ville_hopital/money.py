"""Money is Decimal euros, rounded one way everywhere: to the cent, half up (as invoices are)."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

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
