"""Demo step: CH de Mende's planning software holds an integration token (write scope), so the API
can be tried at once: ``seed_demo`` prints the token and a ``curl`` reading the establishment's
shifts, and ``run_embedded`` prints them again once the server is up.

A token's secret is never kept (only its hash): a re-run cannot show the previous one again, so
each run revokes the demo token it made before and creates a new one, through the services, as an
admin would from the tokens page. One active demo token at a time.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from establishments.demo import HR_EMAIL
from establishments.models import Establishment, IntegrationTokenScope
from establishments.selectors_tokens import integration_tokens_of
from establishments.services_tokens import integration_token_create, integration_token_revoke
from ville_hopital.demo import DemoContext

TOKEN_NAME = "Logiciel de planning (démo)"  # noqa: S105 (a token's name, not a secret)
SITE = "CH de Mende"  # HR_EMAIL's establishment, where that account is admin


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    admin = User.objects.get(email=HR_EMAIL)
    establishment = Establishment.objects.get(name=SITE)
    for previous in integration_tokens_of(user=admin, establishment=establishment).filter(
            name=TOKEN_NAME, revoked_at__isnull=True):
        integration_token_revoke(actor=admin, token=previous)
    _token, secret = integration_token_create(
        actor=admin, establishment=establishment, name=TOKEN_NAME, scope=IntegrationTokenScope.WRITE,
        expires_at=timezone.now() + timedelta(days=30),
    )
    ctx.api_token = secret
