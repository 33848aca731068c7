"""Both parties sign in a real Chromium, logging in through the login form; axe on every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from missions.contracts.models import Contract, ContractState
from missions.contracts.services import contract_draft
from tests.browser import log_in
from tests.contracts.conftest import build_world, file_bytes, pdf_text
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def signed_world(live_db):
    world = build_world()
    return world, contract_draft(mission=world.mission)


def log_out(page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state("networkidle")


def test_both_parties_sign_in_the_browser(page, live_server, signed_world, axe, tmp_path):
    world, contract = signed_world
    page.set_viewport_size({"width": 1280, "height": 900})

    # The professional: "Mes contrats", the contract page, the PDF, a wrong password, then signs.
    log_in(page, live_server.url, world.alice.email)
    page.goto(f"{live_server.url}/missions/contrats/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes contrats")
    assert axe() == []
    page.get_by_role("link", name=re.compile(r"Urgences — n° \d+")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contrat de la mission")
    expect(page.get_by_text("document intact")).to_be_visible()
    assert axe() == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le contrat (PDF)").click()
    downloaded = tmp_path / "contract.pdf"
    download.value.save_as(downloaded)
    assert downloaded.read_bytes() == file_bytes(contract.pdf)

    page.get_by_label("Votre mot de passe").fill("not-the-password")
    page.get_by_role("button", name="Signer le contrat").click()
    expect(page.get_by_role("alert").filter(has_text="Mot de passe incorrect")).to_be_visible()
    assert axe() == []
    assert Contract.objects.get(pk=contract.pk).state == ContractState.DRAFT

    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Signer le contrat").click()
    expect(page.get_by_text("Contrat signé. Merci.")).to_be_visible()
    expect(page.get_by_text("signé par le professionnel").first).to_be_visible()
    expect(page.get_by_text("Vous avez signé ce contrat.")).to_be_visible()
    assert axe() == []
    log_out(page)

    # The establishment's HR member signs second; the final PDF carries both signatures.
    log_in(page, live_server.url, world.bob.email)
    page.goto(f"{live_server.url}/missions/contrats/")
    expect(page.get_by_role("heading", level=2, name=world.site.name)).to_be_visible()
    assert axe() == []
    page.get_by_role("link", name=re.compile(r"Urgences — n° \d+")).click()
    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Signer le contrat").click()
    expect(page.get_by_text("signé par les deux parties").first).to_be_visible()
    assert axe() == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "contract-signed.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le contrat signé (PDF)").click()
    final = tmp_path / "final.pdf"
    download.value.save_as(final)

    contract.refresh_from_db()
    assert contract.state == ContractState.SIGNED
    assert final.read_bytes() == file_bytes(contract.final_pdf)
    text = pdf_text(final.read_bytes(), tmp_path)
    assert "Page de signature électronique" in text and "Alice Martin" in text and "Bob Durand" in text
    assert "127.0.0.1" in text and contract.sha256 in text
    assert {s.ip for s in contract.signatures.all()} == {"127.0.0.1"}


def test_viewer_sees_no_sign_form_and_phone_width_fits(page, live_server, signed_world, axe):
    world, contract = signed_world
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(page, live_server.url, world.vera.email)
    page.goto(f"{live_server.url}/missions/contrats/{contract.pk}/")
    expect(page.get_by_text("Votre rôle (lecteur) permet de consulter ce contrat")).to_be_visible()
    expect(page.get_by_role("button", name="Signer le contrat")).to_have_count(0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways ({width}px)"
    assert axe() == []
    log_out(page)
    log_in(page, live_server.url, world.bob.email)  # the signer's form at phone width
    page.goto(f"{live_server.url}/missions/contrats/{contract.pk}/")
    expect(page.get_by_role("button", name="Signer le contrat")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe() == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "contract-to-sign-phone.png"), full_page=True)
    log_out(page)
    log_in(page, live_server.url, world.charlie.email)
    response = page.goto(f"{live_server.url}/missions/contrats/{contract.pk}/")
    assert response.status == 404
