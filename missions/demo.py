"""Demo step: a few offers in the known login's inbox, insurance certificates for most demo
professionals, then one nightly matching of the demo region (Occitanie) so that the proposals pages, the explanations and the dashboards have data.

Idempotent: a professional who already has an insurance certificate is left alone, and a second
matching run proposes only the positions still open (none, if nothing changed).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from establishments.models import Shift, ShiftState
from missions.booking.services.proposals import proposal_create
from missions.core.models import MatchingRunKind, Proposal, ProposalSource
from missions.platform.services.matching import matching_run_region
from professionals.demo import KNOWN_LOGIN
from professionals.models import Credential, CredentialKind, Professional
from professionals.services import credential_upload
from territories.geo import haversine_km
from ville_hopital.demo import DEMO_REGION, DemoContext

#: Share of demo professionals with a valid RCP certificate: the others show the "insurance" explanation.
INSURED_SHARE = 0.9
DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def seed(ctx: DemoContext) -> None:
    known = Professional.objects.filter(user__email=KNOWN_LOGIN).select_related("home_commune").first()
    if known is not None:
        known_login_proposals(known)
    today = timezone.localdate()
    insured = set(
        Credential.objects.filter(kind=CredentialKind.INSURANCE).values_list("professional_id", flat=True)
    )
    for professional in Professional.objects.filter(user__email__endswith="@demo.ville-hopital.fr").select_related(
        "user"
    ).order_by("pk"):
        draw = ctx.rng.random()  # drawn for everyone, so the sequence does not depend on what exists
        if professional.pk in insured or (draw > INSURED_SHARE and professional.user.email != KNOWN_LOGIN):
            continue
        credential_upload(
            actor=professional.user, professional=professional, kind=CredentialKind.INSURANCE,
            file=SimpleUploadedFile("attestation-rcp.pdf", DEMO_PDF, content_type="application/pdf"),
            expires_on=today + timedelta(days=ctx.rng.randint(60, 400)),
        )
    matching_run_region(region_code=DEMO_REGION, start=today, kind=MatchingRunKind.NIGHTLY)


def known_login_proposals(professional: Professional, *, wanted: int = 3) -> int:
    """A few pending proposals for the known login, from published shifts of their profession within
    reach, so that their inbox has offers to answer (made before the nightly matching, as HR's
    named offers would be)."""
    if Proposal.objects.filter(professional=professional).exists():
        return 0
    home = professional.home_commune
    shifts = (
        Shift.objects.filter(
            profession=professional.profession, state=ShiftState.PUBLISHED,
            starts_at__gt=timezone.now() + timedelta(days=1), required_skills__isnull=True,
        )
        .select_related("location")
        .order_by("starts_at")[:500]
    )
    reachable = []
    for shift in shifts:
        km = haversine_km(home.latitude, home.longitude, shift.location.latitude, shift.location.longitude)
        if km <= professional.radius_km:
            reachable.append((km, shift))
    made = 0
    for km, shift in sorted(reachable, key=lambda pair: (pair[1].starts_at, pair[0])):
        try:
            proposal_create(
                shift=shift, professional=professional, source=ProposalSource.MANUAL,
                distance_km=Decimal(str(round(km, 1))), expires_at=timezone.now() + timedelta(days=2),
            )
        except ValidationError:
            continue
        made += 1
        if made == wanted:
            break
    return made
