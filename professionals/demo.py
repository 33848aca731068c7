"""Demo step: ~200 × size freelance professionals in Occitanie (Lozère, Hérault, Aveyron, Gard),
their availability for this month and the next, and a known login with proposals in the inbox.

Every kind of professional is there: notices of 2 h to 48 h, about a third with a verified mobile
taking urgent offers by SMS (some also at night for an imminent shift), the others without. On
top, "on call" nurses (``STANDBY_PER_COMMUNE`` in each commune with a demo establishment): 2 h
notice, insured, urgent and night SMS on, available tonight and tomorrow night — so that an urgent
nurse night posted for this evening finds someone. Their two nights are declared again on every
run (``make run`` seeds each time), so "tonight" is always the day of the run. Demo mobiles are in
ARCEP's range kept for fiction (06 39 98 xx xx): no real person gets a demo SMS.

Civilities are a mix, as people answer the optional question: Madame or Monsieur after the first
name, and « not stated » for one professional in five and for an epicene first name (Camille), so
that « Infirmière », « Infirmier » and the plain label all show (``demo_civility``; not drawn from
``ctx.rng``, which keeps the rest of the demo as it was).

Everything goes through the services (profile, availability, proposals); deterministic from
``ctx.rng``; idempotent: a professional who already exists is left as they are, and the known
login receives proposals only once. Proposals need shifts: they are made only when the
establishments step ran before this one (otherwise the inbox stays empty, and says so).
Insurance attestations are the next step's (``missions.demo``: most, not all, are insured).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import cache

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Civility, User
from establishments.models import Establishment, EstablishmentStatus
from notifications.selectors import sms_choice_for
from notifications.services import phone_verification_confirm, phone_verification_start
from professionals.models import CredentialKind, Notice, Professional, Slot, slot_bounds
from professionals.services import availability_month_save, credential_upload, professional_create
from reference.models import Profession, Skill
from territories.models import Commune
from ville_hopital.demo import DEMO_DEPARTEMENTS, DEMO_PASSWORD, DemoContext, demo_user
from ville_hopital.identifiers import luhn_check_digit
from ville_hopital.months import month_days, month_start, next_month

PROFESSIONALS_PER_SIZE = 200
KNOWN_LOGIN = "pro@demo.ville-hopital.fr"
STANDBY_LOGIN = "garde@demo.ville-hopital.fr"
MENDE = "48095"
#: The notices drawn for the pool (24 h twice: still the most common answer).
NOTICE_MIX = (Notice.H2, Notice.H6, Notice.H12, Notice.H24, Notice.H24, Notice.H48)
SMS_SHARE = 0.35
STANDBY_PER_COMMUNE = 2
STANDBY_INDEX = 900_000  # RPPS payloads of the on-call nurses, away from the pool's
DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

#: profession code → (weight, hourly rate range in €): nurses are most of the freelance workforce.
PROFESSION_MIX = {
    "60": (45, (38, 54)),
    "10": (15, (80, 110)),
    "70": (12, (40, 62)),
    "35": (10, (22, 30)),
    "50": (6, (45, 78)),
    "69": (4, (38, 54)),
    "98": (4, (35, 56)),
    "21": (2, (60, 90)),
    "40": (2, (70, 100)),
}
#: The first names of FIRST_NAMES read as a man's (the others as a woman's, but epicene ones).
MASCULINE_FIRST_NAMES = frozenset({
    "Lucas", "Hugo", "Thomas", "Nicolas", "Julien", "Antoine", "Maxime", "Romain", "Mathieu", "Karim", "Yanis",
    "Florian", "Quentin", "Baptiste",
})
EPICENE_FIRST_NAMES = frozenset({"Camille"})
NOT_STATED_EVERY = 5
FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Laura", "Marie", "Pauline", "Anaïs",
    "Lucas", "Hugo", "Thomas", "Nicolas", "Julien", "Antoine", "Maxime", "Romain", "Mathieu", "Karim", "Yanis",
    "Nadia", "Sofia", "Élodie", "Aurélie", "Céline", "Florian", "Quentin", "Baptiste", "Margaux", "Océane",
]
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
    "Girard", "André", "Mercier", "Blanc", "Guerin", "Boyer", "Garnier", "Chevalier", "François", "Legrand",
    "Gauthier", "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Vidal", "Pujol",
    "Fabre", "Bonnet", "Arnaud", "Teissier", "Bousquet", "Molinier", "Cabanel", "Séguret",
]


@cache
def _password_hash() -> str:
    return make_password(DEMO_PASSWORD)


def demo_civility(first_name: str, index: int) -> str:
    """The civility a demo professional gave: after the first name, or not stated (one in
    ``NOT_STATED_EVERY``, and every epicene first name)."""
    if index % NOT_STATED_EVERY == 0 or first_name in EPICENE_FIRST_NAMES:
        return Civility.NOT_STATED
    return Civility.MONSIEUR if first_name in MASCULINE_FIRST_NAMES else Civility.MADAME


def demo_rpps(index: int) -> str:
    payload = f"1099{index:06d}"
    return payload + luhn_check_digit(payload)


def demo_adeli(index: int, departement: str, profession: str) -> str:
    payload = f"{departement[:2]}{profession[:2]}{index % 10000:04d}"
    return payload + luhn_check_digit(payload)


def seed(ctx: DemoContext) -> None:
    communes = list(
        Commune.objects.filter(departement_id__in=DEMO_DEPARTEMENTS).only("code_insee", "population", "departement_id")
    )
    if not communes:
        return  # geography not loaded: nothing sensible to place people in
    professions = {p.code: p for p in Profession.objects.all()}
    skills_by_profession: dict[str, list[Skill]] = {}
    for skill in Skill.objects.all():
        skills_by_profession.setdefault(skill.profession_id, []).append(skill)
    weights = [max(c.population, 50) ** 0.7 for c in communes]
    codes = list(PROFESSION_MIX)
    mix = [PROFESSION_MIX[c][0] for c in codes]
    for index in range(1, PROFESSIONALS_PER_SIZE * ctx.size + 1):
        rng = ctx.rng
        # Draw everything first, so the sequence does not depend on what already exists.
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        code = rng.choices(codes, weights=mix)[0]
        commune = rng.choices(communes, weights=weights)[0]
        low, high = PROFESSION_MIX[code][1]
        profile = {
            "radius_km": rng.choice((15, 20, 30, 40, 50, 60, 80)),
            "max_missions_per_month": rng.randint(2, 8),
            "min_notice_hours": int(rng.choice(NOTICE_MIX)),
            "expected_hourly_rate": Decimal(rng.randint(low, high)),
        }
        if rng.random() < SMS_SHARE:
            night = rng.random() < 0.5 and profile["min_notice_hours"] <= Notice.H6
            profile.update(phone=demo_mobile(index), urgent_sms=True, night_sms=night)
        skill_pool = skills_by_profession.get(code, [])
        skill_count = rng.choice((0, 0, 1, 1, 2)) if code == "10" else rng.choice((0, 0, 0, 0, 1))
        skills = rng.sample(skill_pool, min(skill_count, len(skill_pool)))
        pattern = _availability_pattern(rng)
        email = f"pro{index:04d}@demo.ville-hopital.fr"
        if Professional.objects.filter(user__email=email).exists():
            continue
        _create(
            ctx, email=email, first=first, last=last, profession=professions[code], commune=commune,
            skills=skills, index=index, profile=profile, pattern=pattern,
        )
    known = _known_login(ctx, professions["60"])
    ctx.logins.append((f"{known.profession_label} (Mende, préavis 24 h)", KNOWN_LOGIN))
    standby = _standby_nurses(ctx, professions["60"])
    label = standby.profession_label if standby else professions["60"].label
    ctx.logins.append((f"{label} de garde (Mende, préavis 2 h, SMS)", STANDBY_LOGIN))


def demo_mobile(index: int) -> str:
    return f"06 39 98 {index % 10000 // 100:02d} {index % 100:02d}"


def _verify_phone(user: User) -> None:
    """The demo confirms its own code, through the same services as the verification page (no SMS)."""
    choice = sms_choice_for(user)
    if choice.phone and not choice.number:
        phone_verification_confirm(actor=user, code=phone_verification_start(actor=user))


def _standby_nurses(ctx: DemoContext, nurse: Profession) -> Professional | None:
    """``STANDBY_PER_COMMUNE`` on-call nurses in each commune with a demo establishment (see the
    module's docstring); the existing ones only get tonight and tomorrow night declared again.
    Returns the one of ``STANDBY_LOGIN`` (none without a demo establishment in Mende)."""
    communes = list(
        Commune.objects.filter(
            code_insee__in=Establishment.objects.filter(
                status=EstablishmentStatus.VERIFIED, commune__departement_id__in=DEMO_DEPARTEMENTS
            ).values("commune")
        ).order_by("code_insee")
    )
    today = timezone.localdate()
    nights = {(today, Slot.NIGHT), (today + timedelta(days=1), Slot.NIGHT)}
    number = 0
    login = None
    for commune in communes:
        for rank in range(1, STANDBY_PER_COMMUNE + 1):
            number += 1
            first, last = ctx.rng.choice(FIRST_NAMES), ctx.rng.choice(LAST_NAMES)  # drawn for all: same sequence
            email = (
                STANDBY_LOGIN if (commune.code_insee, rank) == (MENDE, 1)
                else f"garde.{commune.code_insee}.{rank}@demo.ville-hopital.fr"
            )
            professional = Professional.objects.filter(user__email=email).first() or _standby_create(
                email=email, first=first, last=last, nurse=nurse, commune=commune, number=number
            )
            _declare_only(professional, nights)
            if email == STANDBY_LOGIN:
                login = professional
    return login


@transaction.atomic
def _standby_create(*, email, first, last, nurse: Profession, commune: Commune, number: int) -> Professional:
    if not User.objects.filter(email=email).exists():
        User.objects.create(email=email, first_name=first, last_name=last, password=_password_hash())
    user = demo_user(email, first, last)
    professional = professional_create(
        actor=user, profession=nurse, home_commune=commune, rpps=demo_rpps(STANDBY_INDEX + number),
        radius_km=40, max_missions_per_month=8, min_notice_hours=Notice.H2, expected_hourly_rate=Decimal(50),
        phone=demo_mobile(5000 + number), urgent_sms=True, night_sms=True, civility=demo_civility(first, number),
    )
    _verify_phone(user)
    credential_upload(
        actor=user, professional=professional, kind=CredentialKind.INSURANCE,
        file=SimpleUploadedFile("attestation-rcp.pdf", DEMO_PDF, content_type="application/pdf"),
        expires_on=timezone.localdate() + timedelta(days=365),
    )
    return professional


def _declare_only(professional: Professional, slots: set) -> None:
    """Make ``slots`` (those not started yet) the professional's declared slots in their months."""
    now = timezone.now()
    wanted = {key for key in slots if slot_bounds(*key)[0] > now}
    for year, month in sorted({(day.year, day.month) for day, _slot in slots}):
        availability_month_save(
            actor=professional.user, professional=professional, year=year, month=month,
            slots={key for key in wanted if (key[0].year, key[0].month) == (year, month)},
        )


def _availability_pattern(rng) -> dict:
    """A weekly habit (some weekdays, day or night) plus a few one-off slots."""
    return {
        "weekdays": rng.sample(range(7), rng.randint(1, 3)),
        "slot": rng.choice((Slot.DAY, Slot.DAY, Slot.NIGHT)),
        "extra": [(rng.randint(1, 28), rng.choice((Slot.DAY, Slot.NIGHT))) for _ in range(rng.randint(0, 3))],
    }


def _declare(professional: Professional, pattern: dict) -> None:
    today = timezone.localdate()
    now = timezone.now()
    for first in (month_start(today), next_month(today)):
        days = month_days(first)
        wanted = {(d, pattern["slot"]) for d in days if d.weekday() in pattern["weekdays"]}
        wanted |= {(days[min(n, len(days)) - 1], slot) for n, slot in pattern["extra"]}
        wanted = {k for k in wanted if slot_bounds(*k)[0] > now}
        availability_month_save(
            actor=professional.user, professional=professional, year=first.year, month=first.month, slots=wanted
        )


@transaction.atomic
def _create(ctx: DemoContext, *, email, first, last, profession, commune, skills, index, profile, pattern) -> None:
    # Every demo account shares one password: hash it once, not 200 times (PBKDF2 is slow by design);
    # demo_user then finds the account and marks its address verified.
    if not User.objects.filter(email=email).exists():
        User.objects.create(email=email, first_name=first, last_name=last, password=_password_hash())
    user = demo_user(email, first, last)
    numbers = (
        {"adeli": demo_adeli(index, commune.departement_id, profession.code)}
        if profession.uses_adeli
        else {"rpps": demo_rpps(index)}
    )
    professional = professional_create(
        actor=user, profession=profession, home_commune=commune, skills=skills, **numbers, **profile,
        civility=demo_civility(first, index),
    )
    _verify_phone(user)
    _declare(professional, pattern)


@transaction.atomic
def _known_login(ctx: DemoContext, nurse: Profession) -> Professional:
    user = demo_user(KNOWN_LOGIN, "Julie", "Teissier")
    existing = Professional.objects.filter(user=user).first()
    if existing:
        return existing
    professional = professional_create(
        actor=user, profession=nurse, home_commune=Commune.objects.get(code_insee=MENDE), rpps=demo_rpps(0),
        radius_km=80, max_missions_per_month=6, min_notice_hours=24, expected_hourly_rate=Decimal(48),
        civility=Civility.MADAME,  # « Infirmière » on her pages, her contracts and her messages
    )
    _declare(professional, {"weekdays": [5, 6], "slot": Slot.DAY, "extra": [(3, Slot.NIGHT), (17, Slot.NIGHT)]})
    return professional
