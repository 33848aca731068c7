"""Reads of the legal tables: the pay cap of a shift and the contract route of a pairing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.utils.formats import number_format

from reference.models import CapBasis, ContractRoute, EstablishmentType, PayCap, Profession
from ville_hopital.money import CENT, floor_eur, format_amount

HOURS_PER_DAY = Decimal(24)


@dataclass(frozen=True)
class ShiftCap:
    """The ceiling for one shift, and how it was computed (shown to HR and printed in contracts)."""

    amount: Decimal
    cap: PayCap
    overseas: bool
    hours: Decimal

    @property
    def explanation(self) -> str:
        unit = self.cap.overseas_amount if self.overseas and self.cap.overseas_amount else self.cap.amount
        basis = "24 h" if self.cap.basis == CapBasis.PER_24H else "h"
        # Hours without trailing zeros (« 7,5 h », « 12 h »); normalize() would write 10 as 1E+1.
        hours = number_format(Decimal(f"{self.hours.quantize(CENT):f}".rstrip("0").rstrip(".")), use_l10n=True)
        return f"{format_amount(unit)}/{basis} × {hours} h ({self.cap.legal_reference}) = {format_amount(self.amount)}"


def pay_cap_for_shift(
    *,
    profession: Profession,
    skill_codes: Iterable[str],
    establishment_type: EstablishmentType,
    on: date,
    hours: Decimal,
    overseas: bool,
) -> ShiftCap | None:
    """The cap in force on ``on`` for a shift of ``hours``; None when no cap applies.

    A shift that requires a specialty with its own, higher cap (IBODE, IADE) uses that one.
    """
    if not establishment_type.pay_cap_applies:
        return None
    caps = (
        PayCap.objects.filter(profession=profession, valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .filter(Q(skill__isnull=True) | Q(skill__in=list(skill_codes)))
        .order_by("-valid_from")
    )
    best = max(caps, key=lambda c: (c.skill_id is not None, c.amount), default=None)
    if best is None:
        return None
    unit = best.overseas_amount if overseas and best.overseas_amount is not None else best.amount
    # Multiply before dividing: 2,681 € × 24 h / 24 must give back exactly 2,681 €.
    amount = unit * hours / HOURS_PER_DAY if best.basis == CapBasis.PER_24H else unit * hours
    return ShiftCap(amount=floor_eur(amount), cap=best, overseas=overseas, hours=hours)


def contract_route_for(*, profession: Profession, establishment_type: EstablishmentType) -> ContractRoute:
    """Every profession × type pair has a row (the migration writes the full table)."""
    return ContractRoute.objects.get(profession=profession, establishment_type=establishment_type)
