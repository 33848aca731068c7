"""Per-day aggregates behind the ARS dashboards (derived data: rebuilt from shifts and missions).

Grain and conventions (see docs/dashboards.md):

- a row counts what happens on one **day** (the local Europe/Paris date a shift starts), in one
  **département** (of ``Shift.location``: mobile units count where they park), for one
  **profession**; ``DailyFill`` adds the establishment (and its type), ``DailyFillArea`` is the
  same figures summed without the establishment (what the region and national pages read).
- positions of published shifts are "posted"; a position is "filled" when it holds an active
  mission (booked, done or no-show); cancelled missions are counted by who cancelled.
- medians cannot be summed, so each row keeps two small histograms (time-to-fill in hours,
  travel in km) as fixed bucket columns: a period's median is read from the summed histogram,
  interpolated inside its bucket (``dashboards.figures.histogram_median``).
- distinct professionals cannot be summed either: ``ProfessionalDay`` keeps one row per
  professional × day × establishment with an active mission, counted distinct at read time.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Upper bounds of the histogram buckets; the last bucket is open ([last bound, ∞)).
TTF_BOUNDS_HOURS = (1, 2, 4, 8, 12, 24, 48, 72, 96, 120, 168, 240, 336, 504, 720)
KM_BOUNDS = (2, 5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200, 300)
TTF_FIELDS = tuple(f"ttf_{i:02d}" for i in range(len(TTF_BOUNDS_HOURS) + 1))
KM_FIELDS = tuple(f"km_{i:02d}" for i in range(len(KM_BOUNDS) + 1))

# Summable counters, in the order the refresh writes them.
SHIFT_FIELDS = ("posted", "urgent_posted", "withdrawn")
MISSION_FIELDS = (
    "filled", "urgent_filled", "done", "no_show",
    "cancelled_by_pro", "cancelled_by_estab", "cancelled_by_platform",
    "minutes_filled", "minutes_done", "km_tenths",
    *TTF_FIELDS, *KM_FIELDS,
)
COUNT_FIELDS = SHIFT_FIELDS + MISSION_FIELDS

# Distinct active professionals, made summable (see ``ProfessionalDay.last_levels``): a professional
# counts on the LAST day they are active in a group. One counter per group "level": a geography
# (0 all, 1 region, 2 département) × profession (0 any, 1 one) × establishment type (0 any, 1 one)
# for the territory pages, and establishment × geography × profession for the ranking.
AREA_LEVELS = tuple((g, p, t) for g in range(3) for p in range(2) for t in range(2))
ESTAB_LEVELS = tuple((g, p) for g in range(3) for p in range(2))
ACTIVE_FIELDS = tuple(f"act_{g}{p}{t}" for g, p, t in AREA_LEVELS) + tuple(f"acte_{g}{p}" for g, p in ESTAB_LEVELS)
FILL_FIELDS = COUNT_FIELDS + ACTIVE_FIELDS  # every summable column of the fill tables


def _ref(to: str) -> models.ForeignKey:
    """A reference from derived data: no database constraint and no index of its own (the tables are
    rebuilt from the source rows, and their composite indexes serve the reads), so that a refresh
    writes a row with three index entries rather than eight plus five deferred foreign-key checks."""
    return models.ForeignKey(to, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")


def _counter_fields() -> dict[str, models.Field]:
    labels = {
        "posted": _("postes publiés"),
        "urgent_posted": _("postes urgents publiés"),
        "withdrawn": _("postes de vacations annulées"),
        "filled": _("postes pourvus"),
        "urgent_filled": _("postes urgents pourvus"),
        "done": _("missions effectuées"),
        "no_show": _("absences"),
        "cancelled_by_pro": _("annulées par le professionnel"),
        "cancelled_by_estab": _("annulées par l'établissement"),
        "cancelled_by_platform": _("annulées par la plateforme"),
        "minutes_filled": _("minutes pourvues"),
        "minutes_done": _("minutes effectuées"),
        "km_tenths": _("distance cumulée (dixièmes de km)"),
    }
    fields: dict[str, models.Field] = {name: models.IntegerField(label, default=0, db_default=0) for name, label in labels.items()}
    # int4, not int8: PostgreSQL sums int4 in an int8 accumulator, int8 in a (much slower) numeric one.
    for name in TTF_FIELDS + KM_FIELDS + ACTIVE_FIELDS:
        fields[name] = models.IntegerField(default=0, db_default=0)
    return fields


class _FillMeta:
    abstract = True


# Built with type(): 45 counter columns written out by hand would hide the three that matter.
FillCounters = type(
    "FillCounters",
    (models.Model,),
    {
        "__module__": __name__,
        "__doc__": "The summable counters shared by both aggregate tables.",
        "Meta": _FillMeta,
        "day": models.DateField(_("jour")),
        "region": _ref("territories.Region"),
        "departement": _ref("territories.Departement"),
        "profession": _ref("reference.Profession"),
        "establishment_type": _ref("reference.EstablishmentType"),
        **_counter_fields(),
    },
)


class DailyFill(FillCounters):
    """Figures of one establishment's shifts on one day, in one département, for one profession."""

    establishment = _ref("establishments.Establishment")

    class Meta:
        verbose_name = _("agrégat journalier par établissement")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "departement", "profession", "establishment"], name="dailyfill_one_row_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["region", "day"], name="dailyfill_region_day"),
            models.Index(fields=["day"], name="dailyfill_day"),
            # The ranking page reads the full figures of the 30 establishments it shows.
            models.Index(fields=["establishment", "day"], name="dailyfill_estab_day"),
        ]


class DailyFillArea(FillCounters):
    """``DailyFill`` summed over establishments: what region-wide and national pages read."""

    class Meta:
        verbose_name = _("agrégat journalier par territoire")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "departement", "profession", "establishment_type"], name="dailyfillarea_one_row_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["region", "day"], name="dailyfillarea_region_day"),
            models.Index(fields=["day"], name="dailyfillarea_day"),
        ]


class WeeklyFillArea(FillCounters):
    """``DailyFillArea`` summed by week (``day`` is the Monday): a period reads whole weeks here and
    only its first and last few days from the daily table, so a long period costs few rows."""

    class Meta:
        verbose_name = _("agrégat hebdomadaire par territoire")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "departement", "profession", "establishment_type"], name="weeklyfillarea_one_row_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["region", "day"], name="weeklyfillarea_region_day"),
            models.Index(fields=["day"], name="weeklyfillarea_day"),
            # The weekly trend reads two counters of every week: index-only scans, no wide rows.
            models.Index(
                fields=["day"], include=["region", "departement", "profession", "posted", "filled"],
                name="weeklyfillarea_trend",
            ),
            models.Index(
                fields=["region", "day"], include=["departement", "profession", "posted", "filled"],
                name="weeklyfillarea_region_trend",
            ),
        ]


class WeeklyFill(FillCounters):
    """``DailyFill`` summed by week (``day`` is the Monday), per establishment: the ranking page."""

    establishment = _ref("establishments.Establishment")

    class Meta:
        verbose_name = _("agrégat hebdomadaire par établissement")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "departement", "profession", "establishment"], name="weeklyfill_one_row_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["region", "day"], name="weeklyfill_region_day"),
            models.Index(fields=["day"], name="weeklyfill_day"),
            # The ranking page reads the full figures of the 30 establishments it shows.
            models.Index(fields=["establishment", "day"], name="weeklyfill_estab_day"),
        ]


class MonthlyFillArea(FillCounters):
    """``DailyFillArea`` summed by month (``day`` is the 1st): a long period reads its whole months here."""

    class Meta:
        verbose_name = _("agrégat mensuel par territoire")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "departement", "profession", "establishment_type"], name="monthlyfillarea_one_row_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["region", "day"], name="monthlyfillarea_region_day"),
            models.Index(fields=["day"], name="monthlyfillarea_day"),
        ]


class MonthlyFill(FillCounters):
    """``DailyFill`` summed by month (``day`` is the 1st), per establishment: the ranking page."""

    establishment = _ref("establishments.Establishment")

    class Meta:
        verbose_name = _("agrégat mensuel par établissement")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "departement", "profession", "establishment"], name="monthlyfill_one_row_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["region", "day"], name="monthlyfill_region_day"),
            models.Index(fields=["day"], name="monthlyfill_day"),
            # The ranking page reads the full figures of the 30 establishments it shows.
            models.Index(fields=["establishment", "day"], name="monthlyfill_estab_day"),
        ]


class ProfessionalDay(models.Model):
    """A professional with an active mission that day there: counted distinct for 'active professionals'."""

    day = models.DateField()
    region = _ref("territories.Region")
    departement = _ref("territories.Departement")
    profession = _ref("reference.Profession")
    establishment_type = _ref("reference.EstablishmentType")
    establishment = _ref("establishments.Establishment")
    professional = _ref("professionals.Professional")
    # Bit i set: this row is the professional's last active day in the group of level i (bits 0-11:
    # AREA_LEVELS, 12-17: ESTAB_LEVELS; among rows of one day, the last by id). Summed into the fill
    # tables' ``act_*`` counters, so that a period's distinct count is a sum (see services).
    last_levels = models.IntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "departement", "profession", "establishment", "professional"],
                name="professionalday_one_row_per_key",
            )
        ]
        # Covering every column the distinct counts read: index-only scans, no table visit.
        indexes = [
            models.Index(
                fields=["region", "day", "departement", "profession", "establishment_type", "professional"],
                name="proday_region_covering",
            ),
            models.Index(
                fields=["day", "departement", "profession", "establishment_type", "professional"],
                name="proday_day_covering",
            ),
            # The professional's other days: flag upkeep, and the read-time correction.
            models.Index(fields=["professional", "day"], name="proday_professional_day"),
        ]


class DailyAvailability(models.Model):
    """Declared availability slots of professionals living in a département, per day and profession."""

    day = models.DateField()
    region = _ref("territories.Region")
    departement = _ref("territories.Departement")
    profession = _ref("reference.Profession")
    slots = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "departement", "profession"], name="dailyavailability_one_row_per_key")
        ]
        indexes = [models.Index(fields=["region", "day"], name="dailyavail_region_day")]


class RefreshState(models.Model):
    """One row: when the aggregates were last refreshed (and the row refreshes lock on)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    incremental_at = models.DateTimeField(null=True, blank=True)
    full_at = models.DateTimeField(null=True, blank=True)
    availability_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("état des agrégats")
