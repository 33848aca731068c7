"""What browser journeys share: signing in through the form, as a person does."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page

from tests.factories import PASSWORD


def log_in(page: Page, base_url: str, email: str) -> None:
    """Sign in with the sign-in form (``tests.factories`` users have ``PASSWORD`` and a verified
    address). The cookies are cleared first, so whoever was signed in before is not any more."""
    page.context.clear_cookies()
    page.goto(base_url + reverse("account_login"))
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state("networkidle")
