"""Writes about contracts. Every state change goes through ``_transition`` (the table
``CONTRACT_TRANSITIONS``: forward only) and writes an audit row.

Public services:
- ``contract_draft(*, mission)`` — system action at booking; idempotent.
- ``contract_new_version(*, actor, contract, reason)`` — HR changes the terms.
- ``contract_sign(*, actor, contract, password, ip)`` — one party signs in the browser.
- ``contract_cancel(*, actor, contract, reason)`` / ``contracts_cancel_for_mission(*, actor, mission, reason)``.
- ``contract_complete(*, actor, contract)`` / ``contracts_complete_for_mission(*, actor, mission)``.
- ``contracts_flag_unsigned(*, now=None)`` — hourly (Celery beat): flags 24 h before the start, and
  again when the mission has started unsigned ("non signé au démarrage"; never cancels the mission).
- ``contracts_draft_missing(*, now=None)`` — hourly sweeper: drafts for booked missions the
  booking hook's task missed (broker down at commit…).

Notifications (``notifications.services.notify``): ``contract.to_sign`` to both parties when a
version is drafted, ``contract.unsigned`` to the sides still to sign when it is flagged, and once more
(``contract:<pk>:unsigned_at_start``) to the establishment's admin/HR — and the professional if
their side is missing — when the mission has started unsigned. Whether one skips the daily digest is
decided by ``Shift.is_urgent`` (only urgent shifts may).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from establishments.access import establishment_allows, establishment_require
from missions.contracts.models import (
    CURRENT_STATES,
    LIVE_UNSIGNED_STATES,
    Contract,
    ContractSignature,
    ContractState,
    SignatureSide,
)
from missions.contracts.pdf import (
    ROUTE_TEMPLATES,
    append_pdf,
    render_contract_pdf,
    render_signature_page,
    sha256_hex,
)
from missions.contracts.selectors import (
    UNSIGNED_FLAG_HORIZON,
    contract_document_context,
    contract_pay_check,
    signature_page_context,
    signer_membership,
)
from missions.contracts.webhook_events import contract_signed_emit
from missions.core.models import Mission, MissionState
from notifications.services import notify
from reference.models import RouteKind
from ville_hopital.access import CHANGE, VIEW
from ville_hopital.audit import audit_count, audit_record
from ville_hopital.transitions import transition

logger = logging.getLogger(__name__)

_MISSION_RELATED = (
    "shift__establishment__type", "shift__establishment__commune__region", "shift__unit", "shift__location",
    "professional__user", "professional__profession", "professional__home_commune",
)


def _lock(contract: Contract) -> Contract:
    return Contract.objects.select_for_update(of=("self",)).select_related(
        *(f"mission__{r}" for r in _MISSION_RELATED)
    ).get(pk=contract.pk)


def _render_version(*, mission: Mission, version: int, previous: Contract | None, actor, reason: str) -> Contract:
    route = mission.shift.contract_route
    if route == RouteKind.FORBIDDEN or route not in ROUTE_TEMPLATES:
        # Shifts on a forbidden route are never published nor booked; reaching here is a bug upstream.
        raise ValidationError({"route": _("Aucun contrat n'est possible pour cette voie (« %(route)s »).") % {
            "route": route}})
    if not contract_pay_check(mission)["within_cap"]:
        raise ValidationError({"pay": _(
            "La rémunération de la mission dépasse le plafond légal : le contrat ne peut pas être établi."
        )})
    with translation.override("fr"):  # the contract is a French legal document whatever the UI language
        context = contract_document_context(mission=mission, version=version, reason=reason)
        pdf = render_contract_pdf(route=route, context=context)
    contract = Contract(
        mission=mission, version=version, previous=previous, route=route, sha256=sha256_hex(pdf),
        created_by=actor if getattr(actor, "is_authenticated", False) else None, reason=reason,
    )
    contract.pdf.save("contract.pdf", ContentFile(pdf), save=False)
    contract.full_clean()
    contract.save()
    audit_record(
        actor=actor, action="contract.draft", target=contract, to_state=contract.state,
        data={"mission": mission.pk, "version": version, "route": route, "sha256": contract.sha256},
    )
    _notify_sides(contract, event="contract.to_sign", sides=(SignatureSide.PROFESSIONAL, SignatureSide.ESTABLISHMENT))
    return contract


def _notify_sides(contract: Contract, *, event: str, sides, key: str = "", now: datetime | None = None) -> None:
    """Tell each side in ``sides``: the professional, and the establishment's admin/HR members.
    ``key`` names the message in its dedupe key (default: the event's second word); the digest is
    skipped only for an urgent shift (``Shift.is_urgent``, the one rule)."""
    mission = contract.mission
    urgent = mission.shift.is_urgent(now)
    person = mission.professional.user
    establishment = mission.shift.establishment
    base = {
        "contract": f"n° {mission.pk}-v{contract.version} ({mission.shift.unit.name})",
        "starts_at": mission.starts_at,
        "url": reverse("missions:contract_detail", args=[contract.pk]),
    }
    recipients = []
    if SignatureSide.PROFESSIONAL in sides:
        recipients.append((person, establishment.name))
    if SignatureSide.ESTABLISHMENT in sides:
        for membership in establishment.memberships.allowed_to(CHANGE).select_related("user"):
            recipients.append((membership.user, person.get_full_name() or person.email))
    for recipient, counterparty in recipients:
        notify(recipient=recipient, event=event, urgent=urgent, context={**base, "counterparty": counterparty},
               dedupe_key=f"contract:{contract.pk}:{key or event.split('.')[1]}")


@transaction.atomic
def contract_draft(*, mission: Mission) -> Contract:
    """Draft version 1 of the contract of a booked mission (system action, no actor).

    Idempotent: a mission that already has a current contract (being signed, signed or completed)
    gets that one back, so a retried task or a double call never makes a second draft.
    """
    Mission.objects.select_for_update().filter(pk=mission.pk).values_list("pk", flat=True).get()
    mission = Mission.objects.select_related(*_MISSION_RELATED).get(pk=mission.pk)
    existing = mission.contracts.filter(state__in=CURRENT_STATES).order_by("-version").first()
    if existing is not None:
        return existing
    if mission.state != MissionState.BOOKED:
        raise ValidationError({"mission": _("Seule une mission réservée reçoit un contrat.")})
    last = mission.contracts.order_by("-version").values_list("version", flat=True).first() or 0
    return _render_version(mission=mission, version=last + 1, previous=None, actor=None, reason="")


def _require_writer(actor, contract: Contract) -> None:
    if getattr(actor, "is_staff", False):
        return
    establishment_require(actor, contract.mission.shift.establishment_id, CHANGE,
                          _("Seuls un administrateur ou un membre RH de l'établissement peuvent faire cela."))


@transaction.atomic
def contract_new_version(*, actor, contract: Contract, reason: str) -> Contract:
    """Re-draft the contract from the mission as it is now (HR changed hours or pay, a typo…).

    A version still being signed is superseded at once (signatures on the old text do not carry
    over). A version signed by both stays in force, untouched, until the new one is signed by both;
    it is then superseded. A completed or cancelled contract cannot change.
    """
    contract = _lock(contract)
    _require_writer(actor, contract)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif de la nouvelle version.")})
    if contract.state not in (*LIVE_UNSIGNED_STATES, ContractState.SIGNED):
        raise ValidationError({"state": _("Un contrat « %(state)s » ne peut plus changer.") % {
            "state": contract.get_state_display()}})
    if Contract.objects.filter(previous=contract).exists():
        raise ValidationError({"state": _("Une version plus récente de ce contrat existe déjà.")})
    if contract.mission.state != MissionState.BOOKED:
        raise ValidationError({"mission": _("La mission n'est plus réservée.")})
    if contract.state in LIVE_UNSIGNED_STATES:
        transition(contract, to_state=ContractState.SUPERSEDED, actor=actor, action="contract.supersede",
                    data={"reason": reason})
    return _render_version(
        mission=contract.mission, version=contract.version + 1, previous=contract, actor=actor, reason=reason
    )


def _signing_side(actor, contract: Contract) -> str:
    """The side ``actor`` signs for; PermissionDenied for anyone else (a viewer member included)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Connectez-vous pour signer."))
    if contract.mission.professional.user_id == actor.pk:
        return SignatureSide.PROFESSIONAL
    establishment = contract.mission.shift.establishment_id
    if establishment_allows(actor, establishment, CHANGE):
        return SignatureSide.ESTABLISHMENT
    if establishment_allows(actor, establishment, VIEW):
        raise PermissionDenied(_("Un membre en lecture seule ne peut pas signer : il faut un administrateur ou un RH."))
    raise PermissionDenied(_("Vous n'êtes pas partie à ce contrat."))


def _refuse_if_not_signable(contract: Contract, side: str) -> None:
    if contract.state == ContractState.CANCELLED:
        raise ValidationError({"state": _("Ce contrat est annulé : il ne peut plus être signé.")})
    if contract.signatures.filter(side=side).exists():
        raise ValidationError({"state": _("Vous avez déjà signé ce contrat.")})
    if contract.state not in LIVE_UNSIGNED_STATES:
        raise ValidationError({"state": _("Ce contrat est « %(state)s » : il ne peut plus être signé.") % {
            "state": contract.get_state_display()}})
    if contract.mission.state not in (MissionState.BOOKED, MissionState.DONE):
        # A contract signed late for a mission already done is a regularisation: allowed.
        raise ValidationError({"state": _("La mission est « %(state)s » : ce contrat ne peut plus être signé.") % {
            "state": contract.mission.get_state_display()}})


def _stored_hash(contract: Contract) -> str:
    try:
        with contract.pdf.open("rb") as handle:
            return sha256_hex(handle.read())
    except FileNotFoundError:
        return ""


def contract_sign(*, actor, contract: Contract, password: str, ip: str | None) -> Contract:
    """``actor`` signs their side after re-entering their password.

    Refused, with the contract left unchanged: someone who is not a party or a viewer member
    (PermissionDenied), a wrong password, a side already signed, a cancelled / superseded /
    completed contract, and a stored PDF whose bytes no longer match the recorded SHA-256
    (ValidationError). A detected mismatch writes a ``contract.tamper_detected`` audit row that
    survives the refusal (this function opens its own transactions for that reason).

    When both sides have signed, the final PDF (original pages + a signature page with who, when,
    IP and the SHA-256 of the document signed) is stored with its own hash.
    """
    contract = Contract.objects.select_related(*(f"mission__{r}" for r in _MISSION_RELATED)).get(pk=contract.pk)
    side = _signing_side(actor, contract)
    _refuse_if_not_signable(contract, side)
    _check_signing_password(actor=actor, contract=contract, password=password)
    stored = _stored_hash(contract)
    if stored != contract.sha256:
        with transaction.atomic():
            audit_record(actor=actor, action="contract.tamper_detected", target=contract,
                         data={"expected": contract.sha256, "found": stored, "side": side})
        raise ValidationError({"pdf": _(
            "Le document stocké ne correspond plus à son empreinte SHA-256 : signature refusée. "
            "L'équipe de la plateforme a été alertée."
        )})
    return _sign(actor=actor, contract=contract, side=side, ip=ip, signed_hash=stored)


# Wrong passwords allowed on the signing form before it waits (the right one is then refused too).
# Only the signed-in account itself can try, so the limit is per account: a stranger cannot lock
# anyone out, and a stolen session cannot guess the password behind it.
SIGN_PASSWORD_ATTEMPTS = 5
SIGN_PASSWORD_WINDOW = timedelta(minutes=15)
SIGN_ATTEMPT_FAILED = "contract.sign_failed"


def _check_signing_password(*, actor, contract: Contract, password: str) -> None:
    since = timezone.now() - SIGN_PASSWORD_WINDOW
    if audit_count(actor=actor, action=SIGN_ATTEMPT_FAILED, since=since) >= SIGN_PASSWORD_ATTEMPTS:
        raise ValidationError({"password": ValidationError(_(
            "Trop de mots de passe erronés : la signature est suspendue %(minutes)d minutes."
        ) % {"minutes": SIGN_PASSWORD_WINDOW.seconds // 60}, code="too_many_attempts")})
    if not password or not actor.check_password(password):
        with transaction.atomic():  # counted and kept whatever the caller does with the refusal
            audit_record(actor=actor, action=SIGN_ATTEMPT_FAILED, target=actor, data={"contract": contract.pk})
        raise ValidationError({"password": _("Mot de passe incorrect : le contrat n'a pas été signé.")})


@transaction.atomic
def _sign(*, actor, contract: Contract, side: str, ip: str | None, signed_hash: str) -> Contract:
    contract = _lock(contract)
    _refuse_if_not_signable(contract, side)  # again under the lock: a concurrent signature or cancel
    if _stored_hash(contract) != signed_hash or signed_hash != contract.sha256:
        raise ValidationError({"pdf": _("Le document a changé pendant la signature : signature refusée.")})
    if side == SignatureSide.PROFESSIONAL:
        role = contract.mission.professional.profession.label
    else:
        membership = signer_membership(actor, contract.mission.shift.establishment_id)
        role = f"{membership.get_role_display() if membership else _('personnel')} — {contract.mission.shift.establishment.name}"
    signature = ContractSignature(
        contract=contract, side=side, user=actor, signer_name=actor.get_full_name() or actor.email,
        signer_role=role[:120], signed_at=timezone.now(), ip=ip or None, sha256_signed=signed_hash,
    )
    signature.full_clean()
    signature.save()
    both = contract.signatures.count() == 2
    if both:
        to_state = ContractState.SIGNED
    elif side == SignatureSide.PROFESSIONAL:
        to_state = ContractState.SIGNED_BY_PROFESSIONAL
    else:
        to_state = ContractState.SIGNED_BY_ESTABLISHMENT
    if both:
        contract.signed_at = signature.signed_at
        _write_final_pdf(contract)
    transition(contract, to_state=to_state, actor=actor, action="contract.sign",
                data={"side": side, "sha256_signed": signed_hash, "ip": ip or ""})
    if both and contract.previous_id:
        previous = _lock(contract.previous)
        if previous.state == ContractState.SIGNED:
            transition(previous, to_state=ContractState.SUPERSEDED, actor=actor, action="contract.supersede",
                        data={"by_version": contract.version})
    if both and contract.mission.state == MissionState.DONE:  # signed late: service fait already attested
        _complete(contract, actor=None)
    if both:
        contract_signed_emit(contract=contract)
    return contract


def _write_final_pdf(contract: Contract) -> None:
    with contract.pdf.open("rb") as handle:
        original = handle.read()
    with translation.override("fr"):
        page = render_signature_page(signature_page_context(contract))
    final = append_pdf(original, page)
    contract.final_pdf.save("final.pdf", ContentFile(final), save=False)
    contract.final_sha256 = sha256_hex(final)


def _require_party(actor, contract: Contract) -> None:
    if getattr(actor, "is_staff", False) or contract.mission.professional.user_id == getattr(actor, "pk", None):
        return
    _require_writer(actor, contract)


def _cancel(contract: Contract, *, actor, reason: str) -> Contract:
    contract.cancelled_at = timezone.now()
    contract.cancelled_by = actor if getattr(actor, "is_authenticated", False) else None
    contract.cancel_reason = reason[:300]
    transition(contract, to_state=ContractState.CANCELLED, actor=actor, action="contract.cancel",
                data={"reason": reason})
    return contract


@transaction.atomic
def contract_cancel(*, actor, contract: Contract, reason: str) -> Contract:
    """A party (the professional, an admin/HR member) or staff cancels, giving a reason.

    While the mission is booked a party cannot cancel its contract alone: they cancel the mission
    (whose hook cancels the contract) or ask for a new version; a booked mission always needs a
    contract. Once the mission is cancelled or closed as a no-show, a party may close a contract
    that is still open. Staff may cancel at any time (the hourly sweeper then drafts a fresh
    version for a mission still booked).
    """
    contract = _lock(contract)
    _require_party(actor, contract)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif de l'annulation.")})
    if contract.mission.state == MissionState.BOOKED and not getattr(actor, "is_staff", False):
        raise ValidationError({"state": _(
            "La mission est toujours réservée : annulez la mission (son contrat est annulé avec elle) "
            "ou établissez une nouvelle version du contrat."
        )})
    return _cancel(contract, actor=actor, reason=reason)


@transaction.atomic
def contracts_cancel_for_mission(*, actor, mission: Mission, reason: str) -> int:
    """Hook for the mission's cancellation (the caller has checked the actor's right to cancel it):
    cancels every version not yet completed, cancelled or superseded. Returns how many."""
    count = 0
    for pk in mission.contracts.filter(state__in=(*LIVE_UNSIGNED_STATES, ContractState.SIGNED)).values_list("pk", flat=True):
        _cancel(_lock(Contract(pk=pk)), actor=actor, reason=reason or _("mission annulée"))
        count += 1
    return count


def _complete(contract: Contract, *, actor) -> Contract:
    contract.completed_at = timezone.now()
    transition(contract, to_state=ContractState.COMPLETED, actor=actor, action="contract.complete")
    return contract


@transaction.atomic
def contract_complete(*, actor, contract: Contract) -> Contract:
    """After "service fait": a contract signed by both becomes completed. ``actor`` is an admin/HR
    member or staff (None: the system)."""
    contract = _lock(contract)
    if actor is not None:
        _require_writer(actor, contract)
    if contract.mission.state != MissionState.DONE:
        raise ValidationError({"mission": _("Le service fait n'a pas encore été attesté pour cette mission.")})
    return _complete(contract, actor=actor)


@transaction.atomic
def contracts_complete_for_mission(*, actor, mission: Mission) -> int:
    """Hook for the mission's "service fait" (the caller has checked the actor's right to attest it):
    completes its contract signed by both, if any. Returns how many."""
    count = 0
    for pk in mission.contracts.filter(state=ContractState.SIGNED).values_list("pk", flat=True):
        _complete(_lock(Contract(pk=pk)), actor=actor)
        count += 1
    return count


def contracts_flag_unsigned(*, now: datetime | None = None) -> int:
    """Flag contracts not signed by both whose booked mission starts within 24 h, then again once it
    has started. Returns how many contracts got a flag now.

    * ``flagged_at`` (24 h before): audit ``contract.flag_unsigned``, ``contract.unsigned`` to the
      sides still to sign; both sides see a badge, HR's board lists it.
    * ``unsigned_at_start_at`` (the mission has started, "non signé au démarrage"): audit
      ``contract.unsigned_at_start`` and a second ``contract.unsigned`` notice
      (``contract:<pk>:unsigned_at_start``) to the establishment's admin/HR — who must regularise —
      and to the professional if their side is missing. The mission is **not** cancelled: at its
      start that would leave the ward without staff (docs/contracts.md).

    Each flag is set once per version (a new version is flagged on the next run); a contract first
    seen after its mission started gets both flags but only the at-start notice.
    """
    now = now or timezone.now()
    candidates = Contract.objects.live_unsigned().filter(
        mission__state=MissionState.BOOKED, mission__starts_at__lte=now + UNSIGNED_FLAG_HORIZON,
    ).filter(
        Q(flagged_at__isnull=True) | Q(mission__starts_at__lte=now, unsigned_at_start_at__isnull=True)
    ).values_list("pk", flat=True)
    flagged = 0
    for pk in list(candidates):
        with transaction.atomic():
            contract = _lock(Contract(pk=pk))
            if contract.state not in LIVE_UNSIGNED_STATES or contract.mission.state != MissionState.BOOKED:
                continue
            started = contract.mission.starts_at <= now
            signed = set(contract.signatures.values_list("side", flat=True))
            missing = [side for side in SignatureSide.values if side not in signed]
            data = {"mission_starts_at": contract.mission.starts_at.isoformat(), "state": contract.state}
            touched = False
            if contract.flagged_at is None:
                contract.flagged_at = now
                contract.save(update_fields=["flagged_at"])
                audit_record(actor=None, action="contract.flag_unsigned", target=contract, data=data)
                if not started:  # already started: the at-start notice below says it, once
                    _notify_sides(contract, event="contract.unsigned", sides=missing, now=now)
                touched = True
            if started and contract.unsigned_at_start_at is None:
                contract.unsigned_at_start_at = now
                contract.save(update_fields=["unsigned_at_start_at"])
                audit_record(actor=None, action="contract.unsigned_at_start", target=contract, data=data)
                # HR always: the establishment regularises, whichever side is missing.
                sides = {SignatureSide.ESTABLISHMENT, *missing}
                _notify_sides(contract, event="contract.unsigned", sides=sides, key="unsigned_at_start", now=now)
                touched = True
            flagged += touched
    return flagged


def contracts_draft_missing(*, now: datetime | None = None) -> int:
    """Draft the contract of every booked, not yet finished mission that has no current version
    (the booking hook queues a task on commit; this catches one lost on the way). Returns how many.
    A mission that cannot get one (route, cap) is logged and skipped, never retried in a loop."""
    now = now or timezone.now()
    missing = (
        Mission.objects.filter(state=MissionState.BOOKED, ends_at__gt=now)
        .exclude(contracts__state__in=CURRENT_STATES)
        .values_list("pk", flat=True)
    )
    drafted = 0
    for pk in list(missing):
        try:
            contract_draft(mission=Mission(pk=pk))
        except ValidationError as error:
            logger.error("contract not drafted for mission %s: %s", pk, error.messages)
            continue
        drafted += 1
    return drafted


def contract_download_record(*, actor, contract: Contract, document: str, ip: str | None) -> None:
    """Who read which contract PDF (``original`` or ``final``, the signed one): the row targets the
    contract, so both parties' trails show it."""
    audit_record(actor=actor, action="contract.download", target=contract, data={"document": document, "ip": ip})
