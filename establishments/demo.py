"""Demo establishments in Occitanie (Lozère, Hérault, Aveyron, Gard): sites, units, shifts.

Twelve establishments per unit of ``ctx.size`` — real communes, FINESS numbers generated valid
(Luhn key), verified by the demo platform staff — each with units and their practical
information, and shifts over the next 30 days (day and night, some urgent, pay under the legal
caps, two recurring series). CH de Mende, CH de Florac and CH de Marvejols share one FINESS
juridique (the GHT de la Lozère) so pooling can be tried. Everything goes through the services;
re-running does not duplicate (an establishment that already has shifts gets no new ones).

Logins (printed by ``seed_demo``): ``rh@demo.ville-hopital.fr`` (admin of CH de Mende, HR of
CH de Florac: the switcher) and ``lecture@demo.ville-hopital.fr`` (viewer of CH de Mende).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils import timezone

from establishments.models import Establishment, MemberRole, Membership, Shift, Unit
from establishments.services import (
    SHIFT_TEMPLATES,
    ShiftSpec,
    establishment_register,
    establishment_verify,
    shift_post,
    shift_series_post,
    shift_times,
    unit_create,
)
from reference.models import EstablishmentType, Profession, Skill
from reference.selectors import contract_route_for, pay_cap_for_shift
from territories.models import Commune
from ville_hopital.demo import demo_user
from ville_hopital.identifiers import luhn_check_digit

HR_EMAIL = "rh@demo.ville-hopital.fr"
VIEWER_EMAIL = "lecture@demo.ville-hopital.fr"
STAFF_EMAIL = "admin@demo.ville-hopital.fr"
HORIZON_DAYS = 30


def finess(payload8: str) -> str:
    return payload8 + luhn_check_digit(payload8)


@dataclass(frozen=True)
class Site:
    name: str
    type: str
    commune: str
    address: str
    legal: str | None = None  # shared FINESS juridique payload (a GHT), else the site's own entity


SITES = [
    Site("CH de Mende", "CH", "48095", "2 avenue du 8 Mai 1945", legal="48000001"),
    Site("CH de Florac", "CH", "48061", "Route de Saint-Jean-du-Gard", legal="48000001"),
    Site("CH de Marvejols", "CH", "48092", "Avenue du Docteur Roussel", legal="48000001"),
    Site("CHU de Montpellier", "CHU", "34172", "191 avenue du Doyen Gaston Giraud"),
    Site("CHU de Nîmes", "CHU", "30189", "Place du Professeur Robert Debré"),
    Site("CH de Rodez Jacques Puel", "CH", "12202", "Avenue de l'Hôpital"),
    Site("CH de Millau", "CH", "12145", "265 boulevard Achille Souques"),
    Site("CH de Béziers", "CH", "34032", "2 rue Valentin Haüy"),
    Site("Institut Saint-Pierre", "ESPIC", "34192", "371 avenue de l'Évêché de Maguelone"),
    Site("Clinique du Millénaire", "CLINIQUE", "34172", "220 boulevard Pénélope"),
    Site("EHPAD La Margeride", "EHPAD", "48140", "Rue des Écoles"),
    Site("Médicobus de Lozère", "MOBILE", "48095", "Hôtel du Département, rue de la Rovère"),
]
#: Where the Médicobus parks, in turn.
MOBILE_TOUR = ["48080", "48090", "48096", "48198", "48061", "48140", "48092"]
EXTRA_COMMUNES = {"48": ["48080", "48090"], "34": ["34032", "34192"], "12": ["12300", "12145"], "30": ["30007", "30258"]}

# name, specialty, practical information
UNITS = {
    "CHU": [
        ("Urgences adultes", "SM59"), ("Réanimation médicale", "SM02"), ("Gériatrie aiguë", "SM18"),
        ("Pédiatrie", "SM40"), ("Bloc opératoire", "SM02"),
    ],
    "CH": [("Urgences", "SM59"), ("Médecine polyvalente", "SM54"), ("Gériatrie", "SM18"), ("Maternité", "SM20")],
    "ESPIC": [("Pédiatrie", "SM40"), ("Soins de suite", "SM54")],
    "CLINIQUE": [("Bloc opératoire", "SM02"), ("Chirurgie ambulatoire", None)],
    "EHPAD": [("Unité de vie", "SM18"), ("Unité protégée Alzheimer", "SM18")],
    "MOBILE": [("Consultations itinérantes", "SM54")],
}
# Which professions each unit looks for (TRE_G15 codes).
UNIT_PROFESSIONS = {
    "Urgences adultes": ["10", "60"], "Urgences": ["10", "60", "35"], "Réanimation médicale": ["10", "60"],
    "Gériatrie aiguë": ["60", "35", "70"], "Gériatrie": ["60", "35"], "Pédiatrie": ["60", "10"],
    "Bloc opératoire": ["60", "10"], "Médecine polyvalente": ["10", "60", "98"], "Maternité": ["50", "60"],
    "Soins de suite": ["70", "60"], "Chirurgie ambulatoire": ["60"], "Unité de vie": ["60"],
    "Unité protégée Alzheimer": ["60", "69"], "Consultations itinérantes": ["10", "60"],
}
PHONES = ["04 66 49 49 49", "04 67 33 67 33", "04 65 55 20 00", "04 66 68 68 68", "04 65 59 30 00"]
# Hourly pay where no legal cap applies (private sector, nursing assistants), in euros.
UNCAPPED_HOURLY = {"10": "110", "21": "95", "35": "27", "40": "100", "50": "60", "60": "48", "69": "48", "70": "50", "98": "45"}


def _practical(rng, unit_name: str, site: Site) -> dict[str, str]:
    building = rng.choice(["A", "B", "C", "principal"])
    return {
        "where_to_go": f"Bâtiment {building}, se présenter à l'accueil de l'unité « {unit_name} » 15 minutes avant.",
        "contact": f"Cadre de santé : {rng.choice(PHONES)}",
        "parking": rng.choice([
            "Parking du personnel à l'arrière du bâtiment, badge remis à l'accueil.",
            "Parking visiteurs gratuit, places réservées au personnel au niveau -1.",
            "Stationnement libre dans la rue ; garage à vélos couvert.",
        ]),
        "patient_record_access": rng.choice([
            "Identifiants temporaires du dossier patient informatisé remis par le cadre le premier jour.",
            "Carte CPS acceptée ; à défaut, compte provisoire créé par l'informatique (poste 4242).",
        ]),
    }


def _sites(ctx) -> list[Site]:
    sites = list(SITES)
    for extra in range(1, ctx.size):
        for index in range(len(SITES)):
            dep = ("48", "34", "12", "30")[index % 4]
            code = ctx.rng.choice(EXTRA_COMMUNES[dep])
            kind = ("EHPAD", "CLINIQUE", "CH")[index % 3]
            label = {"EHPAD": "EHPAD", "CLINIQUE": "Clinique", "CH": "Hôpital local"}[kind]
            sites.append(Site(f"{label} n° {extra}-{index + 1}", kind, code, f"{index + 1} rue de l'Hôpital"))
    return sites


def _pay(rng, *, profession, skills, etype, starts_at, ends_at, overseas=False) -> Decimal:
    hours = Decimal((ends_at - starts_at).total_seconds()) / Decimal(3600)
    cap = pay_cap_for_shift(
        profession=profession, skill_codes=[s.code for s in skills], establishment_type=etype,
        on=timezone.localdate(starts_at), hours=hours, overseas=overseas,
    )
    if cap is not None:
        ratio = Decimal(rng.randint(82, 100)) / 100
        return (cap.amount * ratio).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return (Decimal(UNCAPPED_HOURLY[profession.code]) * hours).quantize(Decimal("1"))


def _establishment(ctx, index: int, site: Site, admin, staff) -> Establishment:
    dep = site.commune[:2]
    geo = finess(f"{dep}{700000 + index * 37:06d}")
    legal = finess(site.legal) if site.legal else finess(f"{dep}{100000 + index * 41:06d}")
    establishment = Establishment.objects.filter(finess_geo=geo).first()
    if establishment is None:
        establishment = establishment_register(
            actor=admin, finess_geo=geo, finess_legal=legal, name=site.name,
            type=EstablishmentType.objects.get(code=site.type), commune=Commune.objects.get(code_insee=site.commune),
            address=site.address,
        )
    Membership.objects.get_or_create(user=admin, establishment=establishment, defaults={"role": MemberRole.ADMIN})
    return establishment_verify(actor=staff, establishment=establishment)


def _units(ctx, establishment: Establishment, site: Site, admin) -> list[Unit]:
    units = []
    for name, specialty in UNITS[site.type]:
        unit = Unit.objects.filter(establishment=establishment, name=name).first()
        if unit is None:
            unit = unit_create(
                actor=admin, establishment=establishment, name=name,
                specialty=Skill.objects.filter(code=specialty).first() if specialty else None,
                **_practical(ctx.rng, name, site),
            )
        units.append(unit)
    return units


def _post_shifts(ctx, establishment: Establishment, units: list[Unit], admin, count: int) -> None:
    rng = ctx.rng
    professions = {p.code: p for p in Profession.objects.all()}
    etype = establishment.type
    today = timezone.localdate()
    tour = list(Commune.objects.filter(code_insee__in=MOBILE_TOUR).select_related("region"))
    for _ in range(count):
        unit = rng.choice(units)
        candidates = [
            c for c in UNIT_PROFESSIONS[unit.name]
            if contract_route_for(profession=professions[c], establishment_type=etype).is_allowed
        ]
        profession = professions[rng.choice(candidates)]
        skills = []
        if unit.specialty_id and unit.specialty.profession_id == profession.code and rng.random() < 0.6:
            skills = [unit.specialty]
        if profession.code == "60" and unit.name.startswith("Bloc") and rng.random() < 0.5:
            skills = [Skill.objects.get(code=rng.choice(["SI06", "SI07"]))]
        template = rng.choice(["day", "day", "night"])
        day = today + timedelta(days=rng.randint(1, HORIZON_DAYS))
        starts_at, ends_at = shift_times(day, *SHIFT_TEMPLATES[template])
        location = rng.choice(tour) if etype.is_mobile else None
        spec = ShiftSpec(
            unit=unit, profession=profession, required_skills=skills, positions=rng.choice([1, 1, 1, 2, 3]),
            urgency=rng.randint(1, 5), urgent=rng.random() < 0.12, pay=_pay(
                rng, profession=profession, skills=skills, etype=etype, starts_at=starts_at, ends_at=ends_at
            ),
            location=location,
        )
        shift_post(actor=admin, spec=spec, starts_at=starts_at, ends_at=ends_at)


def _series(establishment: Establishment, unit: Unit, admin, *, profession: str, weekdays, weeks, template, pay_ratio):
    profession = Profession.objects.get(code=profession)
    start, end = SHIFT_TEMPLATES[template]
    first_day = timezone.localdate() + timedelta(days=2)
    starts_at, ends_at = shift_times(first_day, start, end)
    cap = pay_cap_for_shift(
        profession=profession, skill_codes=[], establishment_type=establishment.type, on=first_day,
        hours=Decimal((ends_at - starts_at).total_seconds()) / Decimal(3600), overseas=False,
    )
    pay = (cap.amount * pay_ratio).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    shift_series_post(
        actor=admin, spec=ShiftSpec(unit=unit, profession=profession, positions=1, urgency=3, urgent=False, pay=pay),
        first_day=first_day, weekdays=weekdays, weeks=weeks, start=start, end=end,
    )


@transaction.atomic
def seed(ctx) -> None:
    staff = demo_user(STAFF_EMAIL, "Camille", "Admin", is_staff=True)
    hr = demo_user(HR_EMAIL, "Nathalie", "Pradal")
    viewer = demo_user(VIEWER_EMAIL, "Julien", "Bonnet")
    for index, site in enumerate(_sites(ctx)):
        if index == 0:
            admin = hr
        else:
            plain = unicodedata.normalize("NFKD", site.name.lower()).encode("ascii", "ignore").decode()
            slug = "".join(c for c in plain if c.isalnum())[:24]
            admin = demo_user(f"rh.{slug}@demo.ville-hopital.fr", "RH", site.name[:30])
        establishment = _establishment(ctx, index, site, admin, staff)
        units = _units(ctx, establishment, site, admin)
        if index == 0:
            Membership.objects.get_or_create(user=viewer, establishment=establishment, defaults={"role": MemberRole.VIEWER})
        if index == 1:  # the HR of Mende also works for Florac: the switcher shows both
            Membership.objects.get_or_create(user=hr, establishment=establishment, defaults={"role": MemberRole.HR})
        if Shift.objects.filter(establishment=establishment).exists():
            continue
        _post_shifts(ctx, establishment, units, admin, count=ctx.rng.randint(8, 14))
        if site.name == "CH de Mende":
            _series(establishment, units[0], admin, profession="60", weekdays=[5], weeks=4, template="night",
                    pay_ratio=Decimal("0.9"))
        if site.name == "CHU de Montpellier":
            _series(establishment, units[0], admin, profession="10", weekdays=[0, 2], weeks=4, template="day",
                    pay_ratio=Decimal("0.95"))
    ctx.logins.append(("RH établissement (CH de Mende, admin)", HR_EMAIL))
    ctx.logins.append(("Lecteur établissement (CH de Mende)", VIEWER_EMAIL))
