"""Urgent shifts: the waves of offers that escalate until a position is taken, and what HR and the
professionals themselves may do about a shift that is not filled.

Escalation (DESIGN.md §4). A wave offers the shift to the best-ranked eligible professionals not
asked yet (``missions.platform.eligible.eligible_professionals``: one rule set, best first); how many and
how often is set by how soon the shift starts (``missions.core.escalation.ESCALATION``, data). Waves go on until every
eligible professional has been asked; the first valid acceptance wins (``proposal_accept``,
race-free) and, the shift being full, the other offers are withdrawn and their holders told. With
a real worker the next wave is a countdown task on the broker; the periodic ``match_urgent_pending``
sends any wave that is due (a lost message, the embedded set-up where Celery is eager).

HR's actions on an unfilled shift (an admin/HR member of the shift's establishment, audited):
``shift_offer_to`` a named eligible professional, ``shift_pay_raise`` within the legal cap (the
next wave goes out at once), ``shift_flag_urgent``, ``candidacy_confirm``.

The professional's: ``shift_take`` an urgent position at once (``proposal_create`` then
``proposal_accept`` in one transaction, under the locks of ``proposal_accept``: one booking code),
``shift_apply`` for a later one (a pending ``candidacy``: HR confirms it, or it expires like a
nightly offer and the next nightly matching decides), ``proposals_mark_seen`` when their inbox
shows offers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from establishments.access import establishment_require
from establishments.models import Shift, ShiftState
from missions.booking.services.proposals import proposal_accept, proposal_create
from missions.core.eligibility import Stage, exclusions_for
from missions.core.escalation import next_wave_at, wave_plan
from missions.core.models import (
    ACTIVE_MISSION_STATES,
    MatchingRun,
    MatchingRunKind,
    MatchingRunState,
    Mission,
    Proposal,
    ProposalSource,
)
from missions.core.partition import FORBIDDEN_ROUTE
from missions.platform.eligible import eligible_professionals
from missions.platform.selectors_urgent import closed_reason, open_positions
from missions.platform.services.matching import proposals_notify_on_commit
from missions.platform.writes import NIGHTLY_EXPIRY_MARGIN, WRITE_LOCK_KEY, advisory_xact_lock
from professionals.models import Professional
from territories.geo import haversine_km
from ville_hopital.access import CHANGE
from ville_hopital.audit import audit_record
from ville_hopital.money import format_amount, round_eur
from ville_hopital.task_queue import task_queue_on_commit
from ville_hopital.transitions import transition

#: Wave number of offers made outside the waves (HR's named offer, a position taken, a candidacy):
#: they neither count as a wave sent nor delay the next one.
OUTSIDE_WAVES = 0


def _shift_lock_key(shift_id: int) -> int:
    return (0x5655 << 48) + int(shift_id)  # 'VU' + the shift id


def _offer_expiry(now: datetime) -> datetime:
    """An offer lives ``PROPOSAL_TTL_HOURS`` (``proposal_create`` never lets it outlive the shift's start)."""
    return now + timedelta(hours=settings.PROPOSAL_TTL_HOURS)


def _km(professional: Professional, shift: Shift) -> Decimal:
    home, place = professional.home_commune, shift.location
    return Decimal(f"{haversine_km(home.latitude, home.longitude, place.latitude, place.longitude):.1f}")


def _wave_queue_on_commit(shift_id: int, wave: int, *, countdown: int = 0) -> None:
    # Eager Celery (embedded set-up, tests) would run a countdown at once, sending every wave now:
    # there the periodic ``match_urgent_pending`` sends the next wave when it is due.
    if countdown and current_app.conf.task_always_eager:
        return
    task_queue_on_commit("missions.tasks.match_urgent_shift", shift_id, wave, countdown=countdown)


# --------------------------------------------------------------------------------------------
# Escalation
# --------------------------------------------------------------------------------------------


def urgent_shift_match(*, shift: Shift, wave: int | None = None, now: datetime | None = None) -> int:
    """Send the next wave of offers for an urgent shift; return how many were sent.

    ``wave`` is the wave the caller expects to send: a retried task whose wave was already sent
    sends nothing (idempotent). The wave goes to the ``wave_plan(...).size(wave)`` best eligible
    professionals not asked yet (at least as many as open positions); if some are left, the next
    wave is queued ``every`` later. A wave holds the shift's advisory lock (one wave at a time per
    shift) and the proposals write lock (waves and nightly writes never offer one professional two
    shifts of the same slot at once).
    """
    now = now or timezone.now()
    with transaction.atomic():
        advisory_xact_lock(_shift_lock_key(shift.pk))
        shift = Shift.objects.select_related("location").get(pk=shift.pk)
        if shift.state != ShiftState.PUBLISHED or shift.starts_at <= now or shift.contract_route == FORBIDDEN_ROUTE:
            return 0
        still_open = open_positions(shift)
        if still_open <= 0:
            return 0
        last_wave = Proposal.objects.filter(shift=shift).aggregate(m=Max("wave"))["m"] or 0
        this_wave = last_wave + 1
        if wave is not None and wave != this_wave:
            return 0  # already sent (retry), or not the one expected
        advisory_xact_lock(WRITE_LOCK_KEY)
        asked = set(Proposal.objects.filter(shift=shift).values_list("professional_id", flat=True))
        ranked = [(pro, km) for pro, km in eligible_professionals(shift=shift, now=now) if pro.pk not in asked]
        if not ranked:
            _record_everyone_asked(shift=shift, open_positions=still_open)
            return 0
        plan = wave_plan(shift, now)
        chosen = ranked[: max(plan.size(this_wave), still_open)]
        run = MatchingRun.objects.create(
            region_id=shift.location.region_id, start=timezone.localdate(shift.starts_at), horizon_days=1,
            kind=MatchingRunKind.URGENT, shift=shift, n_pros=len(ranked), n_shifts=1, n_positions=still_open,
            n_arcs=len(ranked),
        )
        ids = [
            proposal_create(
                shift=shift, professional=pro, source=ProposalSource.URGENT, distance_km=Decimal(f"{km:.1f}"),
                expires_at=_offer_expiry(now), wave=this_wave, matching_run_id=run.pk,
            ).pk
            for pro, km in chosen
        ]
        run.filled = min(len(ids), still_open)
        run.proposals_written = len(ids)
        run.finished_at = timezone.now()
        transition(run, to_state=MatchingRunState.SUCCEEDED, actor=None, action="matching.urgent_wave",
                   data={"shift": shift.pk, "wave": this_wave, "written": len(ids)})
        proposals_notify_on_commit(ids)
        if len(ranked) > len(chosen):
            _wave_queue_on_commit(shift.pk, this_wave + 1, countdown=int(plan.every.total_seconds()))
    return len(ids)


def _record_everyone_asked(*, shift: Shift, open_positions: int) -> None:
    """Nobody left to ask: an empty urgent run says so to HR's board (``left_to_ask`` 0), written
    once, not at every pass of the safety net."""
    last = MatchingRun.objects.filter(shift=shift, kind=MatchingRunKind.URGENT).order_by("-started_at", "-pk").first()
    if last is not None and last.n_arcs <= last.proposals_written:
        return
    MatchingRun.objects.create(
        region_id=shift.location.region_id, start=timezone.localdate(shift.starts_at), horizon_days=1,
        kind=MatchingRunKind.URGENT, shift=shift, n_shifts=1, n_positions=open_positions,
        state=MatchingRunState.SUCCEEDED, finished_at=timezone.now(),
    )


def urgent_shifts_due(*, now: datetime | None = None) -> list[int]:
    """Urgent shifts (``Shift.objects.urgent``: HR's flag, or a start within 48 h) not full, not
    started, whose next wave is due: never sent, or the last wave older than its plan's spacing."""
    now = now or timezone.now()
    shifts = (
        Shift.objects.urgent(now)
        .filter(state=ShiftState.PUBLISHED, starts_at__gt=now)
        .exclude(contract_route=FORBIDDEN_ROUTE)
        .annotate(
            booked=Count("missions", filter=Q(missions__state__in=ACTIVE_MISSION_STATES), distinct=True),
            last_wave_at=Max("proposals__created_at", filter=Q(proposals__source=ProposalSource.URGENT)),
        )
        .filter(booked__lt=F("positions"))
    )
    return [shift.pk for shift in shifts if next_wave_at(shift=shift, last_wave_at=shift.last_wave_at, now=now) <= now]


def urgent_pending_match(*, now: datetime | None = None) -> int:
    """Send the due wave of every urgent shift (periodic safety net); return the offers sent."""
    total = 0
    for pk in urgent_shifts_due(now=now):
        shift = Shift.objects.filter(pk=pk).first()
        if shift is not None:
            total += urgent_shift_match(shift=shift, now=now)
    return total


# --------------------------------------------------------------------------------------------
# HR's actions on an unfilled shift
# --------------------------------------------------------------------------------------------


def _locked_open_shift(*, shift: Shift, now: datetime) -> Shift:
    """The shift's row, locked (``proposal_accept``'s first lock), if it can still be offered or
    booked; otherwise a ``ValidationError`` saying why (cancelled, started, full)."""
    # Only the shift row is locked (``of``): not its establishment nor its commune.
    shift = Shift.objects.select_for_update(of=("self",)).select_related("establishment", "location").get(pk=shift.pk)
    closed = closed_reason(shift=shift, now=now)
    if closed:
        raise ValidationError({"shift": closed})
    return shift


@transaction.atomic
def shift_offer_to(*, actor, shift: Shift, professional: Professional, now: datetime | None = None) -> Proposal:
    """HR offers ``shift`` to one named professional, who must be eligible: otherwise refused with
    the rule that excludes them (``exclusions_for``, HR's wording). The offer is sent at once."""
    establishment_require(actor, shift.establishment, CHANGE)
    now = now or timezone.now()
    shift = _locked_open_shift(shift=shift, now=now)
    exclusions = exclusions_for(professional=professional, shift=shift, now=now)
    if exclusions:
        raise ValidationError({"professional": [exclusion.for_hr for exclusion in exclusions]})
    proposal = proposal_create(
        shift=shift, professional=professional, source=ProposalSource.MANUAL, distance_km=_km(professional, shift),
        expires_at=_offer_expiry(now), wave=OUTSIDE_WAVES,
    )
    audit_record(actor=actor, action="shift.offer", target=shift,
                 data={"professional": professional.pk, "proposal": proposal.pk})
    proposals_notify_on_commit([proposal.pk])
    return proposal


def _parse_pay(value) -> Decimal:
    try:
        pay = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({"pay": _("Indiquez un montant en euros, par exemple 650 ou 650,50.")}) from None
    if not pay.is_finite() or pay.as_tuple().exponent < -2:
        raise ValidationError({"pay": _("Indiquez un montant en euros, par exemple 650 ou 650,50.")})
    return round_eur(pay)


@transaction.atomic
def shift_pay_raise(*, actor, shift: Shift, pay, now: datetime | None = None) -> Shift:
    """HR raises the pay of an unfilled shift, never above its legal cap (``Shift.pay_cap``, fixed at
    posting; above it, refused with the legal calculation ``pay_cap_explanation``). Pending offers
    carry the new pay (a mission copies the pay when booked); an urgent shift's next wave goes out at
    once."""
    establishment_require(actor, shift.establishment, CHANGE)
    now = now or timezone.now()
    pay = _parse_pay(pay)
    shift = _locked_open_shift(shift=shift, now=now)
    if pay <= shift.pay:
        raise ValidationError(
            {"pay": _("Une hausse doit dépasser la rémunération actuelle de %(pay)s €.") % {"pay": format_amount(shift.pay, currency=False)}}
        )
    if shift.pay_cap is not None and pay > shift.pay_cap:
        raise ValidationError(
            {"pay": _("%(pay)s € dépasse le plafond légal de %(cap)s € pour cette vacation (%(explanation)s).")
             % {"pay": format_amount(pay, currency=False), "cap": format_amount(shift.pay_cap, currency=False), "explanation": shift.pay_cap_explanation}}
        )
    previous = shift.pay
    shift.pay = pay
    shift.full_clean(exclude=["establishment", "unit", "profession", "location", "created_by", "series"],
                     validate_constraints=False)
    shift.save(update_fields=["pay"])
    audit_record(actor=actor, action="shift.pay_raise", target=shift,
                 data={"from": str(previous), "to": str(pay), "cap": str(shift.pay_cap or "")})
    if shift.is_urgent(now):
        _wave_queue_on_commit(shift.pk, _next_wave_number(shift))
    return shift


def _next_wave_number(shift: Shift) -> int:
    return (Proposal.objects.filter(shift=shift).aggregate(m=Max("wave"))["m"] or 0) + 1


@transaction.atomic
def shift_flag_urgent(*, actor, shift: Shift, now: datetime | None = None) -> Shift:
    """HR flags a shift urgent (whatever its start): its waves begin at once. Idempotent."""
    establishment_require(actor, shift.establishment, CHANGE)
    now = now or timezone.now()
    shift = _locked_open_shift(shift=shift, now=now)
    if shift.urgent:
        return shift
    shift.urgent = True
    shift.save(update_fields=["urgent"])
    audit_record(actor=actor, action="shift.flag_urgent", target=shift, from_state="", to_state="urgent")
    _wave_queue_on_commit(shift.pk, _next_wave_number(shift))
    return shift


@transaction.atomic
def candidacy_confirm(*, actor, proposal: Proposal) -> Mission:
    """HR confirms a professional's candidacy: booked by ``proposal_accept`` (every rule checked
    again under its locks) on the professional's behalf — their candidacy was their acceptance."""
    establishment_require(actor, proposal.shift.establishment, CHANGE)
    proposal = Proposal.objects.select_related("professional__user").get(pk=proposal.pk)
    if proposal.source != ProposalSource.CANDIDACY:
        raise ValidationError({"proposal": _("Ce n'est pas une candidature.")})
    mission = proposal_accept(actor=proposal.professional.user, proposal=proposal, candidacy_confirmed_by=actor)
    audit_record(actor=actor, action="candidacy.confirm", target=proposal,
                 data={"mission": mission.pk, "shift": proposal.shift_id})
    return mission


# --------------------------------------------------------------------------------------------
# The professional's actions
# --------------------------------------------------------------------------------------------


def _professional_of(actor) -> Professional:
    professional = Professional.objects.for_user(actor).select_related("home_commune").first()
    if professional is None:
        raise PermissionDenied(_("Seul un professionnel peut prendre une vacation."))
    return professional


@transaction.atomic
def shift_take(*, actor, shift: Shift, now: datetime | None = None) -> Mission:
    """The professional takes an open position of an urgent shift at once.

    Locks as ``proposal_accept`` does (the shift, then the professional), refuses a shift that is
    closed (cancelled, started, full) or not urgent, then creates the offer (``proposal_create``)
    and accepts it (``proposal_accept``: every booking rule checked again under its locks, the rule's
    message if one refuses). A pending offer they already hold is the one accepted. One transaction:
    a refusal anywhere writes nothing. The rules are those of an acceptance (``Stage.ACCEPT``):
    taking is the professional's own choice, like accepting, so their notice, radius or declared
    availability do not stand in the way.
    """
    professional = _professional_of(actor)
    now = now or timezone.now()
    shift = _locked_open_shift(shift=shift, now=now)
    # proposal_accept's second lock, taken here already: its order (shift, professional) is kept.
    Professional.objects.select_for_update().filter(pk=professional.pk).first()
    if not shift.is_urgent(now):
        raise ValidationError({"shift": _("Cette vacation n'est pas urgente : proposez votre candidature, "
                                          "l'établissement la confirmera.")})
    proposal = proposal_create(
        shift=shift, professional=professional, source=ProposalSource.TAKEN, distance_km=_km(professional, shift),
        expires_at=shift.starts_at, wave=OUTSIDE_WAVES,
    )
    mission = proposal_accept(actor=actor, proposal=proposal)
    audit_record(actor=actor, action="shift.take", target=shift, data={"mission": mission.pk})
    return mission


@transaction.atomic
def shift_apply(*, actor, shift: Shift, now: datetime | None = None) -> Proposal:
    """The professional offers themselves for a later (not urgent) shift: a pending ``candidacy``
    that HR confirms (``candidacy_confirm``). It lives as long as a nightly offer; unconfirmed by
    then, it expires and the next nightly matching decides. Meanwhile it holds one position, like any
    pending offer."""
    professional = _professional_of(actor)
    now = now or timezone.now()
    shift = _locked_open_shift(shift=shift, now=now)
    if shift.is_urgent(now):
        raise ValidationError({"shift": _("Cette vacation est urgente : prenez-la directement.")})
    # The rules HR's confirmation will check (an acceptance's): offering oneself is one's own choice.
    exclusions = exclusions_for(professional=professional, shift=shift, now=now, stage=Stage.ACCEPT)
    if exclusions:
        raise ValidationError({"shift": [exclusion.for_professional for exclusion in exclusions]})
    proposal = proposal_create(
        shift=shift, professional=professional, source=ProposalSource.CANDIDACY, distance_km=_km(professional, shift),
        expires_at=_offer_expiry(now) - NIGHTLY_EXPIRY_MARGIN, wave=OUTSIDE_WAVES,
    )
    audit_record(actor=actor, action="shift.apply", target=shift, data={"proposal": proposal.pk})
    return proposal
