"""Content-Security-Policy: no inline script may run, on any page (a script injected into a name or a
message would be one); the project's own scripts are static files. Checked on the header and in a
real Chromium, which reports every blocked script or style in its console."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser import log_in
from tests.factories import make_professional, make_user

pytestmark = pytest.mark.django_db


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in header.split(";")) if d}


def test_every_page_forbids_inline_and_foreign_scripts(client):
    policy = _directives(client.get(reverse("account_login")))
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]


def test_the_api_documentation_keeps_its_own_page_outside_the_policy(client):
    # drf-spectacular's Swagger page starts itself with an inline script; it shows no user data.
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200 and "Content-Security-Policy" not in docs
    assert "Content-Security-Policy" in client.get(reverse("api:me"))  # the API itself keeps it


@pytest.mark.browser
def test_no_page_of_the_journeys_breaks_its_policy(live_db, live_server, page, csp_blocked):
    """The pages with the project's scripts (the calendar, commune suggestions) work under the policy."""
    nurse = make_professional(make_user("csp@example.org"))
    log_in(page, live_server.url, nurse.user.email)
    page.goto(live_server.url + reverse("professionals:calendar_current"))
    page.goto(live_server.url + reverse("professionals:profile_edit"))
    assert page.url == live_server.url + reverse("professionals:profile_edit"), page.url
    commune = page.locator("input[data-commune-search]").first
    commune.fill("Mend")
    page.locator("#commune-options option").first.wait_for(state="attached")  # the script ran and fetched
    assert csp_blocked == []
