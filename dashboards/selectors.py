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
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dashboards.figures import Figures
from dashboards.models import (
    COUNT_FIELDS,
    DailyAvailability,
    DailyFill,
    DailyFillArea,
    MonthlyFill,
    MonthlyFillArea,
    ProfessionalDay,
    RefreshState,
    WeeklyFill,
    WeeklyFillArea,
)
from establishments.models import Establishment
from reference.models import EstablishmentType, Profession
from territories.models import Commune, Departement, Region
from ville_hopital.months import month_end, month_start, next_month, week_start

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


@dataclass(frozen=True)
class GroupRow:
    """One line of a breakdown (a département, a profession, an establishment type): what the page's
    table and the API show, in the same order."""

    code: str
    name: str
    figures: Figures


@dataclass(frozen=True)
class Week:
    """One week of the trend (weeks start on Monday; the period's first and last may be partial)."""

    start: date
    posted: int
    filled: int

    @property
    def fill_rate(self) -> float | None:
        return self.filled / self.posted if self.posted else None


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

    def departement_rows(self) -> list[GroupRow]:
        """By département code."""
        return [GroupRow(code, self.departement_names.get(code, ""), f) for code, f in sorted(self.by_departement.items())]

    def profession_rows(self) -> list[GroupRow]:
        """By profession name (in the reader's language)."""
        return _by_name(self.by_profession, self.profession_names)

    def type_rows(self) -> list[GroupRow]:
        """By establishment type name (in the reader's language)."""
        return _by_name(self.by_type, self.type_names)

    def week_rows(self) -> list[Week]:
        return [Week(start, posted, filled) for start, posted, filled in self.weeks]


def _by_name(groups: dict[str, Figures], names: dict[str, str]) -> list[GroupRow]:
    return sorted((GroupRow(code, names.get(code, code), f) for code, f in groups.items()), key=lambda r: (r.name, r.code))


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
    scope: Scope, filters: Filters, start: date, end: date, *, daily=DailyFillArea, weekly=WeeklyFillArea,
    monthly=MonthlyFillArea,
) -> list[QuerySet]:
    """The rows covering [start, end]: whole months from the monthly table (if given), then whole
    weeks of what is left from the weekly table, and the remaining days (at most 6 + 6 at each
    end) from the daily table. A year reads ~12 + 8 + 12 time units instead of 365."""
    if monthly is None:
        return _week_parts(scope, filters, start, end, daily, weekly)
    first_month = start if start == month_start(start) else next_month(start)
    last_month_end = end if end == month_end(end) else month_start(end) - timedelta(days=1)
    if first_month > last_month_end:
        return _week_parts(scope, filters, start, end, daily, weekly)
    parts = [_filtered(monthly.objects.all(), scope, filters, first_month, month_start(last_month_end))]
    if start < first_month:
        parts += _week_parts(scope, filters, start, first_month - timedelta(days=1), daily, weekly)
    if last_month_end < end:
        parts += _week_parts(scope, filters, last_month_end + timedelta(days=1), end, daily, weekly)
    return parts


def _week_parts(scope: Scope, filters: Filters, start: date, end: date, daily, weekly) -> list[QuerySet]:
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


def _geo_level(scope: Scope, filters: Filters) -> int:
    """The geography every row of the page shares: 2 a département, 1 a region, 0 the country."""
    return 2 if filters.departement else (0 if scope.is_national else 1)


def active_columns(scope: Scope, filters: Filters) -> dict[str | None, str]:
    """Which ``act_*`` counter answers "distinct active professionals" for the total and for each
    breakdown: the level whose group is the breakdown's group within the page's restriction."""
    geo, prof = _geo_level(scope, filters), int(bool(filters.profession))
    return {
        None: f"act_{geo}{prof}0",
        "departement_id": f"act_2{prof}0",
        "profession_id": f"act_{geo}10",
        "establishment_type_id": f"act_{geo}{prof}1",
    }


def active_after(scope: Scope, filters: Filters, keys: tuple[str, ...]) -> Grouped:
    """The correction of the summed counters: the act_* counters count a professional on their last
    active day in the group, so one active in the period AND after it is missing. They are found
    from the rows after the period (few for a period ending near today) joined to their rows in it:
    distinct (professional, key) pairs present on both sides, counted overall and by each key."""
    after = _filtered(ProfessionalDay.objects.all(), scope, filters, filters.end + timedelta(days=1), date.max)
    inside = _filtered(ProfessionalDay.objects.all(), scope, filters, filters.start, filters.end).filter(
        professional_id__in=after.values("professional_id")
    )
    qn = connection.ops.quote_name
    a_sql, a_params = after.values_list("professional_id", *keys).distinct().order_by().query.sql_with_params()
    b_sql, b_params = inside.values_list("professional_id", *keys).distinct().order_by().query.sql_with_params()
    branches = ["SELECT NULL AS k, NULL AS v, COUNT(*) AS n FROM (SELECT professional_id FROM a INTERSECT SELECT professional_id FROM b) AS x"]
    for key in keys:
        k = qn(key)
        branches.append(
            f"SELECT '{key}', {k}, COUNT(*) FROM (SELECT professional_id, {k} FROM a INTERSECT "  # noqa: S608 - quoted identifiers
            f"SELECT professional_id, {k} FROM b) AS x GROUP BY {k}"
        )
    sql = f"WITH a AS ({a_sql}), b AS ({b_sql}) " + " UNION ALL ".join(branches)
    answer: Grouped = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*a_params, *b_params])
        for key, value, n in cursor.fetchall():
            answer[(key, value)] = {"n": int(n)}
    return answer


def overview(scope: Scope, filters: Filters, today: date) -> Overview:
    """Headline figures, breakdowns by département / profession / establishment type, weekly trend."""
    elapsed = filters.elapsed_days(today)
    figures: dict[tuple[str | None, object], Figures] = {}
    columns = active_columns(scope, filters)
    sums = grouped_totals(
        period_parts(scope, filters, filters.start, filters.end),
        {name: ("sum", name) for name in (*COUNT_FIELDS, *sorted(set(columns.values())))},
    )
    after = active_after(scope, filters, GROUP_KEYS)
    for key, row in sums.items():
        figures[key] = Figures.from_row(row)
        figures[key].elapsed_days = elapsed
        figures[key].active_professionals = row[columns[key[0]]] + after.get(key, {"n": 0})["n"]
    # The weekly trend: weeks and edge days only (a month is not a week).
    trend = grouped_totals(
        period_parts(scope, filters, filters.start, filters.end, monthly=None),
        {"posted": ("sum", "posted"), "filled": ("sum", "filled")}, by_day=True, keys=(),
    )
    weekly: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for key, row in trend.items():
        if key[0] == "day":  # a day (edge of the period) or a Monday (a whole week)
            week = weekly[week_start(key[1])]
            week[0] += row["posted"]
            week[1] += row["filled"]
    # Urgent positions still unfilled in the next 7 days: always counted from today, whatever the period.
    urgent = _filtered(
        DailyFillArea.objects.all(), scope, filters, today, today + timedelta(days=URGENT_HORIZON_DAYS - 1)
    )
    gaps = grouped_totals(urgent, {"p": ("sum", "urgent_posted"), "f": ("sum", "urgent_filled")})
    for key, f in figures.items():
        gap = gaps.get(key)
        f.urgent_unfilled_7d = max(gap["p"] - gap["f"], 0) if gap else 0
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
        type_names={t.code: str(t) for t in EstablishmentType.objects.all()},
        centroids={code: xy for code, xy in departement_centroids().items()},
    )


def profession_names() -> dict[str, str]:
    """Code → name in the reader's language (``LabelledReference``), ordered by the French label."""
    return {p.code: str(p) for p in Profession.objects.order_by("label")}


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


def _establishment_figures(
    scope: Scope, filters: Filters, today: date, only: list[int] | None = None
) -> dict[int, Figures]:
    """Figures per establishment with rows in the period (``only``: just these establishments)."""
    elapsed = filters.elapsed_days(today)
    column = f"acte_{_geo_level(scope, filters)}{int(bool(filters.profession))}"
    parts = period_parts(
        scope, filters, filters.start, filters.end, daily=DailyFill, weekly=WeeklyFill, monthly=MonthlyFill
    )
    if only is not None:
        parts = [part.filter(establishment_id__in=only) for part in parts]
    sums = grouped_totals(
        parts, {name: ("sum", name) for name in (*COUNT_FIELDS, column)}, keys=("establishment_id",)
    )
    after = active_after(scope, filters, ("establishment_id",))
    figures: dict[int, Figures] = {}
    for key, row in sums.items():
        if key[0] == "establishment_id":
            figures[key[1]] = f = Figures.from_row(row)
            f.elapsed_days = elapsed
            f.active_professionals = row[column] + after.get(key, {"n": 0})["n"]
    urgent = _filtered(DailyFill.objects.all(), scope, filters, today, today + timedelta(days=URGENT_HORIZON_DAYS - 1))
    if only is not None:
        urgent = urgent.filter(establishment_id__in=only)
    for row in urgent.values("establishment_id").annotate(p=Sum("urgent_posted"), f=Sum("urgent_filled")).order_by():
        if row["establishment_id"] in figures:
            figures[row["establishment_id"]].urgent_unfilled_7d = max((row["p"] or 0) - (row["f"] or 0), 0)
    return figures


def _rows(figures: dict[int, Figures]) -> list[EstablishmentRow]:
    names = Establishment.objects.filter(pk__in=list(figures)).values_list("pk", "name", "type__label", "commune__name")
    rows = [
        EstablishmentRow(pk, name, type_label, commune, figures[pk])
        for pk, name, type_label, commune in names
        if figures[pk].posted
    ]
    rows.sort(key=lambda r: (r.figures.fill_rate, -r.figures.unfilled, r.name))
    return rows


def establishment_ranking(scope: Scope, filters: Filters, today: date) -> list[EstablishmentRow]:
    """Every establishment with posted positions in the period, lowest fill rate first
    (ties: most unfilled positions first, then name)."""
    return _rows(_establishment_figures(scope, filters, today))


def lowest_establishments(
    scope: Scope, filters: Filters, today: date, limit: int = ESTABLISHMENTS_SHOWN
) -> tuple[list[EstablishmentRow], int]:
    """The first ``limit`` rows of ``establishment_ranking`` and how many rows it has, reading the
    full figures of those rows only: the rank needs just posted and filled per establishment."""
    parts = period_parts(
        scope, filters, filters.start, filters.end, daily=DailyFill, weekly=WeeklyFill, monthly=MonthlyFill
    )
    sums = grouped_totals(parts, {"posted": ("sum", "posted"), "filled": ("sum", "filled")}, keys=("establishment_id",))
    ranked = sorted(
        ((row["filled"] / row["posted"], -(max(row["posted"] - row["filled"], 0)), key[1])
         for key, row in sums.items() if key[0] == "establishment_id" and row["posted"]),
    )
    if not ranked:
        return [], 0
    # Ties at the cut are broken by name: keep every establishment tied with the last one shown.
    cut = ranked[min(limit, len(ranked)) - 1][:2]
    candidates = [estab for rate, unfilled, estab in ranked if (rate, unfilled) <= cut]
    figures = _establishment_figures(scope, filters, today, only=candidates)
    return _rows(figures)[:limit], len(ranked)


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


def overview_read(scope: Scope, filters: Filters, today: date, version) -> Overview:
    """The overview as the page, its exports and the API read it: through the cache (``version``:
    ``data_as_of()``, which the caller also shows)."""
    return cached("overview", scope, filters, today, version, lambda: overview(scope, filters, today))


def lowest_establishments_read(
    scope: Scope, filters: Filters, today: date, version, limit: int = ESTABLISHMENTS_SHOWN
) -> tuple[list[EstablishmentRow], int]:
    """``lowest_establishments`` through the cache (the page: the first 30; the API: up to its page's end)."""
    return cached(
        f"establishments-lowest-{limit}", scope, filters, today, version,
        lambda: lowest_establishments(scope, filters, today, limit),
    )


def establishment_ranking_read(scope: Scope, filters: Filters, today: date, version) -> list[EstablishmentRow]:
    """Every ranked establishment (the export), through the cache."""
    return cached("establishments", scope, filters, today, version, lambda: establishment_ranking(scope, filters, today))


def shortages_read(scope: Scope, filters: Filters, today: date, version) -> list[ShortageRow]:
    """``shortages`` through the cache."""
    return cached("shortages", scope, filters, today, version, lambda: shortages(scope, filters, today))


def cached(kind: str, scope: Scope, filters: Filters, today: date, version, compute):
    """``compute()``, kept in the cache for ``DASHBOARDS_CACHE_SECONDS`` (default 300; 0 turns it
    off) under a key naming the page, territory, filters, today and the aggregates' version: any
    refresh changes the version, so a cached answer is never older than the aggregates."""
    seconds = getattr(settings, "DASHBOARDS_CACHE_SECONDS", 300)
    if seconds <= 0:
        return compute()
    stamp = version.isoformat() if version else "none"
    # The language too: the answer carries profession and establishment-type names in it.
    key = f"dashboards:{kind}:{get_language()}:{scope.code}:{filters.slug()}:{today.isoformat()}:{stamp}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


__all__ = [
    "NATIONAL",
    "Filters",
    "GroupRow",
    "Scope",
    "Week",
    "establishment_ranking",
    "establishment_ranking_read",
    "has_dashboard_access",
    "lowest_establishments",
    "lowest_establishments_read",
    "overview",
    "overview_read",
    "regions_for",
    "scope_for",
    "shortages",
    "shortages_read",
]
