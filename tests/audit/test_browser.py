"""The trail's page in Chromium, at a phone's width (390 px) and a desktop's (1280 px): no sideways
scroll of the page (the table scrolls in its own box), and axe-core finds no serious violation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser import log_in
from tests.factories import make_professional, make_user
from ville_hopital.audit import audit_record

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("width", [390, 1280])
def test_the_trail_fits_the_screen(page, live_server, live_db, axe, width):
    pro = make_professional()
    reader = make_user("une.adresse.particulierement.longue.de.cadre.de.sante@chu-exemple-de-region.fr",
                       first_name="Dominique-Marie", last_name="De La Longue-Appellation")
    for n in range(5):
        audit_record(actor=reader, action="credential.download", target=pro,
                     data={"credential": n, "kind": "insurance", "ip": "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"})
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, pro.user.email)
    page.goto(live_server.url + reverse("audit:mine") + "?action=credential.")
    assert page.get_by_role("heading", level=1).inner_text() == "Mon journal d'activité"
    assert page.locator("tbody tr").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert not [v for v in axe() if v["impact"] in ("serious", "critical")]
