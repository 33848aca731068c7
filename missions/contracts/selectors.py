"""Reads about contracts, scoped per user (``Contract.objects.for_user``), and the data a contract
document is filled with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from establishments.access import establishment_allows
from establishments.models import Establishment, Membership
from missions.contracts.models import (
    CURRENT_STATES,
    LIVE_UNSIGNED_STATES,
    Contract,
    ContractSignature,
    ContractState,
    SignatureSide,
)
from missions.contracts.pdf import sha256_hex
from missions.core.eligibility import DAILY_REST, MAX_WEEK_HOURS
from missions.core.models import PROFESSIONAL_CANCEL_NOTICE, Mission, MissionState
from professionals.models import Professional
from reference.models import ContractRoute, RouteKind
from reference.selectors import contract_route_for
from ville_hopital.access import CHANGE, VIEW
from ville_hopital.list_pages import RowGroup, group_by_week
from ville_hopital.money import format_amount

# Unsigned contracts are flagged to both sides this long before the mission starts.
UNSIGNED_FLAG_HORIZON = timedelta(hours=24)

_LIST_RELATED = (
    "mission__shift__establishment__commune",
    "mission__shift__unit",
    "mission__professional__user",
    "mission__professional__profession",
)


def _with_related(qs: QuerySet[Contract]) -> QuerySet[Contract]:
    return qs.select_related(*_LIST_RELATED)


def contracts_for_professional(user) -> QuerySet[Contract]:
    """"Mes contrats": every version, newest mission first.

    What the user may see is ``Contract.objects.for_user(user, VIEW)``; this list is about them as a
    professional, so it narrows to their own missions (a person who is also an establishment member
    finds their site's contracts in the establishment's list): a page's filter, not an access rule."""
    own = Contract.objects.for_user(user, VIEW).filter(mission__professional__in=Professional.objects.for_user(user))
    return _with_related(own).order_by("-mission__starts_at", "-version")


#: The scope of the contracts list that is the professional's own contracts.
MY_CONTRACTS = "moi"
#: The scope that is every establishment the member belongs to (offered from two on).
ALL_MY_ESTABLISHMENTS = "tous"


@dataclass(frozen=True)
class ContractScope:
    """One list of the contracts page (``?liste=``): the professional's own, or an establishment's
    (or every establishment's) of which the user is a member."""

    key: str
    label: str
    establishments: tuple[Establishment, ...] = ()


def contract_scopes(user, *, professional: bool) -> list[ContractScope]:
    """The lists the user may choose, the default first: their own contracts (a professional), every
    establishment of theirs together (from two on), then each establishment by name (one query)."""
    scopes = [ContractScope(MY_CONTRACTS, _("Mes contrats"))] if professional else []
    sites = tuple(Establishment.objects.for_user(user).order_by("name"))
    if len(sites) > 1:
        scopes.append(ContractScope(ALL_MY_ESTABLISHMENTS, _("Tous mes établissements"), sites))
    scopes += [ContractScope(str(site.pk), site.name, (site,)) for site in sites]
    return scopes


def contracts_in_scope(user, scope: ContractScope) -> QuerySet[Contract]:
    """The contracts of one list, newest mission first (every version); ``scope`` comes from
    ``contract_scopes`` (so from the user's own establishments)."""
    if scope.key == MY_CONTRACTS:
        return contracts_for_professional(user)
    return _with_related(
        Contract.objects.for_user(user, VIEW).filter(mission__shift__establishment__in=scope.establishments)
    ).order_by("-mission__starts_at", "-version")


def contracts_by_week(page: Iterable[Contract]) -> list[RowGroup[Contract]]:
    """A page of contracts in weeks of the mission's start (« La semaine prochaine », « Cette semaine »…)."""
    return group_by_week(page, when=lambda contract: contract.mission.starts_at)


def contracts_with_details(contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    """What a contract's page shows of ``contracts`` (already ``Contract.objects.for_user``): its
    mission, parties and signatures, without a query per signature."""
    return _with_related(contracts).prefetch_related(
        Prefetch("signatures", queryset=ContractSignature.objects.select_related("user"))
    )


def unsigned_contracts_for_establishment_member(user, establishment: Establishment | None = None) -> QuerySet[Contract]:
    """For HR's board, the "Contrats non signés" block: contracts of the user's establishments (or
    of ``establishment`` only) that are flagged (mission within 24 h, or already started) and still
    not signed by both parties."""
    qs = Contract.objects.for_user(user, VIEW).filter(
        mission__shift__establishment__in=Establishment.objects.for_user(user, VIEW)
    ).live_unsigned()
    if establishment is not None:
        qs = qs.filter(mission__shift__establishment=establishment)
    return (
        _with_related(qs)
        .filter(flagged_at__isnull=False, mission__state=MissionState.BOOKED)
        .order_by("mission__starts_at")
    )


def current_contract(mission: Mission) -> Contract | None:
    """The version that governs ``mission`` (being signed, signed or completed), if any. The caller
    has already scoped ``mission`` to the user (a party of the mission is a party of its contract)."""
    return mission.contracts.filter(state__in=CURRENT_STATES).order_by("-version").first()


def contract_stored_hash(contract: Contract, *, final: bool = False) -> str:
    """SHA-256 of the bytes stored now (to compare with the hash recorded when it was written)."""
    field = contract.final_pdf if final else contract.pdf
    with field.open("rb") as handle:
        return sha256_hex(handle.read())


#: The stored documents of a contract: the signed one (with its signature page), the original.
CONTRACT_DOCUMENTS = ("final", "original")


@dataclass(frozen=True)
class ContractDocument:
    which: str  # one of CONTRACT_DOCUMENTS
    file: FieldFile
    filename: str


def contract_document(contract: Contract, which: str = "") -> ContractDocument | None:
    """The stored PDF a download asks for (``which``; empty: the final one once it exists, else the
    original), with its download name; None for a final one not yet drawn or an unknown name."""
    which = which or ("final" if contract.final_pdf else "original")
    if which == "final" and contract.final_pdf:
        field, suffix = contract.final_pdf, "signe"
    elif which == "original":
        field, suffix = contract.pdf, "original"
    else:
        return None
    return ContractDocument(which, field, f"contrat-mission-{contract.mission_id}-v{contract.version}-{suffix}.pdf")


def contract_file_intact(contract: Contract, *, final: bool = False) -> bool:
    expected = contract.final_sha256 if final else contract.sha256
    try:
        return bool(expected) and contract_stored_hash(contract, final=final) == expected
    except FileNotFoundError:
        return False


def signer_membership(user, establishment_id: int) -> Membership | None:
    """The signer's membership, for the role a signature records (« RH — CH de Mende »). Not an
    access check: who may sign is ``establishment_allows`` (``Establishment.objects.for_user``)."""
    return Membership.objects.filter(user=user, establishment_id=establishment_id).first()


@dataclass(frozen=True)
class SigningPosition:
    """What the user may do with a contract on its page."""

    side: str | None  # the side the user signs for, when they are a party who may sign
    may_sign: bool  # the side is theirs, still unsigned, and the contract awaits signatures
    already_signed: bool
    is_viewer: bool  # an establishment member with read-only rights
    may_cancel: bool  # a party, the contract still open, and the mission no longer booked
    may_new_version: bool  # admin/HR, and the contract is the current one being signed or signed


def signing_position(user, contract: Contract) -> SigningPosition:
    mission = contract.mission
    signed_sides = {s.side for s in contract.signatures.all()}
    side = None
    is_viewer = False
    if mission.professional.user_id == user.pk:
        side = SignatureSide.PROFESSIONAL
    elif establishment_allows(user, mission.shift.establishment_id, CHANGE):
        side = SignatureSide.ESTABLISHMENT
    else:
        is_viewer = establishment_allows(user, mission.shift.establishment_id, VIEW)
    already = side in signed_sides if side else False
    open_ = contract.state in (*LIVE_UNSIGNED_STATES, ContractState.SIGNED)
    latest = not Contract.objects.filter(previous=contract).exists()
    return SigningPosition(
        side=side, may_sign=bool(side) and not already and contract.awaits_signature,
        already_signed=already, is_viewer=is_viewer, may_cancel=bool(side) and open_ and mission.state != MissionState.BOOKED,
        may_new_version=side == SignatureSide.ESTABLISHMENT and open_ and latest,
    )


def _hours(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def contract_pay_check(mission: Mission) -> dict[str, Any]:
    """How the mission's pay was checked against the legal cap (printed in the contract)."""
    shift = mission.shift
    if shift.pay_cap is None:
        return {
            "capped": False,
            "within_cap": True,
            "text": _(
                "Aucun plafond ne s'applique (établissement privé ou social et médico-social : "
                "le plafond de l'article L6146-3 du CSP ne vise que les établissements publics de santé)."
            ),
        }
    within = mission.pay <= shift.pay_cap
    return {
        "capped": True,
        "within_cap": within,
        "cap": format_amount(shift.pay_cap),
        "explanation": shift.pay_cap_explanation,
        "text": _("Rémunération %(pay)s ≤ plafond applicable %(cap)s : conforme.") % {
            "pay": format_amount(mission.pay), "cap": format_amount(shift.pay_cap),
        } if within else _("Rémunération %(pay)s au-dessus du plafond %(cap)s.") % {
            "pay": format_amount(mission.pay), "cap": format_amount(shift.pay_cap),
        },
    }


def contract_document_context(*, mission: Mission, version: int, reason: str = "") -> dict[str, Any]:
    """Everything a route template prints: both parties, the unit, dates, pay and its cap check."""
    shift = mission.shift
    establishment = shift.establishment
    professional = mission.professional
    person = professional.user
    hours = Decimal((mission.ends_at - mission.starts_at).total_seconds()) / Decimal(3600)
    try:
        legal_basis = contract_route_for(
            profession=professional.profession, establishment_type=establishment.type
        ).legal_basis
    except ContractRoute.DoesNotExist:  # the table is complete by migration; staff may have edited it
        legal_basis = ""
    return {
        "mission": mission,
        "version": version,
        "reason": reason,
        "route": shift.contract_route,
        "route_label": RouteKind(shift.contract_route).label,
        "legal_basis": legal_basis,
        "professional": {
            "name": person.get_full_name() or person.email,
            "email": person.email,
            "rpps": professional.rpps or "",
            "adeli": professional.adeli or "",
            "profession": professional.profession_label,  # French here: the document is drawn in French
            "skills": [s.label for s in professional.skills.all()],
            "commune": professional.home_commune.name,
            "postal_code": professional.home_commune.postal_codes.split(" ")[0],
            "departement": professional.home_commune.departement_id,
        },
        "establishment": {
            "name": establishment.name,
            "type": establishment.type.label,
            "finess_geo": establishment.finess_geo,
            "finess_legal": establishment.finess_legal,
            "address": establishment.address,
            "commune": establishment.commune.name,
            "postal_code": establishment.commune.postal_codes.split(" ")[0],
            "region": establishment.commune.region.name,
        },
        "unit": shift.unit,
        "location": shift.location,
        "starts_at": mission.starts_at,
        "ends_at": mission.ends_at,
        "hours": _hours(hours),
        "pay": format_amount(mission.pay),
        "hourly": format_amount(mission.pay / hours) if hours else "",
        "pay_check": contract_pay_check(mission),
        "cancellation_deadline": mission.starts_at - PROFESSIONAL_CANCEL_NOTICE,
        **contract_time_terms(
            daily_rest_hours=_whole_hours(DAILY_REST), week_hours=MAX_WEEK_HOURS,
            notice_hours=_whole_hours(PROFESSIONAL_CANCEL_NOTICE),
        ),
    }


def _whole_hours(duration: timedelta) -> int:
    return int(duration.total_seconds() // 3600)


def contract_time_terms(*, daily_rest_hours: int, week_hours: int, notice_hours: int) -> dict[str, str]:
    """The durations the contract states, counted from the values the platform enforces
    (``missions.core.eligibility``: daily rest, weekly maximum; ``PROFESSIONAL_CANCEL_NOTICE``), each
    with its plural: « 11 heures consécutives par 24 heures », « 48 heures au plus sur 7 jours »,
    « jusqu'à 48 heures avant son début »."""
    return {
        "daily_rest": ngettext(
            "%(n)s heure consécutive par 24 heures", "%(n)s heures consécutives par 24 heures", daily_rest_hours
        ) % {"n": daily_rest_hours},
        "week_hours": ngettext(
            "%(n)s heure au plus sur 7 jours", "%(n)s heures au plus sur 7 jours", week_hours
        ) % {"n": week_hours},
        "cancellation_notice": ngettext(
            "%(n)s heure avant son début", "%(n)s heures avant son début", notice_hours
        ) % {"n": notice_hours},
    }


def signature_page_context(contract: Contract) -> dict[str, Any]:
    return {
        "contract": contract,
        "mission": contract.mission,
        "signatures": list(contract.signatures.order_by("signed_at")),
        "route_label": RouteKind(contract.route).label,
    }


def contract_state_badge(contract: Contract) -> str:
    """A CSS modifier for the state badge."""
    if contract.state in (ContractState.SIGNED, ContractState.COMPLETED):
        return "badge-ok"
    if contract.state in (ContractState.CANCELLED, ContractState.SUPERSEDED):
        return "badge"
    return "badge-warn"


def contracts_visible(user) -> QuerySet[Contract]:
    """The contracts ``user`` may read (``Contract.objects.for_user``: both parties, and platform
    staff), every version, by the mission's start (the API's list)."""
    return _with_related(Contract.objects.for_user(user, VIEW)).order_by("mission__starts_at", "mission_id", "version")
