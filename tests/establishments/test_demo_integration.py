"""The demo's integration token: printed once, it reads CH de Mende's shifts through the API; a new
seed revokes it and prints another (a secret is never kept, so never shown twice)."""

from __future__ import annotations

import random

import pytest

from establishments import demo, demo_integration
from establishments.models import Establishment, IntegrationToken
from ville_hopital import demo as platform_demo
from ville_hopital.demo import DemoContext, demo_api_text

pytestmark = pytest.mark.django_db


def _seeded() -> DemoContext:
    ctx = DemoContext(rng=random.Random(2026), size=1)
    platform_demo.seed(ctx)
    demo.seed(ctx)
    demo_integration.seed(ctx)
    return ctx


def _shifts(client, token: str):
    return client.get("/api/v1/shifts/", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_printed_token_reads_the_establishments_shifts_and_a_new_seed_replaces_it(client):
    first = _seeded()
    text = demo_api_text("http://127.0.0.1:8000", first.api_token)
    assert first.api_token.startswith("vh_it_") and f"Bearer {first.api_token}" in text
    assert "http://127.0.0.1:8000/api/docs/" in text
    answer = _shifts(client, first.api_token)
    assert answer.status_code == 200, answer.content
    mende = Establishment.objects.get(name=demo_integration.SITE)
    listed = answer.json()["results"]
    assert listed and {shift["establishment"] for shift in listed} <= {mende.pk}

    second = DemoContext(rng=random.Random(2026), size=1)
    demo_integration.seed(second)
    assert second.api_token != first.api_token
    assert _shifts(client, first.api_token).status_code == 401
    assert _shifts(client, second.api_token).status_code == 200
    tokens = IntegrationToken.objects.filter(establishment=mende, name=demo_integration.TOKEN_NAME)
    assert tokens.count() == 2 and tokens.filter(revoked_at__isnull=True).count() == 1


def test_without_a_seed_the_text_points_to_the_docs_and_says_where_the_token_was_printed():
    text = demo_api_text("http://127.0.0.1:8000")
    assert "/api/docs/" in text and "vh_it_" not in text and "seed_demo" in text
