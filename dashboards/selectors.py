"""Reads of the ARS dashboards: who sees which territory, and the figures of a period.

Scoping lives here and only here: ``regions_for(user)`` (an ARS agent: their region; platform
staff: every region) and ``scope_for(user, code)`` (404 for anything else, including the
national view for a non-staff user). Every page and export resolves its scope through it.

Every read goes to the aggregate tables (``dashboards.models``), never to raw missions, with a
fixed number of grouped queries per page whatever the data size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from dashboards.figures import Figures
from dashboards.models import (
    COUNT_FIELDS,
    DailyAvailability,
    DailyFill,
    DailyFillArea,
    ProfessionalDay,
    RefreshState,
    WeeklyFill,
    WeeklyFillArea,
)
from establishments.models import Establishment
from reference.models import EstablishmentType, Profession
from territories.models import Commune, Departement, Region

NATIONAL = "fr"
URGENT_HORIZON_DAYS = 7
ESTABLISHMENTS_SHOWN = 30


@dataclass(frozen=True)
class Scope:
    """A region, or the whole country (``region`` None, platform staff only)."""

    code: str
    region: Region | None

    @property
    def name(self) -> str:
        return self.region.name if self.region else str(_("France entière"))

    @property
    def is_national(self) -> bool:
        return self.region is None

    def restrict(self, queryset: QuerySet) -> QuerySet:
        return queryset if self.region is None else queryset.filter(region_id=self.region.code)

    def departements(self) -> QuerySet[Departement]:
        qs = Departement.objects.order_by("code")
        return qs if self.region is None else qs.filter(region_id=self.region.code)


def has_dashboard_access(user) -> bool:
    return user.is_authenticated and (user.is_staff or hasattr(user, "ars_staff"))


def regions_for(user) -> QuerySet[Region]:
    """The regions whose dashboards ``user`` may read."""
    if not user.is_authenticated:
        return Region.objects.none()
    if user.is_staff:
        return Region.objects.all()
    return Region.objects.filter(ars_staff__user=user)


def scope_for(user, code: str) -> Scope:
    if code == NATIONAL:
        if user.is_authenticated and user.is_staff:
            return Scope(NATIONAL, None)
        raise Http404
    region = regions_for(user).filter(code=code).first()
    if region is None:
        raise Http404
    return Scope(region.code, region)


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    departement: str | None = None
    profession: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def elapsed_days(self, today: date) -> int:
        """Days of the period up to today included (hours cannot be worked in the future)."""
        return max(0, (min(self.end, today) - self.start).days + 1)

    def slug(self) -> str:
        parts = [self.start.isoformat(), self.end.isoformat()]
        if self.departement:
            parts.append(f"dep{self.departement}")
        if self.profession:
            parts.append(f"prof{self.profession}")
        return "_".join(parts)


def _filtered(queryset: QuerySet, scope: Scope, filters: Filters, first: date, last: date) -> QuerySet:
    queryset = scope.restrict(queryset).filter(day__gte=first, day__lte=last)
    if filters.departement:
        queryset = queryset.filter(departement_id=filters.departement)
    if filters.profession:
        queryset = queryset.filter(profession_id=filters.profession)
    return queryset




@dataclass
class Overview:
    total: Figures
    by_departement: dict[str, Figures]
    by_profession: dict[str, Figures]
    by_type: dict[str, Figures]
    weeks: list[tuple[date, int, int]]
    departement_names: dict[str, str]
    profession_names: dict[str, str]
    type_names: dict[str, str]
    centroids: dict[str, tuple[float, float]] = field(default_factory=dict)


def _distinct_professionals(queryset: QuerySet, key: str | None) -> dict[str | None, int]:
    if key is None:
        return {None: queryset.aggregate(n=Count("professional_id", distinct=True))["n"] or 0}
    rows = queryset.values(key).annotate(n=Count("professional_id", distinct=True)).order_by()
    return {row[key]: row["n"] for row in rows}


GROUP_KEYS = ("departement_id", "profession_id", "establishment_type_id")

Grouped = dict[tuple[str | None, object], dict[str, int]]


def grouped_totals(
    querysets: QuerySet | list[QuerySet],
    aggregates: dict[str, tuple[str, str]],
    *,
    by_day: bool = False,
    keys: tuple[str, ...] = GROUP_KEYS,
) -> Grouped:
    """Aggregates of the rows of ``querysets`` (several: their union) overall and by each of
    département / profession / type (and by ``day`` when asked).

    ``aggregates`` maps an alias to ("sum" | "distinct", column). Keys of the answer:
    ``(None, None)`` for the total, ``(key, value)`` for a group. PostgreSQL answers in one scan
    (GROUPING SETS over UNION ALL); other databases in grouped queries (``grouped_totals_portable``).
    """
    if isinstance(querysets, QuerySet):
        querysets = [querysets]
    if connection.vendor != "postgresql":
        return grouped_totals_portable(querysets, aggregates, by_day=by_day, keys=keys)
    qn = connection.ops.quote_name
    columns = sorted({column for _func, column in aggregates.values()})
    parts, params = [], []
    for queryset in querysets:
        sql, part_params = queryset.values_list(*keys, "day", *columns).order_by().query.sql_with_params()
        parts.append(f"({sql})")
        params.extend(part_params)
    names = [*keys, *(["day"] if by_day else [])]
    key_list = ", ".join(qn(k) for k in names)
    # GROUPING(keys) of each set: a bit (first key = highest) is 1 for a key the set does not group by.
    full = (1 << len(names)) - 1
    grouping_bits = {full: None, **{full ^ (1 << (len(names) - 1 - i)): k for i, k in enumerate(names)}}
    select = ", ".join(
        f"SUM({qn(column)}) AS {qn(alias)}" if func == "sum" else f"COUNT(DISTINCT {qn(column)}) AS {qn(alias)}"
        for alias, (func, column) in aggregates.items()
    )
    sets = ", ".join(["()", *(f"({qn(k)})" for k in names)])
    inner = " UNION ALL ".join(parts)
    # Identifiers are quoted by the backend and every value stays a parameter of the inner queries.
    sql = f"SELECT {key_list}, GROUPING({key_list}) AS g, {select} FROM ({inner}) AS t GROUP BY GROUPING SETS ({sets})"  # noqa: S608
    answer: Grouped = {(None, None): dict.fromkeys(aggregates, 0)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns_out = [c[0] for c in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(columns_out, values, strict=True))
            key = grouping_bits[row["g"]]
            answer[(key, row[key] if key else None)] = {alias: int(row[alias] or 0) for alias in aggregates}
    return answer


def grouped_totals_portable(
    querysets: QuerySet | list[QuerySet],
    aggregates: dict[str, tuple[str, str]],
    *,
    by_day: bool = False,
    keys: tuple[str, ...] = GROUP_KEYS,
) -> Grouped:
    """Same answer as ``grouped_totals`` with plain ORM queries (sums of several querysets added up;
    a distinct count needs a single queryset)."""
    if isinstance(querysets, QuerySet):
        querysets = [querysets]
    if len(querysets) > 1 and any(func == "distinct" for func, _c in aggregates.values()):
        raise ValueError("a distinct count over several querysets cannot be added up")
    orm = {
        alias: Sum(column) if func == "sum" else Count(column, distinct=True)
        for alias, (func, column) in aggregates.items()
    }
    answer: Grouped = {(None, None): dict.fromkeys(aggregates, 0)}

    def add(key, row) -> None:
        bucket = answer.setdefault(key, dict.fromkeys(aggregates, 0))
        for alias in aggregates:
            bucket[alias] += int(row[alias] or 0)

    for queryset in querysets:
        add((None, None), queryset.aggregate(**orm))
        for key in (*keys, *(["day"] if by_day else [])):
            for row in queryset.values(key).annotate(**orm).order_by():
                add((key, row[key]), row)
    return answer


def period_parts(
    scope: Scope, filters: Filters, start: date, end: date, *, daily=DailyFillArea, weekly=WeeklyFillArea
) -> list[QuerySet]:
    """The rows covering [start, end]: whole weeks from the weekly table, the days before the
    first whole week and after the last one from the daily table (at most 6 + 6 days)."""
    first_monday = start if start.weekday() == 0 else week_start(start) + timedelta(days=7)
    last_sunday = end if end.weekday() == 6 else week_start(end) - timedelta(days=1)
    if first_monday > last_sunday:
        return [_filtered(daily.objects.all(), scope, filters, start, end)]
    parts = [_filtered(weekly.objects.all(), scope, filters, first_monday, last_sunday - timedelta(days=6))]
    if start < first_monday:
        parts.append(_filtered(daily.objects.all(), scope, filters, start, first_monday - timedelta(days=1)))
    if last_sunday < end:
        parts.append(_filtered(daily.objects.all(), scope, filters, last_sunday + timedelta(days=1), end))
    return parts


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def overview(scope: Scope, filters: Filters, today: date) -> Overview:
    """Headline figures, breakdowns by département / profession / establishment type, weekly trend."""
    elapsed = filters.elapsed_days(today)
    figures: dict[tuple[str | None, object], Figures] = {}
    weekly: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    sums = grouped_totals(
        period_parts(scope, filters, filters.start, filters.end), {name: ("sum", name) for name in COUNT_FIELDS},
        by_day=True,
    )
    for key, row in sums.items():
        if key[0] == "day":  # a day (edge of the period) or a Monday (a whole week)
            week = weekly[week_start(key[1])]
            week[0] += row["posted"]
            week[1] += row["filled"]
            continue
        figures[key] = Figures.from_row(row)
        figures[key].elapsed_days = elapsed
    # Urgent positions still unfilled in the next 7 days: always counted from today, whatever the period.
    urgent = _filtered(
        DailyFillArea.objects.all(), scope, filters, today, today + timedelta(days=URGENT_HORIZON_DAYS - 1)
    )
    gaps = grouped_totals(urgent, {"p": ("sum", "urgent_posted"), "f": ("sum", "urgent_filled")})
    pros = _filtered(ProfessionalDay.objects.all(), scope, filters, filters.start, filters.end)
    active = grouped_totals(pros, {"n": ("distinct", "professional_id")})
    for key, f in figures.items():
        gap = gaps.get(key)
        f.urgent_unfilled_7d = max(gap["p"] - gap["f"], 0) if gap else 0
        f.active_professionals = active[key]["n"] if key in active else 0
    for key, gap in gaps.items():  # urgent positions outside the period still count
        if key not in figures and gap["p"] > gap["f"]:
            figures[key] = Figures(elapsed_days=elapsed, urgent_unfilled_7d=gap["p"] - gap["f"], active_professionals=0)
    total = figures[(None, None)]
    groups: dict[str, dict[str, Figures]] = {k: {} for k in GROUP_KEYS}
    for (key, code), f in figures.items():
        if key is not None:
            groups[key][code] = f
    first_week = week_start(filters.start)
    weeks = []
    week = first_week
    while week <= filters.end:
        posted, filled = weekly.get(week, (0, 0))
        weeks.append((week, posted, filled))
        week += timedelta(days=7)
    return Overview(
        total=total,
        by_departement=groups["departement_id"],
        by_profession=groups["profession_id"],
        by_type=groups["establishment_type_id"],
        weeks=weeks,
        departement_names=dict(scope.departements().values_list("code", "name")),
        profession_names=profession_names(),
        type_names=dict(EstablishmentType.objects.values_list("code", "label")),
        centroids={code: xy for code, xy in departement_centroids().items()},
    )


def profession_names() -> dict[str, str]:
    return dict(Profession.objects.order_by("label").values_list("code", "label"))


@lru_cache(maxsize=1)
def departement_centroids() -> dict[str, tuple[float, float]]:
    """Mean latitude/longitude of each département's communes (geography is static: cached per process)."""
    rows = Commune.objects.values("departement_id").annotate(lat=Avg("latitude"), lon=Avg("longitude")).order_by()
    return {row["departement_id"]: (row["lat"], row["lon"]) for row in rows}


@dataclass
class EstablishmentRow:
    id: int
    name: str
    type_label: str
    commune: str
    figures: Figures


def establishment_ranking(scope: Scope, filters: Filters, today: date) -> list[EstablishmentRow]:
    """Every establishment with posted positions in the period, lowest fill rate first
    (ties: most unfilled positions first, then name)."""
    elapsed = filters.elapsed_days(today)
    parts = period_parts(scope, filters, filters.start, filters.end, daily=DailyFill, weekly=WeeklyFill)
    figures: dict[int, Figures] = {}
    sums = grouped_totals(parts, {name: ("sum", name) for name in COUNT_FIELDS}, keys=("establishment_id",))
    for (key, estab_id), row in sums.items():
        if key == "establishment_id":
            figures[estab_id] = Figures.from_row(row)
            figures[estab_id].elapsed_days = elapsed
    urgent = _filtered(DailyFill.objects.all(), scope, filters, today, today + timedelta(days=URGENT_HORIZON_DAYS - 1))
    for row in urgent.values("establishment_id").annotate(p=Sum("urgent_posted"), f=Sum("urgent_filled")).order_by():
        if row["establishment_id"] in figures:
            figures[row["establishment_id"]].urgent_unfilled_7d = max((row["p"] or 0) - (row["f"] or 0), 0)
    pros = _filtered(ProfessionalDay.objects.all(), scope, filters, filters.start, filters.end)
    for estab_id, n in _distinct_professionals(pros, "establishment_id").items():
        if estab_id in figures:
            figures[estab_id].active_professionals = n
    names = Establishment.objects.filter(pk__in=list(figures)).values_list(
        "pk", "name", "type__label", "commune__name"
    )
    rows = [
        EstablishmentRow(pk, name, type_label, commune, figures[pk])
        for pk, name, type_label, commune in names
        if figures[pk].posted
    ]
    rows.sort(key=lambda r: (r.figures.fill_rate, -r.figures.unfilled, r.name))
    return rows


@dataclass
class ShortageRow:
    departement: str
    departement_name: str
    profession: str
    profession_name: str
    open_positions: int
    available_slots: int

    @property
    def gap(self) -> int:
        return self.open_positions - self.available_slots


def shortage_window(filters: Filters, today: date) -> tuple[date, date] | None:
    """Demand is still open only from today on: the future part of the period (None if past)."""
    first = max(filters.start, today)
    return (first, filters.end) if first <= filters.end else None


def shortages(scope: Scope, filters: Filters, today: date) -> list[ShortageRow]:
    """Profession × département where open positions exceed the availability slots declared by
    professionals of that profession living in the département, over the future part of the period."""
    window = shortage_window(filters, today)
    if window is None:
        return []
    area = _filtered(DailyFillArea.objects.all(), scope, filters, *window)
    demand = {
        (row["departement_id"], row["profession_id"]): max((row["p"] or 0) - (row["f"] or 0), 0)
        for row in area.values("departement_id", "profession_id").annotate(p=Sum("posted"), f=Sum("filled")).order_by()
    }
    supply = {
        (row["departement_id"], row["profession_id"]): row["s"] or 0
        for row in _filtered(DailyAvailability.objects.all(), scope, filters, *window)
        .values("departement_id", "profession_id")
        .annotate(s=Sum("slots"))
        .order_by()
    }
    deps = dict(scope.departements().values_list("code", "name"))
    profs = profession_names()
    rows = [
        ShortageRow(dep, deps.get(dep, dep), prof, profs.get(prof, prof), open_positions, supply.get((dep, prof), 0))
        for (dep, prof), open_positions in demand.items()
        if open_positions > supply.get((dep, prof), 0)
    ]
    rows.sort(key=lambda r: (-r.gap, r.departement, r.profession_name))
    return rows


def departement_filter_choices(scope: Scope) -> list[tuple[str, str]]:
    return [(code, f"{code} {name}") for code, name in scope.departements().values_list("code", "name")]


def data_as_of():
    """When the aggregates last changed (any refresh): shown on the pages, and the cache version."""
    return RefreshState.objects.filter(id=1).values_list("updated_at", flat=True).first()


def cached(kind: str, scope: Scope, filters: Filters, today: date, version, compute):
    """``compute()``, kept in the cache for ``DASHBOARDS_CACHE_SECONDS`` (default 300; 0 turns it
    off) under a key naming the page, territory, filters, today and the aggregates' version: any
    refresh changes the version, so a cached answer is never older than the aggregates."""
    seconds = getattr(settings, "DASHBOARDS_CACHE_SECONDS", 300)
    if seconds <= 0:
        return compute()
    stamp = version.isoformat() if version else "none"
    key = f"dashboards:{kind}:{scope.code}:{filters.slug()}:{today.isoformat()}:{stamp}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


__all__ = [
    "NATIONAL",
    "Filters",
    "Scope",
    "establishment_ranking",
    "has_dashboard_access",
    "overview",
    "regions_for",
    "scope_for",
    "shortages",
]
