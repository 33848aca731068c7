"""Demo step: insurance certificates for most demo professionals, then one nightly matching of the
demo region (Occitanie) so that the proposals pages, the explanations and the dashboards have data.

Idempotent: a professional who already has an insurance certificate is left alone, and a second
matching run proposes only the positions still open (none, if nothing changed).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from missions.models import MatchingRunKind
from missions.services.matching import matching_run_region
from professionals.demo import KNOWN_LOGIN
from professionals.models import Credential, CredentialKind, Professional
from professionals.services import credential_upload
from ville_hopital.demo import DEMO_REGION, DemoContext

#: Share of demo professionals with a valid RCP certificate: the others show the "insurance" explanation.
INSURED_SHARE = 0.9
DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def seed(ctx: DemoContext) -> None:
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
