"""Reads about proposals and missions.

Keep functions grouped by topic; each group says who uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from establishments.models import Shift, ShiftState
from missions.models import ACTIVE_MISSION_STATES, Mission, MissionState, Proposal, ProposalState
from missions.selectors_hr import BoardStatus, with_board_status
from professionals.models import Professional
from territories.geo import haversine_km
from territories.models import Commune

# --------------------------------------------------------------------------- #
# Working-time rules (used by proposal_accept, and by matching explanations)
# --------------------------------------------------------------------------- #

#: Daily rest: 11 consecutive hours per 24 h (Code du travail L3131-1, public-hospital decree 2002-9).
DAILY_REST = timedelta(hours=11)
#: A working day may span at most 24 h − 11 h: two missions closer than 11 h form one working day.
MAX_AMPLITUDE = timedelta(hours=24) - DAILY_REST
#: After 24 h of continuous work, an equivalent rest (24 h) before the next mission.
LONG_SHIFT = timedelta(hours=24)
#: At most 48 h of work over any 7 consecutive days, across all establishments.
WEEK = timedelta(days=7)
MAX_WEEK_HOURS = 48


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _required_rest(duration: timedelta) -> timedelta:
    return LONG_SHIFT if duration >= LONG_SHIFT else DAILY_REST


def working_time_violations(
    *, professional: Professional, starts_at: datetime, ends_at: datetime, exclude_mission_id: int | None = None
) -> list[str]:
    """Why ``professional`` may not work from ``starts_at`` to ``ends_at``, given their active missions
    in every establishment (an empty list: they may).

    Rules, as encoded (documented choices where the law leaves room):

    * **overlap**: never two missions at the same time;
    * **11 h rest**: between two missions, at least 11 h of rest — unless both fit in one working
      day of at most 13 h from the first start to the last end (e.g. 08–12 then 14–18), so that the
      11 h rest of that 24 h still holds; after a mission of 24 h or more the rest is 24 h;
    * **48 h / 7 days**: the hours worked in any window of 7 consecutive days (rolling, not
      calendar weeks) stay ≤ 48 h.
    """
    booked = list(
        Mission.objects.filter(
            professional=professional,
            state__in=ACTIVE_MISSION_STATES,
            starts_at__lt=ends_at + WEEK,
            ends_at__gt=starts_at - WEEK,
        )
        .exclude(pk=exclude_mission_id)
        .select_related("shift__establishment")
        .order_by("starts_at")
    )
    problems: list[str] = []
    new_duration = ends_at - starts_at
    for mission in booked:
        if mission.starts_at < ends_at and starts_at < mission.ends_at:
            problems.append(
                _("Chevauche votre mission du %(start)s chez %(where)s.")
                % {"start": _when(mission.starts_at), "where": mission.shift.establishment.name}
            )
            continue
        if mission.ends_at <= starts_at:  # the booked one comes first
            gap, before = starts_at - mission.ends_at, mission.ends_at - mission.starts_at
        else:
            gap, before = mission.starts_at - ends_at, new_duration
        amplitude = max(ends_at, mission.ends_at) - min(starts_at, mission.starts_at)
        rest = _required_rest(before)
        if gap < rest and (rest > DAILY_REST or amplitude > MAX_AMPLITUDE):
            problems.append(
                _(
                    "Repos insuffisant : %(gap)s h seulement entre cette vacation et votre mission du %(start)s "
                    "(il faut %(rest)s h de repos)."
                )
                % {
                    "gap": _hours_text(gap),
                    "start": _when(mission.starts_at),
                    "rest": _hours_text(rest),
                }
            )
    worst = _max_hours_in_any_week(
        [(m.starts_at, m.ends_at) for m in booked if not (m.starts_at < ends_at and starts_at < m.ends_at)],
        starts_at,
        ends_at,
    )
    if worst > MAX_WEEK_HOURS:
        problems.append(
            _("Plus de 48 h de travail sur 7 jours glissants (%(hours)s h avec cette vacation).")
            % {"hours": _hours_text(timedelta(hours=float(worst)))}
        )
    return problems


def _hours_text(delta: timedelta) -> str:
    hours = Decimal(delta.total_seconds()) / Decimal(3600)
    return f"{hours.quantize(Decimal('0.1')).normalize():f}".replace(".", ",")


def _max_hours_in_any_week(others: list[tuple[datetime, datetime]], starts_at: datetime, ends_at: datetime) -> Decimal:
    """The most hours worked in a 7-day window that contains part of the new mission.

    The worked hours in a sliding window are piecewise linear in its start, so the maximum is
    reached when a window edge meets a mission's start or end: only those windows are tried.
    """
    intervals = [*others, (starts_at, ends_at)]
    candidates = {s for s, _e in intervals} | {e - WEEK for _s, e in intervals}
    best = Decimal(0)
    for window_start in candidates:
        window_end = window_start + WEEK
        if window_end <= starts_at or window_start >= ends_at:
            continue
        seconds = sum(
            max(0.0, (min(e, window_end) - max(s, window_start)).total_seconds()) for s, e in intervals
        )
        best = max(best, Decimal(int(seconds)) / Decimal(3600))
    return best


def month_bounds(day: date) -> tuple[datetime, datetime]:
    """The aware start of ``day``'s calendar month and of the next one (local time, Europe/Paris)."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        timezone.make_aware(datetime.combine(first, datetime.min.time())),
        timezone.make_aware(datetime.combine(following, datetime.min.time())),
    )


def insured_on(*, professional: Professional, day: date) -> bool:
    """Whether the professional's RCP insurance is valid on ``day``: the one insurance rule
    (``Professional.objects.eligible_on``), read by ``proposal_accept`` and the matching's explanations."""
    return Professional.objects.eligible_on(day).filter(pk=professional.pk).exists()


def missions_in_month_count(*, professional: Professional, day: date, exclude_mission_id: int | None = None) -> int:
    """Active (not cancelled) missions of the professional starting in ``day``'s calendar month."""
    start, end = month_bounds(day)
    return (
        Mission.objects.filter(
            professional=professional, state__in=ACTIVE_MISSION_STATES, starts_at__gte=start, starts_at__lt=end
        )
        .exclude(pk=exclude_mission_id)
        .count()
    )


# --------------------------------------------------------------------------- #
# The professional's pages (missions.views.professional)
# --------------------------------------------------------------------------- #


def slot_label(starts_at: datetime) -> str:
    """« jour » for a shift starting between 06:00 and 17:59 (local time), « nuit » otherwise."""
    return _("jour") if 6 <= timezone.localtime(starts_at).hour < 18 else _("nuit")


def proposals_inbox(*, user) -> list[Proposal]:
    """Pending, unexpired proposals of the user, soonest expiry first, with what the inbox shows
    (``slot_label`` added to each)."""
    rows = list(
        Proposal.objects.for_professional(user)
        .pending()
        .select_related("shift__establishment__commune", "shift__unit", "shift__profession")
        .order_by("expires_at", "pk")
    )
    for proposal in rows:
        proposal.slot_label = slot_label(proposal.shift.starts_at)
    return rows


def proposals_recent(*, user, limit: int = 20) -> QuerySet[Proposal]:
    """The latest answered, expired or withdrawn proposals (history under the inbox)."""
    return (
        Proposal.objects.for_professional(user)
        .exclude(state=ProposalState.PENDING)
        .select_related("shift__establishment", "shift__unit")
        .order_by("-decided_at", "-pk")[:limit]
    )


def my_missions(*, user) -> QuerySet[Mission]:
    return Mission.objects.for_professional(user).select_related(
        "shift__establishment__commune", "shift__unit", "shift__profession"
    )


@dataclass(frozen=True)
class MonthEarnings:
    month: date
    missions: int
    amount: Decimal


def earnings_by_month(*, user) -> list[MonthEarnings]:
    """Missions marked done (service fait) and their pay, per calendar month of the start (local time)."""
    rows = (
        Mission.objects.for_professional(user)
        .filter(state=MissionState.DONE)
        .annotate(month=TruncMonth("starts_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(amount=Sum("pay"), missions=Count("pk"))
        .order_by("-month")
    )
    return [
        MonthEarnings(month=_as_date(row["month"]), missions=row["missions"], amount=row["amount"] or Decimal(0))
        for row in rows
    ]


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


# --------------------------------------------------------------------------- #
# Shifts a professional may see (missions.views.matching: open shifts, "why not proposed")
# --------------------------------------------------------------------------- #


def shifts_visible_to_professional(*, professional: Professional) -> QuerySet[Shift]:
    """Shifts a professional can see and ask about: their profession, placed in their home region
    (the region whose ARS they depend on). Any state, any date: the explanation page also answers
    about a shift that filled up since. A neighbouring region's shift is out of scope (a 404)."""
    return Shift.objects.filter(
        profession_id=professional.profession_id, location__region_id=professional.home_commune.region_id
    )


def open_shifts_for_professional(
    *, professional: Professional, departement_code: str | None = None, urgent_only: bool = False
) -> QuerySet[Shift]:
    """The visible shifts still worth looking at: published, not started, not every position taken;
    soonest first. Each row carries ``my_pending_proposal`` and ``my_booking`` (this professional
    holds a live offer / a booked mission on it), computed in SQL so a page costs the same number
    of queries whatever its length."""
    now = timezone.now()
    queryset = with_board_status(
        shifts_visible_to_professional(professional=professional).filter(
            state=ShiftState.PUBLISHED, starts_at__gt=now
        ),
        now=now,
    ).filter(board_status__in=[BoardStatus.OPEN, BoardStatus.PROPOSED])  # "filled" is the one definition of full
    if departement_code:
        queryset = queryset.filter(location__departement_id=departement_code)
    if urgent_only:
        queryset = queryset.urgent(now)
    return (
        queryset.annotate(
            my_pending_proposal=Exists(
                Proposal.objects.filter(
                    shift=OuterRef("pk"), professional=professional, state=ProposalState.PENDING, expires_at__gt=now
                )
            ),
            my_booking=Exists(
                Mission.objects.filter(shift=OuterRef("pk"), professional=professional, state=MissionState.BOOKED)
            ),
        )
        .select_related("establishment", "unit", "location")
        .order_by("starts_at", "pk")
    )


def set_distance_km(shifts: list[Shift], *, origin: Commune) -> list[Shift]:
    """Set ``distance_km`` (as the crow flies, 0.1 km) from ``origin`` on each shift's location.

    Done in Python on one page's rows: the database has no geo extension, and the matching
    measures with the same haversine (territories.geo), so the figure agrees with the proposals'."""
    if not shifts:
        return shifts
    distances = haversine_km(
        origin.latitude,
        origin.longitude,
        [shift.location.latitude for shift in shifts],
        [shift.location.longitude for shift in shifts],
    )
    for shift, km in zip(shifts, distances, strict=True):
        shift.distance_km = Decimal(f"{km:.1f}")
    return shifts
