"""Demo step of the ARS dashboards (runs LAST in seed_demo): a year of history, then the aggregates.

DEMO HISTORY, NOT REAL DATA: so that the weekly trend has a shape on a fresh demo, this step adds
a year of *past* shifts and missions (from 365 days before today up to yesterday: the default
period of the pages, the last 30 days and the next 30, must show activity, and the other demo
steps only post shifts from tomorrow on) to the verified establishments of the demo region, worked
by the demo professionals of that region. A professional already booked that day (by another
step) is never booked again by the history. They are written in bulk, directly (history is not a
user action: no proposals, no notifications, no audit rows), deterministically from ``ctx.rng``,
and attached to one ``ShiftSeries`` per establishment whose rule says "Historique de
démonstration", which also makes the step idempotent (a second run adds nothing).

The shape: a winter and a summer peak of demand; rural départements (Lozère, Aveyron) fill less
than Hérault; ~6 % of bookings are cancelled, ~2 % end in a no-show, the rest are done.
Then every aggregate is rebuilt and the availability counts refreshed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from dashboards.services import aggregates_rebuild, availability_refresh
from establishments.models import Establishment, EstablishmentStatus, Shift, ShiftSeries, Unit
from missions.core.models import ACTIVE_MISSION_STATES, CancelledBy, Mission, MissionState
from professionals.models import Professional
from reference.models import ContractRoute, Profession, RouteKind
from reference.selectors import pay_cap_for_shift
from territories.geo import haversine_km
from ville_hopital.demo import DEMO_REGION, DemoContext
from ville_hopital.money import floor_eur

HISTORY_RULE = "Historique de démonstration (tableaux de bord ARS)"
FIRST_DAY_BACK, LAST_DAY_BACK = 365, 1
FILL_BY_DEPARTEMENT = {"48": 0.55, "12": 0.65, "30": 0.75, "34": 0.85}
HOURLY_PAY_WITHOUT_CAP = Decimal("45.00")


def seed(ctx: DemoContext) -> None:
    add_history(ctx)
    aggregates_rebuild()
    availability_refresh()


def _season(day: date) -> float:
    """Demand factor: peaks mid-January and mid-August, trough in spring and autumn."""
    doy = day.timetuple().tm_yday
    return 1 + 0.35 * math.cos(2 * math.pi * (doy - 15) / 182.5)


@transaction.atomic
def add_history(ctx: DemoContext, *, today: date | None = None) -> int:
    """Bulk-create the demo history; returns the number of missions (0 when already there or no data)."""
    rng = ctx.rng
    today = today or timezone.localdate()
    if ShiftSeries.objects.filter(rule=HISTORY_RULE).exists():
        return 0
    estabs = list(
        Establishment.objects.filter(status=EstablishmentStatus.VERIFIED, commune__region_id=DEMO_REGION)
        .select_related("type", "commune")
        .order_by("pk")
    )
    author = User.objects.filter(is_staff=True).order_by("pk").first() or User.objects.order_by("pk").first()
    pros_by_profession: dict[str, list[Professional]] = defaultdict(list)
    for pro in Professional.objects.filter(home_commune__region_id=DEMO_REGION).select_related("home_commune").order_by("pk"):
        pros_by_profession[pro.profession_id].append(pro)
    if not estabs or author is None or not pros_by_profession:
        return 0
    routes = {
        (r.profession_id, r.establishment_type_id): r.kind
        for r in ContractRoute.objects.exclude(kind=RouteKind.FORBIDDEN)
    }
    pay_cache: dict[tuple, Decimal] = {}
    shifts: list[Shift] = []
    plans: list[tuple[int, float]] = []  # (index in shifts, fill probability)
    for estab in estabs:
        professions = sorted(p for p in pros_by_profession if (p, estab.type_id) in routes)
        if not professions:
            continue
        unit = estab.units.order_by("pk").first() or Unit.objects.create(establishment=estab, name="Renfort")
        series = ShiftSeries.objects.create(establishment=estab, rule=HISTORY_RULE, created_by=author)
        fill = FILL_BY_DEPARTEMENT.get(estab.commune.departement_id, 0.7)
        for back in range(FIRST_DAY_BACK, LAST_DAY_BACK - 1, -1):
            day = today - timedelta(days=back)
            if rng.random() > 0.45 * _season(day):
                continue
            night = rng.random() < 0.3
            starts = timezone.make_aware(datetime.combine(day, time(20 if night else 8)))
            hours = 12
            profession = rng.choice(professions)
            shift = Shift(
                establishment=estab, unit=unit, profession_id=profession, starts_at=starts,
                ends_at=starts + timedelta(hours=hours), positions=1 if rng.random() < 0.7 else 2,
                urgent=rng.random() < 0.15, pay=_pay(pay_cache, estab, profession, day, hours),
                contract_route=routes[(profession, estab.type_id)], location=estab.commune, series=series,
                created_by=author, created_at=starts - timedelta(hours=rng.uniform(20, 20 * 24)),
            )
            shifts.append(shift)
            plans.append((len(shifts) - 1, fill / _season(day) ** 0.5))
    Shift.objects.bulk_create(shifts, batch_size=2000)
    missions: list[Mission] = []
    # Days a professional already works (booked by another demo step): never booked twice a day.
    busy: set[tuple[int, date]] = {
        (pro_id, timezone.localdate(starts))
        for pro_id, starts in Mission.objects.filter(
            state__in=ACTIVE_MISSION_STATES,
            starts_at__gte=timezone.make_aware(datetime.combine(today - timedelta(days=FIRST_DAY_BACK), time.min)),
            starts_at__lt=timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min)),
        ).values_list("professional_id", "starts_at")
    }
    now = timezone.now()
    for index, fill in plans:
        shift = shifts[index]
        pool = pros_by_profession[shift.profession_id]
        used: set[int] = set()
        for position in range(1, shift.positions + 1):
            if rng.random() > fill:
                continue
            pro = rng.choice(pool)
            key = (pro.pk, shift.starts_at.date())
            if pro.pk in used or key in busy:
                continue
            used.add(pro.pk)
            busy.add(key)
            lead = (shift.starts_at - shift.created_at).total_seconds() / 3600
            ttf = min(rng.expovariate(1 / 30), lead * 0.9)
            state, cancelled_by = _outcome(rng)
            closed_at = shift.ends_at
            if shift.ends_at > now:  # last night's shift is still running: booked, not done yet
                state = MissionState.BOOKED if state != MissionState.CANCELLED else state
                closed_at = None if state == MissionState.BOOKED else now
            missions.append(
                Mission(
                    shift=shift, position=position, professional=pro, state=state, pay=shift.pay,
                    starts_at=shift.starts_at, ends_at=shift.ends_at,
                    distance_km=_distance(pro, shift), booked_at=shift.created_at + timedelta(hours=ttf),
                    closed_at=closed_at, cancelled_by=cancelled_by,
                    cancel_reason="Historique de démonstration" if cancelled_by else "",
                )
            )
    Mission.objects.bulk_create(missions, batch_size=2000)
    return len(missions)


def _outcome(rng) -> tuple[str, str]:
    draw = rng.random()
    if draw < 0.06:
        return MissionState.CANCELLED, rng.choice([CancelledBy.PROFESSIONAL, CancelledBy.ESTABLISHMENT])
    if draw < 0.08:
        return MissionState.NO_SHOW, ""
    return MissionState.DONE, ""


def _distance(pro: Professional, shift: Shift) -> Decimal:
    home, there = pro.home_commune, shift.location
    km = haversine_km(home.latitude, home.longitude, there.latitude, there.longitude)
    return Decimal(str(round(min(km, 9999.9), 1)))


def _pay(cache: dict, estab: Establishment, profession: str, day: date, hours: int) -> Decimal:
    """90 % of the legal cap where one applies (looked up once a month), a plain hourly rate elsewhere."""
    key = (estab.type_id, profession, day.year, day.month, hours)
    if key not in cache:
        cache[key] = _pay_uncached(estab, profession, day, hours)
    return cache[key]


def _pay_uncached(estab: Establishment, profession: str, day: date, hours: int) -> Decimal:
    cap = pay_cap_for_shift(
        profession=Profession(code=profession), skill_codes=[], establishment_type=estab.type, on=day,
        hours=Decimal(hours), overseas=False,
    )
    if cap is None:
        return HOURLY_PAY_WITHOUT_CAP * hours
    return floor_eur(cap.amount * Decimal("0.9"))
