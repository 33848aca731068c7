"""Writes reference.data into the tables; used by the data migration and by tests."""

from __future__ import annotations

from decimal import Decimal

from reference import data


def load_reference_data(apps) -> None:
    """Idempotent upsert of the reference tables. ``apps`` is a migration's app registry (or django.apps)."""
    Profession = apps.get_model("reference", "Profession")
    Skill = apps.get_model("reference", "Skill")
    EstablishmentType = apps.get_model("reference", "EstablishmentType")
    PayCap = apps.get_model("reference", "PayCap")
    ContractRoute = apps.get_model("reference", "ContractRoute")
    for code, short, label, uses_adeli in data.PROFESSIONS:
        Profession.objects.update_or_create(code=code, defaults={"short": short, "label": label, "uses_adeli": uses_adeli})
    for code, label, profession in data.SKILLS:
        Skill.objects.update_or_create(code=code, defaults={"label": label, "profession_id": profession})
    for code, label, sector, mobile in data.ESTABLISHMENT_TYPES:
        EstablishmentType.objects.update_or_create(
            code=code, defaults={"label": label, "sector": sector, "is_mobile": mobile}
        )
    for profession, skill, basis, amount, overseas in data.PAY_CAPS:
        PayCap.objects.update_or_create(
            profession_id=profession,
            skill_id=skill,
            valid_from=data.CAPS_FROM,
            defaults={
                "basis": basis,
                "amount": Decimal(amount),
                "overseas_amount": Decimal(overseas) if overseas else None,
                "legal_reference": data.ARRETE_2025,
            },
        )
    for profession, etype, kind, basis in data.CONTRACT_ROUTES:
        ContractRoute.objects.update_or_create(
            profession_id=profession, establishment_type_id=etype, defaults={"kind": kind, "legal_basis": basis}
        )
