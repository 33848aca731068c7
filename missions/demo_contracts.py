"""Demo step: contracts. A few demo professionals accept one of their pending proposals (so
missions are booked and their contracts drafted), then part of the contracts are signed: by both
parties, by the professional only, or not yet — every state of the signature flow can be seen.

The known professional login accepts one proposal (at an establishment of the HR login when it
has one there) and signs it, so the HR login finds a contract waiting for its signature.

Idempotent: a professional who already has a booked mission to come is left alone; drafting and signing skip
what is done. Runs after ``missions.demo`` (the nightly matching writes the proposals).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from establishments.demo import HR_EMAIL
from establishments.models import Establishment
from missions.booking.services.proposals import proposal_accept
from missions.contracts.models import Contract, ContractState
from missions.contracts.services import contract_sign, contracts_draft_missing
from missions.core.models import Mission, MissionState, Proposal, ProposalState
from professionals.demo import KNOWN_LOGIN
from professionals.models import Professional
from ville_hopital.access import CHANGE
from ville_hopital.demo import DEMO_PASSWORD, DemoContext

DEMO_IP = "192.0.2.10"  # documentation range (RFC 5737): demo signatures come from no real address


def book_and_sign(
    ctx: DemoContext, professionals: Iterable[Professional], *, password: str, known: str = "", hr_email: str = ""
) -> int:
    """Accept one pending proposal for each professional without a mission; draft; sign some.
    Returns how many contracts were signed by someone in this call."""
    now = timezone.now()
    for professional in professionals:
        if Mission.objects.filter(professional=professional, state=MissionState.BOOKED, ends_at__gt=now).exists():
            continue  # already booked (a re-run of the demo)
        pending = Proposal.objects.filter(professional=professional, state=ProposalState.PENDING, expires_at__gt=now)
        if professional.user.email == known and hr_email:  # so the HR login finds it waiting
            hr = get_user_model().objects.filter(email=hr_email).first()
            ours = pending.filter(shift__establishment__in=Establishment.objects.for_user(hr)) if hr else None
            pending = ours or pending
        proposal = pending.order_by("shift__starts_at").first()
        if proposal is None:
            continue
        try:
            proposal_accept(actor=professional.user, proposal=proposal)
        except ValidationError:
            continue  # rest rule, monthly cap…: this one stays a proposal
    contracts_draft_missing()
    signed = 0
    drafts = Contract.objects.filter(
        state=ContractState.DRAFT, mission__professional__in=[p.pk for p in professionals]
    ).select_related("mission__professional__user", "mission__shift__establishment").order_by("pk")
    for contract in drafts:
        draw = ctx.rng.random()
        is_known = contract.mission.professional.user.email == known
        if not is_known and draw > 0.7:
            continue  # left to sign
        contract = contract_sign(actor=contract.mission.professional.user, contract=contract, password=password, ip=DEMO_IP)
        signed += 1
        if is_known or draw > 0.35:
            continue  # waits for the establishment
        membership = contract.mission.shift.establishment.memberships.allowed_to(CHANGE).select_related(
            "user").order_by("pk").first()
        if membership is not None:
            contract_sign(actor=membership.user, contract=contract, password=password, ip=DEMO_IP)
    return signed


def seed(ctx: DemoContext) -> None:
    with_proposals = (
        Professional.objects.filter(user__email__endswith="@demo.ville-hopital.fr", proposals__state=ProposalState.PENDING)
        .select_related("user").distinct().order_by("pk")
    )
    known = [p for p in with_proposals.filter(user__email=KNOWN_LOGIN)]
    others = list(with_proposals.exclude(user__email=KNOWN_LOGIN)[: 6 * ctx.size])
    book_and_sign(ctx, known + others, password=DEMO_PASSWORD, known=KNOWN_LOGIN, hr_email=HR_EMAIL)
