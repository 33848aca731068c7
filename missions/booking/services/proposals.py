"""Proposals: an offer of one shift to one professional, and its answers.

State machine (``missions.models.PROPOSAL_TRANSITIONS``): pending → accepted | declined | expired |
withdrawn. Every transition writes an audit row. ``proposal_accept`` is the one place a mission is
booked: it is race-free (row locks, then the database constraints as the last line).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from establishments.models import Shift
from missions.booking.services.missions import aggregates_refresh_queue
from missions.booking.services.notices import (
    WITHDRAWN_SHIFT_FULL,
    mission_booked_notify,
    proposals_withdrawn_notify,
)
from missions.core.eligibility import Stage, exclusions_for, stage_rules
from missions.core.models import Mission, MissionState, Proposal, ProposalSource, ProposalState
from missions.core.webhook_events import shift_filled_emit
from professionals.models import Professional
from ville_hopital.access import CHANGE
from ville_hopital.audit import audit_record
from ville_hopital.task_queue import task_queue_on_commit
from ville_hopital.transitions import transition, transition_check


@transaction.atomic
def proposal_create(
    *,
    shift: Shift,
    professional: Professional,
    source: str,
    distance_km: Decimal,
    expires_at: datetime,
    wave: int = 1,
    matching_run_id: int | None = None,
) -> Proposal:
    """Offer ``shift`` to ``professional`` (the matching engine, HR's manual offers, tests, the demo).

    Idempotent: a pending proposal for the same pair is returned as it is (a re-run of the nightly
    matching never stacks offers). Refused: an expiry in the past, and what the rules of
    ``missions.core.eligibility`` refuse for every offer (``Stage.CREATE``: a shift closed or on a
    forbidden contract route, another profession, a missing required skill, a blocked pair, a
    professional already booked on this shift), each message under the field it is about. The
    other rules (notice, availability, working time…) are the matching's and HR's question
    (``exclusions_for``), asked before they offer.
    """
    existing = Proposal.objects.filter(shift=shift, professional=professional, state=ProposalState.PENDING).first()
    if existing is not None:
        return existing
    now = timezone.now()
    if source not in ProposalSource.values:
        raise ValidationError({"source": _("Origine de proposition inconnue : %(s)s.") % {"s": source}})
    errors: dict[str, list[str]] = {}
    if expires_at <= now:
        errors["expires_at"] = [_("L'expiration doit être dans le futur.")]
    fields = {rule.code: rule.field for rule in stage_rules(Stage.CREATE)}
    for exclusion in exclusions_for(professional=professional, shift=shift, now=now, stage=Stage.CREATE):
        errors.setdefault(fields[exclusion.code], []).append(exclusion.for_hr)
    if errors:
        raise ValidationError(errors)
    proposal = Proposal(
        shift=shift,
        professional=professional,
        source=source,
        distance_km=Decimal(distance_km).quantize(Decimal("0.1")),
        # An offer never outlives the start of its shift.
        expires_at=min(expires_at, shift.starts_at),
        wave=wave,
        matching_run_id=matching_run_id,
        created_at=now,
    )
    proposal.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            proposal.save()
    except IntegrityError:
        # Another transaction created the pending pair between our read and our insert.
        return Proposal.objects.get(shift=shift, professional=professional, state=ProposalState.PENDING)
    audit_record(
        actor=None,
        action="proposal.create",
        target=proposal,
        to_state=ProposalState.PENDING,
        data={"source": source, "wave": wave, "matching_run_id": matching_run_id, "distance_km": str(proposal.distance_km)},
    )
    return proposal


def _check_actor_owns(actor, proposal: Proposal) -> None:
    if getattr(actor, "pk", None) is None or proposal.professional.user_id != actor.pk:
        raise PermissionDenied(_("Cette proposition ne vous est pas adressée."))


def _first_free_position(shift: Shift) -> int | None:
    taken = set(
        Mission.objects.filter(shift=shift).exclude(state=MissionState.CANCELLED).values_list("position", flat=True)
    )
    return next((n for n in range(1, shift.positions + 1) if n not in taken), None)


@transaction.atomic
def proposal_accept(*, actor, proposal: Proposal, candidacy_confirmed_by=None) -> Mission:
    """The professional accepts: book the lowest free position of the shift, or refuse with the reason.

    A candidacy (the professional offered themselves) was already their acceptance: the establishment
    confirms it (``candidacy_confirm``, which names its HR member in ``candidacy_confirmed_by``);
    the professional accepting it themselves is refused, naming ``source``, whatever the door (the
    page, the API).

    Locks, always in this order (so two acceptances can never deadlock): the shift row, then the
    professional row, then the proposal. Under those locks every rule is checked again on fresh
    data: the proposal is pending and unexpired; the rules of ``missions.core.eligibility`` for an
    acceptance (``Stage.ACCEPT``: the shift is published and not started; no block either way; RCP
    insurance valid on the shift's day — one that lapsed since the offer refuses; no overlapping
    mission anywhere; the 11 h rest, the rest after a 24 h guard and 48 h / 7 days, in hours; the
    monthly cap, missions starting in the shift's calendar month), all of their messages at once;
    then a position is free. Their other pending offers do not count as booked here, and the
    short notice of an offer is not checked: ``min_notice_hours`` filters what is offered,
    accepting is their choice.
    When the shift becomes full, its other pending proposals are withdrawn. The professional and the
    establishment's admin/HR members are told (``mission.booked``, after the commit).
    """
    now = timezone.now()
    shift = Shift.objects.select_for_update().get(pk=proposal.shift_id)
    professional = Professional.objects.select_for_update().get(pk=proposal.professional_id)
    proposal = Proposal.objects.select_for_update().select_related("professional").get(pk=proposal.pk)
    _check_actor_owns(actor, proposal)
    if proposal.source == ProposalSource.CANDIDACY and candidacy_confirmed_by is None:
        raise ValidationError({"source": _("Une candidature se confirme par l'établissement, pas par vous.")})
    transition_check(proposal, to_state=ProposalState.ACCEPTED)
    if proposal.expires_at <= now:
        raise ValidationError(_("Cette proposition a expiré."))
    refused = exclusions_for(professional=professional, shift=shift, now=now, stage=Stage.ACCEPT)
    if refused:
        raise ValidationError([exclusion.for_professional for exclusion in refused])
    position = _first_free_position(shift)
    if position is None:
        raise ValidationError(_("Tous les postes de cette vacation sont déjà pourvus."))
    mission = Mission(
        shift=shift,
        position=position,
        professional=professional,
        proposal=proposal,
        pay=shift.pay,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        distance_km=proposal.distance_km,
        booked_at=now,
    )
    mission.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            mission.save()
    except IntegrityError as error:
        raise ValidationError(_("Ce poste vient d'être pourvu ou vous êtes déjà inscrit sur cette vacation.")) from error
    proposal.decided_at = now
    transition(proposal, to_state=ProposalState.ACCEPTED, actor=actor, action="proposal.accept",
               update_fields=["decided_at"])
    audit_record(
        actor=actor,
        action="mission.book",
        target=mission,
        to_state=MissionState.BOOKED,
        data={"shift": shift.pk, "position": position, "pay": str(mission.pay)},
    )
    if _first_free_position(shift) is None:
        proposals_withdraw(actor=None, shift=shift, reason=WITHDRAWN_SHIFT_FULL)
        shift_filled_emit(shift=shift, mission=mission)
    mission_booked_notify(mission=mission)
    task_queue_on_commit("missions.contracts.tasks.draft", mission.pk)  # contracts
    aggregates_refresh_queue(shift=shift)
    return mission


@transaction.atomic
def proposal_decline(*, actor, proposal: Proposal, reason: str = "") -> Proposal:
    """The professional says no (the reason is optional and shown to no one but the audit and HR)."""
    proposal = Proposal.objects.select_for_update().select_related("professional").get(pk=proposal.pk)
    _check_actor_owns(actor, proposal)
    transition_check(proposal, to_state=ProposalState.DECLINED)
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise ValidationError({"reason": _("Le motif ne doit pas dépasser 300 caractères.")})
    proposal.decided_at = timezone.now()
    proposal.decline_reason = reason
    transition(proposal, to_state=ProposalState.DECLINED, actor=actor, action="proposal.decline",
               data={"reason": reason}, update_fields=["decided_at", "decline_reason"])
    return proposal


@transaction.atomic
def proposals_withdraw(*, actor, shift: Shift, reason: str = "") -> int:
    """Withdraw every pending proposal of ``shift`` (it is full, or HR cancelled it) and tell each
    holder (``proposal.withdrawn``). Returns how many."""
    now = timezone.now()
    pending = list(
        Proposal.objects.select_for_update(skip_locked=True).filter(shift=shift, state=ProposalState.PENDING)
    )
    for proposal in pending:
        proposal.decided_at = now
        transition(proposal, to_state=ProposalState.WITHDRAWN, actor=actor, action="proposal.withdraw",
                   data={"reason": reason}, update_fields=["decided_at"])
    proposals_withdrawn_notify(shift=shift, proposals=pending, reason=reason)
    return len(pending)


@transaction.atomic
def proposals_expire(*, now: datetime | None = None) -> int:
    """Pending proposals past their expiry become expired (periodic task; idempotent). Returns how many.

    Rows another transaction holds (an acceptance in progress) are skipped and handled next run.
    """
    now = now or timezone.now()
    due = list(
        Proposal.objects.select_for_update(skip_locked=True).filter(state=ProposalState.PENDING, expires_at__lte=now)
    )
    for proposal in due:
        proposal.decided_at = now
        transition(proposal, to_state=ProposalState.EXPIRED, actor=None, action="proposal.expire",
                   update_fields=["decided_at"])
    return len(due)


@transaction.atomic
def proposals_mark_seen(*, actor, proposals: list[Proposal], now: datetime | None = None) -> int:
    """The professional has these pending offers in front of them: stamp ``seen_at`` once (HR's live
    status counts them as seen). Not a state change: no audit row. Returns how many were stamped."""
    # The access method decides; the page is the professional's inbox, so only offers made to them.
    return (
        Proposal.objects.for_user(actor, CHANGE)
        .filter(professional__in=Professional.objects.for_user(actor, CHANGE))
        .filter(pk__in=[p.pk for p in proposals], state=ProposalState.PENDING, seen_at__isnull=True)
        .update(seen_at=now or timezone.now())
    )
