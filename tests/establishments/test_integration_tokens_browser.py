"""An establishment admin manages integration tokens in a real Chromium: signs in, opens the page
from the establishment's header, is refused a name without text, creates a token and copies its
secret (shown once), revokes it after the confirmation; axe on every page, and 375 px wide."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from establishments.models import IntegrationToken, MemberRole
from tests.browser import log_in
from tests.factories import make_establishment, make_user

pytestmark = [pytest.mark.browser]


@pytest.fixture
def site(live_db):
    admin = make_user("admin@example.org", first_name="Adèle", last_name="Admin")
    return make_establishment(admin=admin, members={make_user(): MemberRole.HR}, name="Centre hospitalier de Mende")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def test_an_admin_creates_copies_and_revokes_a_token(page, live_server, site, axe):
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server.url, "admin@example.org")
    page.goto(f"{live_server.url}/etablissement/{site.pk}/")
    page.get_by_role("link", name="Jetons d'intégration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jetons d'intégration — Centre hospitalier de Mende")
    assert axe() == [] and fits(page)

    page.get_by_label("Nom du jeton").fill("   ")
    page.get_by_role("button", name="Créer le jeton").click()
    expect(page.get_by_text("Ce champ est obligatoire.")).to_be_visible()
    assert not IntegrationToken.objects.exists()
    assert axe() == []

    page.get_by_label("Nom du jeton").fill("Planning des urgences")
    page.get_by_label("Écriture : publier et gérer les vacations, comme un membre RH").check()
    page.get_by_role("button", name="Créer le jeton").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jeton « Planning des urgences » créé")
    secret = page.get_by_label("Jeton (à copier dans votre logiciel)").input_value()
    token = IntegrationToken.objects.get()
    assert secret.startswith(token.key_prefix) and token.scope == "write"
    assert axe() == [] and fits(page)

    page.get_by_role("link", name="J'ai copié le jeton : retour à la liste").click()
    expect(page.get_by_role("row", name=f"Planning des urgences Écriture {token.key_prefix}")).to_be_visible()
    assert secret not in page.content()
    page.get_by_role("link", name="Révoquer le jeton Planning des urgences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Révoquer le jeton « Planning des urgences » ?")
    assert axe() == [] and fits(page)
    page.get_by_role("button", name="Révoquer le jeton").click()
    expect(page.get_by_text("Jeton « Planning des urgences » révoqué")).to_be_visible()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert axe() == []
