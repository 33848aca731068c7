"""A professional's first minutes, in Debian's Chromium: sign up, verify the email, fill the profile,
declare next month with a shortcut, accept a proposal, find it in "my missions" and the iCal feed.
Every page on the way is checked with axe-core (no serious or critical violation)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import SignupIntent
from missions.booking.services.proposals import proposal_accept
from missions.core.models import Mission, ProposalSource
from professionals.models import Availability, Professional
from tests.factories import insure, local, make_professional, make_proposal, make_shift
from tests.foundation.test_browser_accounts import confirmation_link, sign_up_and_verify
from ville_hopital.months import month_days, next_month

pytestmark = [pytest.mark.browser]

__all__ = ["confirmation_link"]  # other journeys import it from here


def test_professional_journey(page, live_server, live_db, axe, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email = "claire.infirmiere@example.org"
    base = live_server.url

    # Sign up and verify the address (the foundation's steps, axe on the sign-up page included).
    sign_up_and_verify(page, live_server, email, SignupIntent.PROFESSIONAL, axe)

    # The profile, with a valid RPPS.
    expect(page).to_have_url(re.compile(r"/pro/profil/nouveau/$"))
    assert axe() == []
    page.select_option("#id_profession", "60")
    page.fill("#id_rpps", "1000 5173 140")  # typed with spaces, as on a CPS card
    page.fill("#id_home_commune", "Mende (48000)")
    page.fill("#id_radius_km", "60")
    page.check("input[name=min_notice_hours][value='12']")  # nothing pre-ticked: a choice to make
    page.get_by_role("button", name="Enregistrer").click()
    expect(page).to_have_url(re.compile(r"/pro/disponibilites/\d{4}/\d{1,2}/$"))
    professional = Professional.objects.get(user__email=email)
    assert professional.rpps == "10005173140"

    # Next month: every Saturday, day slot, with the shortcut (JavaScript ticks, one save).
    page.get_by_role("link", name=re.compile("Mois suivant")).click()
    following = next_month(timezone.localdate())
    year, month = following.year, following.month
    expect(page).to_have_url(re.compile(rf"/pro/disponibilites/{year}/{month}/$"))
    assert axe() == []
    expect(page.locator("#unsaved")).to_be_hidden()
    page.select_option("#id_shortcut_days", "wd5")
    page.select_option("#id_shortcut_slots", "D")
    page.get_by_role("button", name="Cocher ces créneaux").click()
    saturdays = [d for d in month_days(following) if d.weekday() == 5]
    expect(page.locator("#calendar-summary")).to_contain_text(f"{len(saturdays)} créneaux déclarés")
    expect(page.locator("#unsaved")).to_be_visible()
    with page.expect_navigation():  # the POST and its redirect finish before the reload
        page.get_by_role("button", name="Enregistrer le mois").click()
    page.reload()
    for saturday in saturdays:
        expect(page.locator(f"#slot-{saturday.isoformat()}\\:D")).to_be_checked()
        expect(page.locator(f"#slot-{saturday.isoformat()}\\:N")).not_to_be_checked()
    assert Availability.objects.filter(professional=professional).count() == len(saturdays)

    # A proposal arrives (through the service the matching engine uses) and is accepted: only an
    # insured professional may accept (RCP attestation valid on the shift's day).
    insure(professional, saturdays[-1] + timedelta(days=365))
    shift = make_shift(starts_at=local(saturdays[0], 8), pay=Decimal("648.00"))
    make_proposal(shift, professional, source=ProposalSource.URGENT, distance="2.4", expires_in=timedelta(hours=12))
    page.goto(f"{base}/missions/propositions/")
    expect(page.get_by_role("heading", level=3, name=re.compile(shift.establishment.name))).to_be_visible()
    assert axe() == []
    page.get_by_role("button", name=re.compile("^Accepter")).click()
    expect(page.get_by_role("heading", name="Informations pratiques")).to_be_visible()
    expect(page.get_by_text("Entrée B, 2e étage")).to_be_visible()
    assert axe() == []
    mission = Mission.objects.get(professional=professional)

    # In "my missions", in the calendar, and in the iCal feed.
    page.goto(f"{base}/missions/mes-missions/")
    # The row's link names the day and the year (« samedi 2 janvier 2027 »): found by its address, since
    # other links of the page may contain the same digits.
    row_link = page.locator(f"a[href='/missions/mes-missions/{mission.pk}/']")
    expect(row_link).to_have_text(re.compile(rf"\s{saturdays[0].day} \S+ {saturdays[0].year}$"))
    expect(page.get_by_text(shift.establishment.name)).to_be_visible()
    assert axe() == []
    page.goto(f"{base}/pro/disponibilites/{year}/{month}/")
    expect(page.locator(f"a[href='/missions/mes-missions/{mission.pk}/']")).to_be_visible()
    expect(page.locator(f"#slot-{saturdays[0].isoformat()}\\:D")).to_be_disabled()
    page.goto(f"{base}/pro/")
    assert axe() == []
    feed_url = page.locator("#feed-url").input_value()
    response = page.request.get(feed_url)
    assert response.ok
    events = icalendar.Calendar.from_ical(response.body()).walk("VEVENT")
    assert [e.decoded("dtstart") for e in events] == [shift.starts_at]


def test_calendar_and_profile_on_a_phone(page, live_server, live_db, axe, client):
    professional = make_professional()
    make_proposal(make_shift(), professional)  # pages with content, not only their empty state
    mission = proposal_accept(
        actor=professional.user, proposal=make_proposal(make_shift(starts_at=local(timezone.localdate() + timedelta(days=1), 20)), professional)
    )
    client.force_login(professional.user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    page.set_viewport_size({"width": 375, "height": 740})
    for path in (
        "/pro/", "/pro/disponibilites/", "/pro/profil/", "/pro/justificatifs/", "/missions/propositions/",
        "/missions/mes-missions/", f"/missions/mes-missions/{mission.pk}/", "/missions/revenus/",
    ):
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert axe() == [], path
    # Nothing wider than the screen but the grid's own scroller.
    page.goto(live_server.url + "/pro/disponibilites/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1


def test_calendar_without_javascript(browser, live_server, live_db, axe, client):
    """The plain form: the shortcut button submits, adds the slots and saves the month."""
    professional = make_professional()
    client.force_login(professional.user)
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    following = next_month(timezone.localdate())
    year, month = following.year, following.month
    page.goto(f"{live_server.url}/pro/disponibilites/{year}/{month}/")
    page.select_option("#id_shortcut_days", "w3")
    page.select_option("#id_shortcut_slots", "N")
    page.get_by_role("button", name="Ajouter et enregistrer").click()
    expect(page.get_by_text("créneaux ajoutés")).to_be_visible()
    nights = Availability.objects.filter(professional=professional)
    assert nights.count() == 7 and {a.slot for a in nights} == {"N"}
    first = nights.order_by("day").first().day
    page.locator(f"#slot-{first.isoformat()}\\:N").uncheck()
    page.get_by_role("button", name="Enregistrer le mois").click()
    expect(page.locator("#calendar-summary")).to_contain_text("6 créneaux déclarés")
    context.close()
