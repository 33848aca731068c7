"""Keeping the dashboard aggregates equal to the shifts and missions they count.

Every refresh recomputes whole days (optionally only some establishments' rows of those days)
inside one transaction, in the database (``INSERT … SELECT … GROUP BY``), so it costs one grouped
scan per run of consecutive days whatever the volume, and a re-run gives the same rows
(idempotent: a crashed worker or a duplicate message never double counts). Refreshers serialise
on the ``RefreshState`` row lock.

Who calls what:

* ``aggregates_refresh(days=…, establishments=…)`` — after a mission or shift changes state
  (the Celery task ``dashboards.tasks.refresh_days``, queued by the missions services on commit);
* ``aggregates_refresh_recent()`` — every few minutes (beat): the days touched since the last run,
  found from audit rows and from shift/mission timestamps;
* ``aggregates_rebuild()`` — nightly (beat): every day that has a shift, and drops stale rows;
* ``availability_refresh()`` — hourly and nightly: declared availability for the coming weeks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import NotSupportedError, connection, transaction
from django.db.models import Count, F, Func, IntegerField, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Cast, Coalesce, Round, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from dashboards.models import (
    ACTIVE_FIELDS,
    AREA_LEVELS,
    ESTAB_LEVELS,
    FILL_FIELDS,
    KM_BOUNDS,
    KM_FIELDS,
    TTF_BOUNDS_HOURS,
    TTF_FIELDS,
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
from dashboards.selectors import Filters, Scope
from establishments.models import Shift, ShiftState
from missions.core.models import ACTIVE_MISSION_STATES, CancelledBy, Mission, MissionState
from professionals.models import Availability
from ville_hopital.audit import audit_record
from ville_hopital.models import AuditEvent
from ville_hopital.months import month_end, month_start, week_start

MAX_RUN_DAYS = 31  # one grouped query covers at most a month of days
AVAILABILITY_HORIZON_DAYS = 90
SHIFT_STATES = (ShiftState.PUBLISHED, ShiftState.CANCELLED)

# Aliases of the grouping keys in the SELECT → the aggregate table's fields.
KEYS = {
    "k_day": "day",
    "k_region": "region",
    "k_dep": "departement",
    "k_prof": "profession",
    "k_type": "establishment_type",
    "k_estab": "establishment",
}
AREA_KEYS = {k: v for k, v in KEYS.items() if k != "k_estab"}


class MinutesBetween(Func):
    """Whole minutes from one timestamp to another, as an integer, on PostgreSQL and SQLite."""

    output_field = IntegerField()
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):
        # Only the two supported databases have a dialect (settings accept sqlite and postgres URLs).
        raise NotSupportedError(f"MinutesBetween has no SQL for the {connection.vendor} database")

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql_template(
            compiler, connection, "ROUND((EXTRACT(EPOCH FROM %(b)s) - EXTRACT(EPOCH FROM %(a)s)) / 60)::bigint"
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql_template(
            compiler, connection, "CAST(ROUND((julianday(%(b)s) - julianday(%(a)s)) * 1440) AS INTEGER)"
        )

    def as_sql_template(self, compiler, connection, template):
        (a_sql, a_params), (b_sql, b_params) = (compiler.compile(e) for e in self.get_source_expressions())
        return template % {"a": a_sql, "b": b_sql}, [*a_params, *b_params]


def _local_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, last+1 00:00) in the project's time zone (Europe/Paris)."""
    lo = timezone.make_aware(datetime.combine(first, time.min))
    hi = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    return lo, hi


def day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted distinct days as runs of consecutive days, each at most ``MAX_RUN_DAYS`` long."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1) and (day - runs[-1][0]).days < MAX_RUN_DAYS:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _insert_select(model, queryset: QuerySet, columns: dict[str, str]) -> int:
    """``INSERT INTO model (…) <queryset's SELECT>``, the SELECT's aliases mapped to fields by ``columns``."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    aliases = [alias for _expr, _sql, alias in compiler.select]
    qn = connection.ops.quote_name
    cols = [model._meta.get_field(columns[alias]).column for alias in aliases]
    statement = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) {sql}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _insert_merged(model, parts: list[QuerySet], keys: dict[str, str], counters: tuple[str, ...]) -> int:
    """One ``INSERT … SELECT keys, SUM(…) FROM (part UNION ALL part …) GROUP BY keys``: each part
    gives some of the counters (the others count 0), so the shift side and the mission side of a
    row are written at once, without a second pass over the rows."""
    qn = connection.ops.quote_name
    selects, params = [], []
    for queryset in parts:
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, part_params = compiler.as_sql()
        present = {alias for _expr, _sql, alias in compiler.select}
        cols = [qn(a) for a in keys] + [qn(c) if c in present else f"0 AS {qn(c)}" for c in counters]
        selects.append(f"SELECT {', '.join(cols)} FROM ({sql}) AS part")  # noqa: S608 - quoted identifiers
        params.extend(part_params)
    key_list = ", ".join(qn(a) for a in keys)
    sums = ", ".join(f"SUM({qn(c)})" for c in counters)
    target = [model._meta.get_field(f).column for f in (*keys.values(), *counters)]
    union = " UNION ALL ".join(selects)
    columns = ", ".join(qn(c) for c in target)
    statement = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) SELECT {key_list}, {sums} FROM ({union}) AS merged GROUP BY {key_list}"  # noqa: S608 - quoted identifiers
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _key_annotations(prefix: str) -> dict[str, object]:
    """The grouping keys, read from a shift (prefix "") or from a mission's shift (prefix "shift__")."""
    return {
        "k_day": TruncDate(f"{prefix}starts_at"),
        "k_region": F(f"{prefix}location__region_id"),
        "k_dep": F(f"{prefix}location__departement_id"),
        "k_prof": F(f"{prefix}profession_id"),
        "k_type": F(f"{prefix}establishment__type_id"),
        "k_estab": F(f"{prefix}establishment_id"),
    }


def _zero(aggregate) -> Coalesce:
    return Coalesce(aggregate, 0, output_field=IntegerField())


def _shift_side(lo: datetime, hi: datetime, establishments: list[int] | None) -> QuerySet:
    shifts = Shift.objects.filter(state__in=SHIFT_STATES, starts_at__gte=lo, starts_at__lt=hi)
    if establishments is not None:
        shifts = shifts.filter(establishment_id__in=establishments)
    published = Q(state=ShiftState.PUBLISHED)
    return (
        shifts.annotate(**_key_annotations(""))
        .values(*KEYS)
        .annotate(
            posted=_zero(Sum("positions", filter=published)),
            urgent_posted=_zero(Sum("positions", filter=published & Q(urgent=True))),
            withdrawn=_zero(Sum("positions", filter=Q(state=ShiftState.CANCELLED))),
        )
        .order_by()
    )


def _buckets(field: str, bounds: tuple[int, ...], names: tuple[str, ...], scale: int, base: Q) -> dict[str, object]:
    """One conditional count per histogram bucket: [previous bound, bound) × scale, the last open."""
    edges = [0, *bounds]
    aggregates = {}
    for i, name in enumerate(names):
        cond = Q(**{f"{field}__gte": edges[i] * scale}) if i else Q()
        if i < len(bounds):
            cond &= Q(**{f"{field}__lt": bounds[i] * scale})
        aggregates[name] = Count("id", filter=base & cond)
    return aggregates


def _mission_side(lo: datetime, hi: datetime, establishments: list[int] | None) -> QuerySet:
    missions = Mission.objects.filter(shift__state__in=SHIFT_STATES, shift__starts_at__gte=lo, shift__starts_at__lt=hi)
    if establishments is not None:
        missions = missions.filter(shift__establishment_id__in=establishments)
    active = Q(state__in=ACTIVE_MISSION_STATES, shift__state=ShiftState.PUBLISHED)
    done = Q(state=MissionState.DONE, shift__state=ShiftState.PUBLISHED)
    cancelled = Q(state=MissionState.CANCELLED)
    return (
        missions.annotate(
            **_key_annotations("shift__"),
            ttf_min=MinutesBetween(F("shift__created_at"), F("booked_at")),
            dur_min=MinutesBetween(F("starts_at"), F("ends_at")),
        )
        .values(*KEYS)
        .annotate(
            filled=Count("id", filter=active),
            urgent_filled=Count("id", filter=active & Q(shift__urgent=True)),
            done=Count("id", filter=done),
            no_show=Count("id", filter=Q(state=MissionState.NO_SHOW, shift__state=ShiftState.PUBLISHED)),
            cancelled_by_pro=Count("id", filter=cancelled & Q(cancelled_by=CancelledBy.PROFESSIONAL)),
            cancelled_by_estab=Count("id", filter=cancelled & Q(cancelled_by=CancelledBy.ESTABLISHMENT)),
            # A cancellation that names nobody is the platform's (support, automatic expiry).
            cancelled_by_platform=Count(
                "id", filter=cancelled & ~Q(cancelled_by__in=[CancelledBy.PROFESSIONAL, CancelledBy.ESTABLISHMENT])
            ),
            minutes_filled=_zero(Sum("dur_min", filter=active)),
            minutes_done=_zero(Sum("dur_min", filter=done)),
            km_tenths=_zero(Sum(Cast(Round(F("distance_km") * 10), IntegerField()), filter=active)),
            **_buckets("ttf_min", TTF_BOUNDS_HOURS, TTF_FIELDS, 60, active),
            **_buckets("distance_km", KM_BOUNDS, KM_FIELDS, 1, active),
        )
        .order_by()
    )


def _professional_days(lo: datetime, hi: datetime) -> QuerySet:
    return (
        Mission.objects.filter(
            state__in=ACTIVE_MISSION_STATES,
            shift__state=ShiftState.PUBLISHED,
            shift__starts_at__gte=lo,
            shift__starts_at__lt=hi,
        )
        .annotate(**_key_annotations("shift__"), k_pro=F("professional_id"))
        .values(*KEYS, "k_pro")
        .distinct()
        .order_by()
    )


def _active_side(first: date, last: date, establishments: list[int] | None) -> QuerySet:
    """The ``act_*`` counters of ``DailyFill`` rows: ``ProfessionalDay`` rows whose "last day in the
    group" bit is set, counted per level (the flags must be up to date: ``_flag_last_days``)."""
    rows = ProfessionalDay.objects.filter(day__gte=first, day__lte=last)
    if establishments is not None:
        rows = rows.filter(establishment_id__in=establishments)
    keys = {
        "k_day": F("day"), "k_region": F("region_id"), "k_dep": F("departement_id"), "k_prof": F("profession_id"),
        "k_type": F("establishment_type_id"), "k_estab": F("establishment_id"),
    }
    bits = {name: Sum(F("last_levels").bitrightshift(i).bitand(1)) for i, name in enumerate(ACTIVE_FIELDS)}
    return rows.annotate(**keys).values(*keys).annotate(**bits).order_by()


PD_COLUMNS = ("day", "region_id", "departement_id", "profession_id", "establishment_type_id", "establishment_id",
              "professional_id")


def _level_partition(level: tuple[int, ...], *, per_establishment: bool, names: dict[str, str]) -> str:
    """The window partition of a level: the professional, and the keys the level groups by."""
    geo, prof = level[0], level[1]
    columns = ["professional_id"]
    if per_establishment:
        columns.append("establishment_id")
    columns += [[], ["region_id"], ["departement_id"]][geo]
    if prof:
        columns.append("profession_id")
    if not per_establishment and level[2]:
        columns.append("establishment_type_id")
    return ", ".join(f'"{names[c]}"' for c in columns)


def _last_levels_sql(names: dict[str, str]) -> str:
    """SQL of the ``last_levels`` bits of a row among rows with columns ``names`` (PD_COLUMNS → the
    column names of the source): one window per level. Same-day rows of a group are ordered by
    the rest of the unique key, so every refresh and the rebuild flag the same row."""
    order = ", ".join(f'"{names[c]}"' for c in ("day", "establishment_id", "departement_id", "profession_id"))
    levels = [(level, False) for level in AREA_LEVELS] + [(level, True) for level in ESTAB_LEVELS]
    terms = [
        f'(CASE WHEN LEAD(1) OVER (PARTITION BY {_level_partition(level, per_establishment=per_estab, names=names)} '
        f"ORDER BY {order}) IS NULL THEN {1 << i} ELSE 0 END)"
        for i, (level, per_estab) in enumerate(levels)
    ]
    return " + ".join(terms)


def _flag_last_days(professionals: list[int] | None, *, report: bool = True) -> set[tuple[date, int]]:
    """Recompute ``ProfessionalDay.last_levels`` for these professionals' rows (None: every row).

    A row's bit for a level is set when no later row of the same professional falls in the same
    group of that level. Returns the (day, establishment) of the rows whose flags changed: their
    fill rows' ``act_*`` counters must follow (``_update_active``)."""
    if professionals is not None and not professionals:
        return set()
    table = ProfessionalDay._meta.db_table
    bits = _last_levels_sql({c: c for c in PD_COLUMNS})
    where, params = "", []
    if professionals is not None:
        where, params = 'WHERE "professional_id" = ANY(%s)', [list(professionals)]
    sql = (
        f'WITH w AS (SELECT "id", {bits} AS bits FROM "{table}" {where}) '  # noqa: S608 - fixed identifiers; values are parameters
        f'UPDATE "{table}" AS p SET "last_levels" = w.bits FROM w '
        f'WHERE p."id" = w."id" AND p."last_levels" <> w.bits'
        + (' RETURNING p."day", p."establishment_id"' if report else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(row[0], row[1]) for row in cursor.fetchall()} if report else set()


def _insert_professional_days_flagged(first: date, last: date) -> int:
    """The rebuild's ``ProfessionalDay`` rows of [first, last], flags computed in the same statement
    (no second pass rewriting every row). [first, last] must hold every active mission."""
    lo, hi = _local_bounds(first, last)
    compiler = _professional_days(lo, hi).query.get_compiler(using="default")
    source, params = compiler.as_sql()
    names = dict(zip(PD_COLUMNS, (*KEYS, "k_pro"), strict=True))
    table = ProfessionalDay._meta.db_table
    columns = ", ".join(f'"{c}"' for c in (*PD_COLUMNS, "last_levels"))
    selected = ", ".join(f'"{names[c]}"' for c in PD_COLUMNS)
    sql = f'INSERT INTO "{table}" ({columns}) SELECT {selected}, {_last_levels_sql(names)} FROM ({source}) AS src'  # noqa: S608 - fixed identifiers
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _update_active(cells: set[tuple[date, int]]) -> None:
    """Bring the ``act_*`` counters of the fill rows of these (day, establishment) cells, and of
    their territory, week and month rollups, in line with the flags (other counters untouched)."""
    if not cells:
        return
    days, estabs = [c[0] for c in cells], [c[1] for c in cells]
    qn = connection.ops.quote_name
    pd_table = ProfessionalDay._meta.db_table
    sums = ", ".join(
        f'COALESCE(SUM((pd."last_levels" >> {i}) & 1), 0) AS {qn(name)}' for i, name in enumerate(ACTIVE_FIELDS)
    )
    sets = ", ".join(f"{qn(name)} = s.{qn(name)}" for name in ACTIVE_FIELDS)
    fill = DailyFill._meta.db_table
    cell_sql = 'SELECT DISTINCT * FROM unnest(%s::date[], %s::integer[]) AS c("day", "establishment_id")'
    statements = [
        # The establishment's rows of those days, from the flags.
        (
            f'UPDATE "{fill}" AS f SET {sets} FROM (SELECT f2."id", {sums} FROM "{fill}" AS f2 '  # noqa: S608 - fixed identifiers; values are parameters
            f'JOIN ({cell_sql}) AS c ON f2."day" = c."day" AND f2."establishment_id" = c."establishment_id" '
            f'LEFT JOIN "{pd_table}" AS pd ON pd."day" = f2."day" AND pd."establishment_id" = f2."establishment_id" '
            f'AND pd."departement_id" = f2."departement_id" AND pd."profession_id" = f2."profession_id" '
            f'GROUP BY f2."id") AS s WHERE f."id" = s."id"',
            [days, estabs],
        ),
    ]
    plain = ", ".join(f"SUM(d.{qn(name)}) AS {qn(name)}" for name in ACTIVE_FIELDS)
    for model, trunc, per_estab in (
        (DailyFillArea, None, False), (WeeklyFill, "week", True), (WeeklyFillArea, "week", False),
        (MonthlyFill, "month", True), (MonthlyFillArea, "month", False),
    ):
        target = model._meta.db_table
        cell_unit = f"date_trunc('{trunc}', c.\"day\")::date" if trunc else 'c."day"'
        key = '"establishment_id"' if per_estab else '"establishment_type_id"'
        upper = {None: "k.unit + 1", "week": "k.unit + 7", "month": "(k.unit + INTERVAL '1 month')::date"}[trunc]
        # The rows of this table holding the touched cells: (unit, département, profession, key) …
        touched = (
            f'SELECT DISTINCT {cell_unit} AS unit, d."departement_id", d."profession_id", d.{key} AS k '  # noqa: S608 - fixed identifiers
            f'FROM ({cell_sql}) AS c JOIN "{fill}" AS d ON d."day" = c."day" AND d."establishment_id" = c."establishment_id"'
        )
        # … each summed again from the daily rows of its unit.
        statements.append((
            f'UPDATE "{target}" AS t SET {sets} FROM (SELECT k.unit, k."departement_id", k."profession_id", k.k, {plain} '  # noqa: S608 - fixed identifiers; values are parameters
            f'FROM ({touched}) AS k JOIN "{fill}" AS d ON d."departement_id" = k."departement_id" '
            f'AND d."profession_id" = k."profession_id" AND d.{key} = k.k AND d."day" >= k.unit AND d."day" < {upper} '
            f'GROUP BY 1, 2, 3, 4) AS s WHERE t."day" = s.unit AND t."departement_id" = s."departement_id" '
            f'AND t."profession_id" = s."profession_id" AND t.{key} = s.k',
            [days, estabs],
        ))
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def _rollup(
    first: date, last: date, *, unit: str, per_establishment: bool, establishments: list[int] | None = None,
    source=DailyFill,
) -> QuerySet:
    """``DailyFill`` rows of [first, last] summed by month (the 1st), week (Monday) or day, with or
    without the establishment: the source of every other aggregate table. A territory rollup may
    read the establishment rollup of the same unit instead (``source``: fewer rows)."""
    rows = source.objects.filter(day__gte=first, day__lte=last)
    if establishments is not None:
        rows = rows.filter(establishment_id__in=establishments)
    truncs = {"month": TruncMonth("day"), "week": TruncWeek("day"), "day": F("day")}
    keys = {
        "k_day": truncs[unit] if source is DailyFill else F("day"),
        "k_region": F("region_id"),
        "k_dep": F("departement_id"),
        "k_prof": F("profession_id"),
        "k_type": F("establishment_type_id"),
        **({"k_estab": F("establishment_id")} if per_establishment else {}),
    }
    return (
        rows.annotate(**keys)
        .values(*keys)
        .annotate(**{f"s_{name}": Sum(name) for name in FILL_FIELDS})
        .order_by()
    )


def _lock() -> RefreshState:
    """Lock the state row (refreshers queue here) and stamp it: ``updated_at`` is the version of the
    aggregates, part of the page cache keys, so a cached page never outlives the data it shows."""
    RefreshState.objects.get_or_create(id=1)
    state = RefreshState.objects.select_for_update().get(id=1)
    state.updated_at = timezone.now()
    state.save(update_fields=["updated_at"])
    return state


def _refresh_professional_days(first: date, last: date) -> set[tuple[date, int]]:
    """Bring the ``ProfessionalDay`` rows of [first, last] (every establishment) in line with the
    missions, keeping the rows that did not change (and their flags): only the professionals whose
    rows came or went get their flags recomputed. Returns the (day, establishment) cells whose
    rows or flags changed."""
    lo, hi = _local_bounds(first, last)
    source, params = _professional_days(lo, hi).query.get_compiler(using="default").as_sql()
    table = ProfessionalDay._meta.db_table
    names = dict(zip(PD_COLUMNS, (*KEYS, "k_pro"), strict=True))
    same = " AND ".join(f'p."{c}" = s."{names[c]}"' for c in PD_COLUMNS)
    columns = ", ".join(f'"{c}"' for c in PD_COLUMNS)
    selected = ", ".join(f's."{names[c]}"' for c in PD_COLUMNS)
    # The new rows computed once (a hash anti-join each way), not once per existing row.
    materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f'WITH s AS {materialized}({source}) DELETE FROM "{table}" AS p '  # noqa: S608 - fixed identifiers
            f'WHERE p."day" >= %s AND p."day" <= %s AND NOT EXISTS (SELECT 1 FROM s WHERE {same}) '
            'RETURNING p."day", p."establishment_id", p."professional_id"',
            [*params, first, last],
        )
        gone = cursor.fetchall()
        cursor.execute(
            f'WITH s AS {materialized}({source}) INSERT INTO "{table}" ({columns}) SELECT {selected} FROM s '  # noqa: S608 - fixed identifiers
            f'WHERE NOT EXISTS (SELECT 1 FROM "{table}" AS p WHERE {same}) '
            'RETURNING "day", "establishment_id", "professional_id"',
            params,
        )
        came = cursor.fetchall()
    cells = {(day, estab) for day, estab, _pro in (*gone, *came)}
    return cells | _flag_last_days(sorted({pro for _d, _e, pro in (*gone, *came)}))


MAX_TARGETED_KEYS = 200  # above this, re-rolling a territory table whole is cheaper than a long OR


def _area_keys(first: date, last: date, establishments: list[int]) -> set[tuple]:
    return set(
        DailyFill.objects.filter(day__gte=first, day__lte=last, establishment_id__in=establishments)
        .values_list("departement_id", "profession_id", "establishment_type_id")
        .distinct()
        .order_by()
    )


def _keys_q(keys: set[tuple] | None) -> Q:
    """Rows of these (département, profession, type) keys only (None: every row)."""
    if keys is None:
        return Q()
    q = Q(pk__in=[])  # no keys: no rows
    for dep, prof, type_ in keys:
        q |= Q(departement_id=dep, profession_id=prof, establishment_type_id=type_)
    return q


def _refresh_run(first: date, last: date, establishments: list[int] | None) -> None:
    """Rewrite the fill rows of [first, last] (of these establishments) and their rollups; the
    ``ProfessionalDay`` rows and flags of those days must be current. For a few establishments
    (the on-commit hook), the territory rollups are re-rolled only for the (département,
    profession, type) keys those establishments had or have: a few rows, not a whole month."""
    lo, hi = _local_bounds(first, last)
    fine = DailyFill.objects.filter(day__gte=first, day__lte=last)
    keys = None
    if establishments is not None:
        fine = fine.filter(establishment_id__in=establishments)
        keys = _area_keys(first, last, establishments)
    fine.delete()
    _insert_merged(
        DailyFill,
        [_shift_side(lo, hi, establishments), _mission_side(lo, hi, establishments), _active_side(first, last, establishments)],
        KEYS,
        FILL_FIELDS,
    )
    if keys is not None:
        keys |= _area_keys(first, last, establishments)
        if len(keys) > MAX_TARGETED_KEYS:
            keys = None
    if keys == set():
        return  # nothing of these establishments on those days, before or after
    only = _keys_q(keys)
    DailyFillArea.objects.filter(only, day__gte=first, day__lte=last).delete()
    area_columns = {**AREA_KEYS, **{f"s_{f}": f for f in FILL_FIELDS}}
    fine_columns = {**KEYS, **{f"s_{f}": f for f in FILL_FIELDS}}
    _insert_select(
        DailyFillArea, _rollup(first, last, unit="day", per_establishment=False).filter(only), area_columns
    )
    for unit, lo_day, hi_day, fine_model, area_model in (
        ("week", week_start(first), week_start(last) + timedelta(days=6), WeeklyFill, WeeklyFillArea),
        ("month", month_start(first), month_end(last), MonthlyFill, MonthlyFillArea),
    ):
        per_estab = fine_model.objects.filter(day__gte=lo_day, day__lte=hi_day)
        if establishments is not None:
            per_estab = per_estab.filter(establishment_id__in=establishments)
        per_estab.delete()
        _insert_select(
            fine_model,
            _rollup(lo_day, hi_day, unit=unit, per_establishment=True, establishments=establishments),
            fine_columns,
        )
        area_model.objects.filter(only, day__gte=lo_day, day__lte=hi_day).delete()
        _insert_select(
            area_model,
            _rollup(lo_day, hi_day, unit=unit, per_establishment=False, source=fine_model).filter(only),
            area_columns,
        )


@dataclass(frozen=True)
class RefreshResult:
    days: int
    runs: int


@transaction.atomic
def aggregates_refresh(*, days: Iterable[date], establishments: Iterable[int] | None = None) -> RefreshResult:
    """Recompute the aggregates of these days (all establishments, or only these ones' rows).

    The territory rollup and the active-professional rows of the days are recomputed whole.
    """
    estab_ids = sorted(set(establishments)) if establishments is not None else None
    runs = day_runs(days)
    if not runs:
        return RefreshResult(days=0, runs=0)
    if connection.vendor != "postgresql":
        # The incremental path is PostgreSQL SQL (arrays, unnest, UPDATE … FROM). The embedded
        # SQLite set-up holds demo-sized data, where rebuilding everything is exact and takes
        # about a second: simpler than a second dialect of the incremental path.
        aggregates_rebuild()
        return RefreshResult(days=sum((b - a).days + 1 for a, b in runs), runs=len(runs))
    _lock()
    changed: set[tuple[date, int]] = set()
    for first, last in runs:
        changed |= _refresh_professional_days(first, last)
    for first, last in runs:
        _refresh_run(first, last, estab_ids)
    # A professional's last day in a group may have moved to another day (or establishment).
    _update_active(changed)
    return RefreshResult(days=sum((b - a).days + 1 for a, b in runs), runs=len(runs))


def _local_days(queryset: QuerySet, field: str) -> set[date]:
    return set(queryset.annotate(d=TruncDate(field)).values_list("d", flat=True).distinct().order_by())


def days_touched_since(since: datetime) -> set[date]:
    """Days whose figures may have changed since ``since``: from audit rows of shifts and missions
    (any transition a service recorded) and from timestamps (posting, booking, closing)."""
    events = AuditEvent.objects.filter(created_at__gte=since)
    shift_ids = events.filter(target_type="establishments.shift").values_list("target_id", flat=True)
    mission_ids = events.filter(target_type="missions.mission").values_list("target_id", flat=True)
    shift_ids = [int(i) for i in shift_ids if i.isdigit()]
    mission_ids = [int(i) for i in mission_ids if i.isdigit()]
    days = _local_days(Shift.objects.filter(Q(created_at__gte=since) | Q(pk__in=shift_ids)), "starts_at")
    days |= _local_days(
        Mission.objects.filter(Q(booked_at__gte=since) | Q(closed_at__gte=since) | Q(pk__in=mission_ids)),
        "shift__starts_at",
    )
    return days


@transaction.atomic
def aggregates_refresh_recent(*, now: datetime | None = None, overlap: timedelta = timedelta(minutes=2)) -> RefreshResult:
    """The periodic refresh: days touched since the last incremental run (a day back on the first)."""
    now = now or timezone.now()
    state = _lock()
    since = (state.incremental_at or now - timedelta(days=1)) - overlap
    result = aggregates_refresh(days=days_touched_since(since))
    state.incremental_at = now
    state.updated_at = timezone.now()
    state.save(update_fields=["incremental_at", "updated_at"])
    return result


def aggregates_rebuild() -> RefreshResult:
    """The nightly full rebuild: every day holding a shift, month by month (one transaction each),
    then rows of days that no longer hold any shift are dropped."""
    started = timezone.now()
    bounds = Shift.objects.aggregate(first=Min("starts_at"), last=Max("starts_at"))
    total_days = total_runs = 0
    if bounds["first"] is not None:
        first = timezone.localdate(bounds["first"])
        last = timezone.localdate(bounds["last"])
        # Active-professional rows first, every day, then their flags in one pass: the fill rows
        # read the flags.
        with transaction.atomic():
            _lock()
            ProfessionalDay.objects.all().delete()
            if connection.vendor == "postgresql":  # 18 window sorts over every row: sort in memory
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL work_mem = '256MB'")
            _insert_professional_days_flagged(first, last)
        day = first
        while day <= last:
            end = min(day + timedelta(days=MAX_RUN_DAYS - 1), last)
            with transaction.atomic():
                _lock()
                _refresh_run(day, end, None)
            total_days += (end - day).days + 1
            total_runs += 1
            day = end + timedelta(days=1)
    with transaction.atomic():
        state = _lock()
        if bounds["first"] is None:
            stale = Q()
        else:
            stale = Q(day__lt=timezone.localdate(bounds["first"])) | Q(day__gt=timezone.localdate(bounds["last"]))
        for model in (DailyFill, DailyFillArea, ProfessionalDay):
            model.objects.filter(stale).delete()
        for model, start_of in (
            (WeeklyFill, week_start), (WeeklyFillArea, week_start), (MonthlyFill, month_start), (MonthlyFillArea, month_start)
        ):
            if bounds["first"] is None:
                model.objects.all().delete()
            else:
                model.objects.filter(
                    Q(day__lt=start_of(timezone.localdate(bounds["first"])))
                    | Q(day__gt=start_of(timezone.localdate(bounds["last"])))
                ).delete()
        state.full_at = state.incremental_at = started
        state.updated_at = timezone.now()
        state.save(update_fields=["full_at", "incremental_at", "updated_at"])
    return RefreshResult(days=total_days, runs=total_runs)


@transaction.atomic
def availability_refresh(*, start: date | None = None, days: int = AVAILABILITY_HORIZON_DAYS) -> int:
    """Recount declared availability slots per day × département of residence × profession."""
    start = start or timezone.localdate()
    end = start + timedelta(days=days - 1)
    state = _lock()
    DailyAvailability.objects.filter(day__gte=start, day__lte=end).delete()
    rows = (
        Availability.objects.filter(day__gte=start, day__lte=end)
        .annotate(
            k_day=F("day"),
            k_region=F("professional__home_commune__region_id"),
            k_dep=F("professional__home_commune__departement_id"),
            k_prof=F("professional__profession_id"),
        )
        .values("k_day", "k_region", "k_dep", "k_prof")
        .annotate(s_slots=Count("id"))
        .order_by()
    )
    inserted = _insert_select(
        DailyAvailability,
        rows,
        {"k_day": "day", "k_region": "region", "k_dep": "departement", "k_prof": "profession", "s_slots": "slots"},
    )
    state.availability_at = timezone.now()
    state.save(update_fields=["availability_at"])
    return inserted


def dashboard_export_record(*, actor, scope: Scope, table: str, fmt: str, filters: Filters) -> None:
    """An ARS export leaves the platform: who took which table of which territory, with which filters.
    The row targets the region (none for the national scope, platform staff's)."""
    audit_record(actor=actor, action="dashboard.export", target=scope.region, data={
        "scope": scope.code, "table": table, "format": fmt, "start": filters.start.isoformat(),
        "end": filters.end.isoformat(), "departement": filters.departement, "profession": filters.profession,
    })
