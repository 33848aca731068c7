"""What browser journeys share: signing in through the form, as a person does."""

from __future__ import annotations

import re
import time

from allauth.mfa import app_settings as mfa_settings
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, totp_code

#: The sign-in's second step (allauth's page), for an account with a second factor.
CODE_FIELD = "#id_code"


def log_in(page: Page, base_url: str, email: str) -> None:
    """Sign in with the sign-in form (``tests.factories`` users have ``PASSWORD`` and a verified
    address). The cookies are cleared first, so whoever was signed in before is not any more.

    When the second step asks for a code (an account with a second factor: staff, ARS, admins and
    HR), the authenticator app's current code is typed (``totp_code``). A code is accepted once: if
    this account already used the current one (signed in moments ago), the next one is awaited."""
    page.context.clear_cookies()
    page.goto(base_url + reverse("account_login"))
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state("networkidle")
    if page.url.split("?")[0].endswith(reverse("mfa_authenticate")):
        _second_step(page)


def _second_step(page: Page) -> None:
    # The current code; if this account used it already, the next period's (the tolerance of one
    # period accepts it); if that one too, the one after, once the next period has come.
    for attempt in range(3):
        if attempt == 2:
            period = mfa_settings.TOTP_PERIOD
            time.sleep(period - time.time() % period + 0.5)
        page.fill(CODE_FIELD, totp_code(periods=0 if attempt == 0 else 1))
        page.locator(CODE_FIELD).press("Enter")
        page.wait_for_load_state("networkidle")
        if not page.url.split("?")[0].endswith(reverse("mfa_authenticate")):
            return
    raise AssertionError("the second step refused three codes in a row")


def enrol_second_factor(page: Page) -> str:
    """On the way to the enrolment page (a role that requires a second factor, none yet): confirm the
    password if allauth asks for it (the session's last authentication is not recent), read the key
    shown beside the QR code, as an app would, and type the code it gives. Returns the key."""
    if page.url.split("?")[0].endswith(reverse("account_reauthenticate")):
        page.fill("#id_password", PASSWORD)
        page.locator("#id_password").press("Enter")
    expect(page).to_have_url(re.compile(re.escape(reverse("second_factor_enrol")) + "$"))
    secret = page.locator("#totp-secret").inner_text().strip()
    page.fill(CODE_FIELD, totp_code(secret=secret))
    page.get_by_role("button", name="Activer").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("mfa_view_recovery_codes")) + "$"))
    return secret
