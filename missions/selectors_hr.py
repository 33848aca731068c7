"""Reads for HR's shift board: each shift with its status, proposals and assigned professionals.

The status is never stored: it is derived in SQL from the shift's state and its missions and
proposals, so it cannot drift, and the board can filter on it.

* ``cancelled`` — HR cancelled the shift;
* ``done`` — at least one mission was closed (service fait or absence) and none is still booked;
* ``filled`` — every position holds a booked (or closed) mission;
* ``proposed`` — not filled, but offers are pending;
* ``open`` — not filled, nothing pending.

The number of queries does not grow with the number of shifts (two subqueries; prefetches of the
skills, the missions, their current contracts and the proposals).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from establishments.models import Establishment, Shift, ShiftState
from missions.contracts.models import CURRENT_STATES, Contract
from missions.models import Mission, MissionState, Proposal, ProposalState


class BoardStatus:
    OPEN = "open"
    PROPOSED = "proposed"
    FILLED = "filled"
    DONE = "done"
    CANCELLED = "cancelled"

    choices = [
        (OPEN, _("ouverte")),
        (PROPOSED, _("proposée")),
        (FILLED, _("pourvue")),
        (DONE, _("terminée")),
        (CANCELLED, _("annulée")),
    ]
    labels = dict(choices)


def _count(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("shift").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_board_status(queryset: QuerySet[Shift], *, now: datetime | None = None) -> QuerySet[Shift]:
    now = now or timezone.now()
    missions = Mission.objects.filter(shift=OuterRef("pk"))
    return queryset.annotate(
        booked_count=_count(missions.filter(state=MissionState.BOOKED)),
        closed_count=_count(missions.filter(state__in=[MissionState.DONE, MissionState.NO_SHOW])),
        pending_count=_count(
            Proposal.objects.filter(shift=OuterRef("pk"), state=ProposalState.PENDING, expires_at__gt=now)
        ),
    ).annotate(
        board_status=Case(
            When(state=ShiftState.CANCELLED, then=Value(BoardStatus.CANCELLED)),
            When(closed_count__gt=0, booked_count=0, then=Value(BoardStatus.DONE)),
            When(Q(positions__lte=F("booked_count") + F("closed_count")), then=Value(BoardStatus.FILLED)),
            When(pending_count__gt=0, then=Value(BoardStatus.PROPOSED)),
            default=Value(BoardStatus.OPEN),
            output_field=CharField(),
        )
    )


@dataclass(frozen=True)
class BoardFilters:
    unit_id: int | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def shift_board(*, user, establishment: Establishment, filters: BoardFilters) -> QuerySet[Shift]:
    """The establishment's shifts, and those its sister sites shared with the legal entity."""
    tz = timezone.get_current_timezone()
    queryset = Shift.objects.for_user(user).filter(
        Q(establishment=establishment)
        | Q(shared_with_legal_entity=True, establishment__finess_legal=establishment.finess_legal)
    )
    if filters.unit_id:
        queryset = queryset.filter(unit_id=filters.unit_id)
    if filters.date_from:
        queryset = queryset.filter(starts_at__gte=timezone.make_aware(datetime.combine(filters.date_from, time()), tz))
    if filters.date_to:
        end = timezone.make_aware(datetime.combine(filters.date_to + timedelta(days=1), time()), tz)
        queryset = queryset.filter(starts_at__lt=end)
    queryset = with_board_status(queryset)
    if filters.status in BoardStatus.labels:
        queryset = queryset.filter(board_status=filters.status)
    return (
        queryset.select_related("unit", "profession", "location", "establishment")
        .prefetch_related(
            "required_skills",
            Prefetch(
                "missions",
                # each mission's current contract (newest first) for its link: one query per page
                queryset=Mission.objects.select_related("professional__user").order_by("position", "booked_at")
                .prefetch_related(Prefetch(
                    "contracts", queryset=Contract.objects.filter(state__in=CURRENT_STATES).order_by("-version"),
                    to_attr="board_contracts",
                )),
                to_attr="board_missions",
            ),
            Prefetch(
                "proposals",
                queryset=Proposal.objects.filter(state=ProposalState.PENDING).select_related("professional__user"),
                to_attr="board_proposals",
            ),
        )
        .order_by("starts_at", "pk")
    )


def mission_for_hr(*, user, pk: int) -> QuerySet[Mission]:
    return Mission.objects.for_establishment_member(user).select_related("shift__establishment").filter(pk=pk)
