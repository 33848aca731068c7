"""What browser journeys share: signing in through the form, as a person does; axe-core's verdict."""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable

import axe_playwright_python
from allauth.mfa import app_settings as mfa_settings
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from tests.factories import PASSWORD, totp_code

#: The sign-in's second step (allauth's page), for an account with a second factor.
CODE_FIELD = "#id_code"


def log_in(page: Page, base_url: str, email: str, *, at_second_step: Callable[[Page], None] | None = None) -> None:
    """Sign in with the sign-in form (``tests.factories`` users have ``PASSWORD`` and a verified
    address). The cookies are cleared first, so whoever was signed in before is not any more.

    When the second step asks for a code (an account with a second factor: staff, ARS, admins and
    HR), the authenticator app's current code is typed (``totp_code``). A code is accepted once: if
    this account already used the current one (signed in moments ago), the next one is awaited.
    ``at_second_step`` is called with the page when it shows the second step, before the code is typed."""
    page.context.clear_cookies()
    page.goto(base_url + reverse("account_login"))
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state("networkidle")
    if page.url.split("?")[0].endswith(reverse("mfa_authenticate")):
        if at_second_step is not None:
            at_second_step(page)
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


#: axe-core, as axe-playwright-python ships it.
AXE_SCRIPT = os.path.join(os.path.dirname(axe_playwright_python.__file__), "axe.min.js")


@functools.cache
def _axe_source() -> str:
    with open(AXE_SCRIPT, encoding="utf-8") as handle:
        return handle.read()


def axe_in_every_page(context: BrowserContext) -> None:
    """axe-core loaded by Chromium in every page of ``context`` as it opens (a walk through many pages
    saves sending it each time)."""
    context.add_init_script(path=AXE_SCRIPT)


def axe_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the page shown (every rule of axe-core runs).

    The pages send a Content-Security-Policy without inline scripts, so axe-core is evaluated through
    the DevTools protocol (which the policy does not govern) rather than added as a <script>."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"() => {{ {_axe_source()}\n}}")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
