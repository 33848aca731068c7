"""Reads for acting on an unfilled shift: whom HR may offer it to, and whether a professional may
take it (or apply for it). They ask the one rule set, ``missions.core.eligibility``.

Apart from ``missions.booking.selectors``/``selectors_hr`` because the rule set itself reads those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from establishments.models import Shift, ShiftState
from missions.core.eligibility import Stage, exclusions_for
from missions.core.models import ACTIVE_MISSION_STATES, Mission, Proposal, ProposalSource, ProposalState
from missions.platform.eligible import eligible_professionals
from professionals.models import Professional

#: At most this many names are listed for one search.
OFFER_SEARCH_LIMIT = 20


@dataclass
class OfferCandidate:
    professional: Professional
    km: Decimal | None
    worked_here: bool
    #: Why they may not be offered the shift (HR's wording of each rule); empty: eligible.
    reasons: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons


def _name_matches(query: str) -> Q:
    """Every word of ``query`` in the first or the last name."""
    condition = Q()
    for word in query.split():
        condition &= Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word)
    return condition


def offer_candidates(*, shift: Shift, query: str, now: datetime) -> list[OfferCandidate]:
    """Professionals named like ``query`` among those eligible for ``shift`` (best first), then those
    who worked at its establishment or were already asked for it, each with the rules that keep them
    from an offer."""
    if not query.split():
        return []
    ranked = eligible_professionals(shift=shift, now=now)
    wanted = set(
        Professional.objects.filter(pk__in=[pro.pk for pro, _km in ranked]).filter(_name_matches(query))
        .values_list("pk", flat=True)
    )
    worked = _worked_here(shift)
    rows = [
        OfferCandidate(professional=pro, km=Decimal(f"{km:.1f}"), worked_here=pro.pk in worked)
        for pro, km in ranked if pro.pk in wanted
    ][:OFFER_SEARCH_LIMIT]
    asked = _asked_for(shift)
    others = (
        Professional.objects.filter(pk__in=(worked | asked) - {row.professional.pk for row in rows})
        .filter(_name_matches(query))
        .select_related("user", "home_commune")
        .order_by("user__last_name", "user__first_name", "pk")[: OFFER_SEARCH_LIMIT - len(rows)]
    )
    for pro in others:
        reasons = [exclusion.for_hr for exclusion in exclusions_for(professional=pro, shift=shift, now=now)]
        rows.append(OfferCandidate(professional=pro, km=None, worked_here=pro.pk in worked, reasons=reasons))
    return rows


def offer_candidate(*, shift: Shift, professional_id: int, now: datetime) -> Professional | None:
    """The professional HR names for ``shift``, if the search could show them (``offer_candidates``:
    eligible for it, worked at its establishment, or already asked for it); anyone else is as
    missing to HR as an id that does not exist. Whether the offer may go is the service's to say."""
    if professional_id not in _worked_here(shift) | _asked_for(shift) and not any(
        pro.pk == professional_id for pro, _km in eligible_professionals(shift=shift, now=now)
    ):
        return None
    return Professional.objects.select_related("home_commune", "user").filter(pk=professional_id).first()


def offer_candidate_by_rpps(*, shift: Shift, rpps: str, now: datetime) -> Professional | None:
    """``offer_candidate`` for the professional of this RPPS number (the API names people by it)."""
    professional_id = Professional.objects.filter(rpps=rpps).values_list("pk", flat=True).first()
    return None if professional_id is None else offer_candidate(shift=shift, professional_id=professional_id, now=now)


def _worked_here(shift: Shift) -> set[int]:
    return set(
        Mission.objects.filter(shift__establishment_id=shift.establishment_id, state__in=ACTIVE_MISSION_STATES)
        .values_list("professional_id", flat=True)
    )


def _asked_for(shift: Shift) -> set[int]:
    return set(Proposal.objects.filter(shift=shift).values_list("professional_id", flat=True))


def pending_candidacies(*, shift: Shift, now: datetime) -> QuerySet[Proposal]:
    """Professionals who offered themselves for ``shift`` and wait for HR."""
    return Proposal.objects.filter(
        shift=shift, source=ProposalSource.CANDIDACY, state=ProposalState.PENDING, expires_at__gt=now
    ).select_related("professional__user").order_by("created_at", "pk")


def open_positions(shift: Shift) -> int:
    """Positions of ``shift`` not held by an active (booked or closed) mission."""
    return shift.positions - Mission.objects.filter(shift=shift, state__in=ACTIVE_MISSION_STATES).count()


def closed_reason(*, shift: Shift, now: datetime) -> str | None:
    """Why nobody may be offered or booked on ``shift`` any more (cancelled, started, full), or ``None``."""
    if shift.state != ShiftState.PUBLISHED:
        return _("Cette vacation a été annulée.")
    if shift.starts_at <= now:
        return _("Cette vacation a déjà commencé.")
    if open_positions(shift) <= 0:
        return _("Tous les postes de cette vacation sont déjà pourvus.")
    return None


@dataclass
class TakeStatus:
    """What the professional may do on a shift of « Vacations ouvertes »."""

    urgent: bool
    #: ``booked``, ``offered`` (a live offer waits in their inbox), ``applied`` or ``""``.
    already: str
    #: Why they cannot take it or apply (the rules' messages, or the shift's state); empty: they can.
    reasons: list[str] = field(default_factory=list)

    @property
    def can_act(self) -> bool:
        return not self.already and not self.reasons


def take_status(*, professional: Professional, shift: Shift, now: datetime) -> TakeStatus:
    urgent = shift.is_urgent(now)
    mine = Proposal.objects.filter(shift=shift, professional=professional, state=ProposalState.PENDING,
                                   expires_at__gt=now).values_list("source", flat=True).first()
    if Mission.objects.filter(shift=shift, professional=professional, state__in=ACTIVE_MISSION_STATES).exists():
        return TakeStatus(urgent=urgent, already="booked")
    if mine is not None:
        return TakeStatus(urgent=urgent, already="applied" if mine == ProposalSource.CANDIDACY else "offered")
    closed = closed_reason(shift=shift, now=now)
    if closed:
        return TakeStatus(urgent=urgent, already="", reasons=[closed])
    # Taking or offering oneself is the professional's choice, like accepting: an acceptance's rules.
    exclusions = exclusions_for(professional=professional, shift=shift, now=now, stage=Stage.ACCEPT)
    return TakeStatus(urgent=urgent, already="", reasons=[exclusion.for_professional for exclusion in exclusions])
