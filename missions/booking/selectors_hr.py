"""Reads for HR's shift board: each shift with its status, proposals and assigned professionals.

The status is never stored: it is derived in SQL from the shift's state and its missions and
proposals, so it cannot drift, and the board can filter on it.

* ``cancelled`` — HR cancelled the shift;
* ``done`` — at least one mission was closed (service fait or absence) and none is still booked;
* ``filled`` — every position holds a booked (or closed) mission;
* ``proposed`` — not filled, but offers are pending;
* ``open`` — not filled, nothing pending.

Triage (issue 12): unfilled urgent shifts come first, then the others under the board's headings
(``BoardGroup``: to fill, partly filled, to close, filled, settled), each by start; each row carries
the live status of its escalation (offers sent, seen, declined, pending, candidacies, when the next
wave is due). The number of queries does not grow with the number of shifts (subqueries; prefetches
of the skills, the missions, their current contracts and the proposals).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from establishments.models import URGENT_WITHIN, Establishment, Shift, ShiftState
from missions.contracts.models import CURRENT_STATES, Contract
from missions.core.escalation import next_wave_at
from missions.core.models import (
    MatchingRun,
    MatchingRunKind,
    Mission,
    MissionState,
    Proposal,
    ProposalSource,
    ProposalState,
)
from professionals.selectors import set_directory_checks
from ville_hopital.access import CHANGE
from ville_hopital.list_pages import RowGroup, group_rows


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


#: Board statuses of a shift that still has a position to fill.
UNFILLED = (BoardStatus.OPEN, BoardStatus.PROPOSED)


def with_escalation_status(queryset: QuerySet[Shift], *, now: datetime) -> QuerySet[Shift]:
    """Annotate the live status of each shift's offers, for HR (needs ``with_board_status`` first):

    ``offers_sent`` (every offer but candidacies), ``offers_seen`` (opened by their professional),
    ``offers_declined``, ``offers_withdrawn``, ``candidacies`` (pending), ``last_wave_at``,
    ``left_to_ask`` (eligible professionals the last wave did not reach: 0 means all were asked),
    ``urgent_now`` (``Shift.objects.urgent``, the one definition) and ``triage`` (0 for an urgent
    shift still to fill, not started: the board lists those first).
    """
    offers = Proposal.objects.filter(shift=OuterRef("pk")).exclude(source=ProposalSource.CANDIDACY)
    last_run = MatchingRun.objects.filter(shift=OuterRef("pk"), kind=MatchingRunKind.URGENT).order_by(
        "-started_at", "-pk"
    )
    return queryset.annotate(
        offers_sent=_count(offers),
        offers_seen=_count(offers.filter(seen_at__isnull=False)),
        offers_declined=_count(offers.filter(state=ProposalState.DECLINED)),
        offers_withdrawn=_count(offers.filter(state=ProposalState.WITHDRAWN)),
        candidacies=_count(
            Proposal.objects.filter(shift=OuterRef("pk"), source=ProposalSource.CANDIDACY,
                                    state=ProposalState.PENDING, expires_at__gt=now)
        ),
        last_wave_at=Subquery(
            Proposal.objects.filter(shift=OuterRef("pk"), source=ProposalSource.URGENT)
            .order_by("-created_at").values("created_at")[:1]
        ),
        left_to_ask=Subquery(
            last_run.annotate(left=F("n_arcs") - F("proposals_written")).values("left")[:1],
            output_field=IntegerField(),
        ),
        urgent_now=Exists(Shift.objects.urgent(now).filter(pk=OuterRef("pk"))),
    ).annotate(
        triage=Case(
            When(urgent_now=True, state=ShiftState.PUBLISHED, starts_at__gt=now, board_status__in=UNFILLED,
                 then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )


def set_next_wave(shifts: list[Shift], *, now: datetime) -> list[Shift]:
    """Set ``next_wave`` on each row of a page: when its next wave is due (``None``: not an urgent
    shift still to fill, or every eligible professional was already asked)."""
    for shift in shifts:
        shift.next_wave = None
        if getattr(shift, "triage", 1) == 0 and shift.left_to_ask != 0:
            shift.next_wave = max(next_wave_at(shift=shift, last_wave_at=shift.last_wave_at, now=now), now)
    return shifts


class BoardGroup:
    """The board's headings, in the order HR works through them (``board_group``, computed in SQL so
    that the page's order and its groups agree):

    * ``URGENT`` — urgent, still to fill, not started (``triage`` 0: issue 12's triage comes first);
    * ``TO_FILL`` — nobody booked yet, not ended;
    * ``PARTLY`` — some positions booked, some still to fill, not ended;
    * ``TO_CLOSE`` — ended, a booked mission awaits « service fait » or « absence »;
    * ``FILLED`` — every position booked, not ended: nothing to do until it ends;
    * ``SETTLED`` — done, cancelled, or ended with nobody booked.
    """

    URGENT = 0
    TO_FILL = 1
    PARTLY = 2
    TO_CLOSE = 3
    FILLED = 4
    SETTLED = 5

    labels = {
        URGENT: _("Urgentes à pourvoir"),
        TO_FILL: _("À pourvoir"),
        PARTLY: _("Partiellement pourvues"),
        TO_CLOSE: _("À clôturer"),
        FILLED: _("Pourvues"),
        SETTLED: _("Terminées ou annulées"),
    }


def with_board_group(queryset: QuerySet[Shift], *, now: datetime) -> QuerySet[Shift]:
    """Annotate ``board_group`` (``BoardGroup``); needs ``with_escalation_status`` first."""
    return queryset.annotate(
        board_group=Case(
            When(triage=0, then=Value(BoardGroup.URGENT)),
            When(board_status__in=(BoardStatus.DONE, BoardStatus.CANCELLED), then=Value(BoardGroup.SETTLED)),
            When(ends_at__lte=now, booked_count__gt=0, then=Value(BoardGroup.TO_CLOSE)),
            When(ends_at__lte=now, then=Value(BoardGroup.SETTLED)),
            When(board_status=BoardStatus.FILLED, then=Value(BoardGroup.FILLED)),
            When(booked_count__gt=0, then=Value(BoardGroup.PARTLY)),
            default=Value(BoardGroup.TO_FILL),
            output_field=IntegerField(),
        )
    )


def board_groups(page: Iterable[Shift]) -> list[RowGroup[Shift]]:
    """A page of ``shift_board`` under its headings (« À pourvoir », « Pourvues »…)."""
    return group_rows(page, key=lambda shift: shift.board_group, heading=lambda group: str(BoardGroup.labels[group]))


@dataclass(frozen=True)
class BoardFilters:
    unit_id: int | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def shift_board(*, user, establishment: Establishment, filters: BoardFilters,
                now: datetime | None = None) -> QuerySet[Shift]:
    """The establishment's shifts, and those its sister sites shared with the legal entity, in
    ``BoardGroup`` order (urgent shifts still to fill, to fill, partly filled, to close, filled,
    settled), each group by start, each shift with its escalation status.

    Each shift carries ``changeable``: whether ``Shift.objects.for_user(user, CHANGE)`` has it (the
    board's cancel and close actions): a sister site's shared shift is on the board, never the
    user's to change, and a viewer changes none."""
    tz = timezone.get_current_timezone()
    now = now or timezone.now()
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
    queryset = with_board_status(queryset, now=now)
    if filters.status in BoardStatus.labels:
        queryset = queryset.filter(board_status=filters.status)
    # In HR's order of work (BoardGroup): on a phone, the week's past shifts used to push the work to
    # do off screen.
    queryset = with_board_group(with_escalation_status(queryset, now=now), now=now)
    queryset = queryset.annotate(changeable=Exists(Shift.objects.for_user(user, CHANGE).filter(pk=OuterRef("pk"))))
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
        .order_by("board_group", "starts_at", "pk")
    )


def set_board_directory_checks(shifts: list[Shift]) -> list[Shift]:
    """Each booked and proposed professional of the page's shifts gets ``directory_check`` (their
    RPPS in the national directory), in one query: the board shows whether they are verified."""
    set_directory_checks(
        [m.professional for shift in shifts for m in shift.board_missions]
        + [p.professional for shift in shifts for p in shift.board_proposals]
    )
    return shifts


def shift_for_hr(*, user, now: datetime | None = None) -> QuerySet[Shift]:
    """The shifts a member sees (``Shift.objects.for_user``), each with its board and escalation
    status: HR's page for one shift."""
    now = now or timezone.now()
    return with_escalation_status(
        with_board_status(Shift.objects.for_user(user), now=now), now=now
    ).select_related("establishment", "unit", "profession", "location")


def urgent_unfilled_positions(*, user, establishment: Establishment, now: datetime | None = None) -> int:
    """Positions still to fill on the establishment's published shifts starting within 48 h (urgent
    by definition): the banner of the establishment's home and board."""
    now = now or timezone.now()
    shifts = with_board_status(
        Shift.objects.for_user(user).filter(
            establishment=establishment, state=ShiftState.PUBLISHED, starts_at__gt=now,
            starts_at__lte=now + URGENT_WITHIN,
        ),
        now=now,
    ).filter(board_status__in=UNFILLED)
    total = shifts.aggregate(n=Sum(F("positions") - F("booked_count") - F("closed_count")))["n"]
    return max(int(total or 0), 0)


