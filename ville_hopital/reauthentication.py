"""Sensitive actions ask again for the second factor: allauth's re-authentication flow.

Inviting a member, signing a contract and handing out an API token need a *recent* authentication
(``ACCOUNT_REAUTHENTICATION_TIMEOUT``, 5 minutes unless ``REAUTHENTICATION_SECONDS`` says otherwise):
the sign-in itself counts, so whoever has just typed their code is not asked again; past the window
allauth's re-authentication page asks for it (``mfa_reauthenticate``: TOTP or recovery code; a
passkey when that is all the account has). For an account with a second factor only a second-factor
authentication counts (``accounts.adapter`` offers no password re-authentication to such an account);
an account without one (a professional who has not enrolled) is not asked here: signing a contract
already asks for its password.

No role here: ``ville_hopital.second_factor`` decides who *must* have a second factor.
"""

from __future__ import annotations

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import urlencode

#: What counts as a second factor (recovery codes only stand in for one of these).
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
#: allauth's record of an authentication by a second factor (the sign-in's second step, a passkey
#: sign-in, or a re-authentication).
SECOND_FACTOR_METHOD = "mfa"


def has_second_factor(user) -> bool:
    return bool(user.is_authenticated and is_mfa_enabled(user, list(SECOND_FACTORS)))


def recently_authenticated(request: HttpRequest) -> bool:
    """Did this session authenticate within the window — signing in or re-authenticating alike —
    with the second factor when the account has one?

    An account that enrolled its second factor after that authentication (in this very session: the
    enrolment's code proved the factor) counts as authenticated with it: the recovery codes shown
    right after enrolling do not ask for a code at once."""
    user = request.user
    if not user.is_authenticated:
        return False
    since = time.time() - account_settings.REAUTHENTICATION_TIMEOUT
    recent = [record for record in get_authentication_records(request, user) if record.get("at", 0) >= since]
    if not recent:
        return False
    enrolled = Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).order_by("-created_at").first()
    if enrolled is None:
        return True
    enrolled_at = enrolled.created_at.timestamp()
    return any(record.get("method") == SECOND_FACTOR_METHOD or record["at"] <= enrolled_at for record in recent)


def second_factor_again_needed(request: HttpRequest) -> bool:
    """True when the account has a second factor and has not used it within the window."""
    return has_second_factor(request.user) and not recently_authenticated(request)


def require_second_factor_again(request: HttpRequest) -> None:
    """Call where a sensitive action is about to be done (after the permission checks, so a refusal
    stays a refusal). Raises allauth's ``ReauthenticationRequired``: its middleware keeps the request
    (a POST is replayed once re-authenticated) and sends the person to the re-authentication page.
    Only for forms whose fields may wait in the session: a password must not (see below)."""
    if second_factor_again_needed(request):
        raise ReauthenticationRequired()


def reauthentication_url(request: HttpRequest, next_url: str) -> str:
    """allauth's re-authentication page for this account (its first method), then ``next_url``."""
    methods = get_account_adapter(request).get_reauthentication_methods(request.user)
    if not methods:
        raise PermissionDenied
    return f"{methods[0]['url']}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


def reauthentication_redirect(request: HttpRequest, next_url: str) -> HttpResponseRedirect:
    """Send to the re-authentication page, then back to ``next_url`` (a page, not the POST: what was
    posted is dropped, e.g. a signing password that must not be stored in the session)."""
    return HttpResponseRedirect(reauthentication_url(request, next_url))
