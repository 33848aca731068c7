"""Reads about proposals and missions.

Keep functions grouped by topic; each group says who uses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from establishments.models import Shift, ShiftState
from missions.booking.selectors_hr import BoardStatus, with_board_status
from missions.core.models import Mission, MissionState, Proposal, ProposalSource, ProposalState
from professionals.models import Professional
from territories.geo import haversine_km
from territories.models import Commune
from ville_hopital.access import VIEW, Action
from ville_hopital.list_pages import RowGroup, group_by_week

# --------------------------------------------------------------------------- #
# The professional's pages (missions.booking.views.professional)
# --------------------------------------------------------------------------- #


def slot_label(starts_at: datetime) -> str:
    """« jour » for a shift starting between 06:00 and 17:59 (local time), « nuit » otherwise."""
    return _("jour") if 6 <= timezone.localtime(starts_at).hour < 18 else _("nuit")


def about_me(queryset: QuerySet, user, action: Action = VIEW) -> QuerySet:
    """The professional's pages (inbox, « Mes missions », earnings) and their rows.

    What ``user`` may see or act on is ``for_user(user, action)``, the one access rule. These pages are about the
    user *as a professional*: they then narrow to the rows about their own profile. A person who is
    both a professional and an HR member sees their site's missions on HR's board, not in « Mes
    missions ». The narrowing only removes rows from an already restricted queryset: it grants
    nothing, so it is a page's filter, not an access rule."""
    return queryset.for_user(user, action).filter(professional__in=Professional.objects.for_user(user, VIEW))


def proposals_inbox(*, user) -> QuerySet[Proposal]:
    """Pending, unexpired offers to the user (not their own candidacies), by the shift's start (the
    inbox groups them by week), the soonest expiry first within a start."""
    return (
        about_me(Proposal.objects, user)
        .pending()
        .exclude(source=ProposalSource.CANDIDACY)  # their own candidacies wait for HR, not for them
        .select_related("shift__establishment__commune", "shift__unit", "shift__profession")
        .order_by("shift__starts_at", "expires_at", "pk")
    )


def set_slot_labels(proposals: list[Proposal]) -> list[Proposal]:
    """What the inbox shows of each offer of a page: ``slot_label`` (« jour » / « nuit »)."""
    for proposal in proposals:
        proposal.slot_label = slot_label(proposal.shift.starts_at)
    return proposals


def proposals_by_week(page: Iterable[Proposal]) -> list[RowGroup[Proposal]]:
    """A page of the inbox in weeks of the shifts' start (« Cette semaine », « La semaine prochaine »…)."""
    return group_by_week(page, when=lambda proposal: proposal.shift.starts_at)


def proposals_recent(*, user, limit: int = 20) -> QuerySet[Proposal]:
    """The latest answered, expired or withdrawn proposals (history under the inbox)."""
    return (
        about_me(Proposal.objects, user)
        .exclude(state=ProposalState.PENDING)
        .select_related("shift__establishment", "shift__unit")
        .order_by("-decided_at", "-pk")[:limit]
    )


#: What « Mes missions » and a mission's page show of each mission.
MISSION_RELATED = ("shift__establishment__commune", "shift__unit", "shift__profession")


class MissionView:
    """The three lists of « Mes missions » (``?vue=``), each paginated and grouped by week."""

    UPCOMING = "a-venir"
    PAST = "passees"
    CANCELLED = "annulees"

    labels = {UPCOMING: gettext_lazy("À venir"), PAST: gettext_lazy("Passées"), CANCELLED: gettext_lazy("Annulées")}


def _mission_view_filters(now: datetime) -> dict[str, Q]:
    return {
        MissionView.UPCOMING: Q(state=MissionState.BOOKED, ends_at__gt=now),
        MissionView.PAST: Q(state__in=[MissionState.DONE, MissionState.NO_SHOW])
        | Q(state=MissionState.BOOKED, ends_at__lte=now),
        MissionView.CANCELLED: Q(state=MissionState.CANCELLED),
    }


def my_missions_in(*, user, view: str, now: datetime | None = None) -> QuerySet[Mission]:
    """One list of « Mes missions »: upcoming ones soonest first, past and cancelled ones latest first."""
    condition = _mission_view_filters(now or timezone.now())[view]
    order = ("starts_at", "pk") if view == MissionView.UPCOMING else ("-starts_at", "-pk")
    return (
        about_me(Mission.objects, user)
        .select_related(*MISSION_RELATED)
        .filter(condition)
        .order_by(*order)
    )


def my_mission_counts(*, user, now: datetime | None = None) -> dict[str, int]:
    """How many missions each list of « Mes missions » holds (one query)."""
    filters = _mission_view_filters(now or timezone.now())
    names = {view: f"n{index}" for index, view in enumerate(filters)}  # aggregate names are identifiers
    counts = about_me(Mission.objects, user).aggregate(
        **{names[view]: Count("pk", filter=condition) for view, condition in filters.items()}
    )
    return {view: counts[name] for view, name in names.items()}


def missions_by_week(page: Iterable[Mission]) -> list[RowGroup[Mission]]:
    """A page of « Mes missions » in weeks of the missions' start."""
    return group_by_week(page, when=lambda mission: mission.starts_at)


@dataclass(frozen=True)
class MonthEarnings:
    month: date
    missions: int
    amount: Decimal


def earnings_by_month(*, user) -> list[MonthEarnings]:
    """Missions marked done (service fait) and their pay, per calendar month of the start (local time)."""
    rows = (
        about_me(Mission.objects, user)
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
# Shifts a professional may see (missions.platform.views.matching: open shifts, "why not proposed")
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
    soonest first. Each row carries ``my_pending_proposal``, ``my_candidacy`` and ``my_booking`` (this
    professional holds a live offer / offered themselves / holds a booked mission on it), computed in
    SQL so a page costs the same number of queries whatever its length."""
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
                ).exclude(source=ProposalSource.CANDIDACY)
            ),
            my_candidacy=Exists(
                Proposal.objects.filter(
                    shift=OuterRef("pk"), professional=professional, state=ProposalState.PENDING, expires_at__gt=now,
                    source=ProposalSource.CANDIDACY,
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


def shifts_by_week(page: Iterable[Shift]) -> list[RowGroup[Shift]]:
    """A page of « Vacations ouvertes » in weeks of the shifts' start."""
    return group_by_week(page, when=lambda shift: shift.starts_at)


# --------------------------------------------------------------------------- #
# Both parties' lists (missions.booking.api): the professional's own rows and the rows on the
# shifts of the user's establishments, as ``for_user`` has them
# --------------------------------------------------------------------------- #

#: What the API says of an offer's or a mission's shift and professional, loaded with the row.
BOOKING_RELATED = ("shift__establishment", "shift__unit", "professional__user")


def offers_visible(*, user) -> QuerySet[Proposal]:
    """The offers ``user`` may read (``Proposal.objects.for_user``): the professional's own, the
    members' on their establishments' shifts (and on those shared with their legal entity), each
    with its mission, if any; by the shift's start."""
    return (
        Proposal.objects.for_user(user, VIEW)
        .select_related(*BOOKING_RELATED, "mission")
        .order_by("shift__starts_at", "pk")
    )


def missions_visible(*, user) -> QuerySet[Mission]:
    """The missions ``user`` may read (``Mission.objects.for_user``), either side, by start."""
    return Mission.objects.for_user(user, VIEW).select_related(*BOOKING_RELATED).order_by("starts_at", "pk")


def accepted_mission(*, user, proposal: Proposal) -> Mission | None:
    """The live mission ``proposal`` booked, as its professional sees it (a retried acceptance)."""
    return about_me(Mission.objects, user).filter(proposal=proposal).exclude(state=MissionState.CANCELLED).first()
