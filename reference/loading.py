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
    load_english_labels(apps)
    load_feminine_labels(apps)
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


def load_english_labels(apps) -> None:
    """Fills ``label_en`` from data.ENGLISH_LABELS (also run alone by the migration adding the column)."""
    for model_name, labels in data.ENGLISH_LABELS.items():
        model = apps.get_model("reference", model_name)
        if not any(field.name == "label_en" for field in model._meta.fields):
            return  # migration 0002's historical models predate the column; 0003 fills it
        for code, label_en in labels.items():
            model.objects.filter(code=code).update(label_en=label_en)


def load_feminine_labels(apps) -> None:
    """Fills ``Profession.label_feminine`` from data.FEMININE_LABELS (also run alone by the migration
    adding the column)."""
    Profession = apps.get_model("reference", "Profession")
    if not any(field.name == "label_feminine" for field in Profession._meta.fields):
        return  # the historical models of migrations 0002-0003 predate the column; 0004 fills it
    for code, label in data.FEMININE_LABELS.items():
        Profession.objects.filter(code=code).update(label_feminine=label)
