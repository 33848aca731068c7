"""Writes: the account events of the audit trail (sign-ins, failed sign-ins, sign-outs, an API
token's use). Called by ``accounts.signals`` (Django's own authentication signals) and
``accounts.authentication``; read back through ``ville_hopital.selectors_audit``."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import User
from ville_hopital.audit import audit_record, audit_recorded_since

LOGIN = "auth.login"
LOGIN_FAILED = "auth.login_failed"
LOGOUT = "auth.logout"
API_TOKEN_USE = "api_token.use"  # noqa: S105 (an audit action's name, not a token)
#: An API token's use is recorded once per period, not once per request (a client polling every
#: minute would otherwise write a row a minute): the trail says the token was used, and when.
API_TOKEN_USE_PERIOD = timedelta(hours=1)
#: The longest address an e-mail field accepts (RFC 5321); a longer "email tried" is cut there.
EMAIL_MAX_LENGTH = 254


def login_record(*, user: User, ip: str | None) -> None:
    audit_record(actor=user, action=LOGIN, target=user, data={"ip": ip})


def login_failed_record(*, email: str, ip: str | None) -> None:
    """A refused sign-in: the address tried (never the password) and where from. It targets the
    account when the address has one, so its owner sees it in their own trail."""
    email = email.strip()[:EMAIL_MAX_LENGTH]
    account = User.objects.filter(email__iexact=email).first() if email else None
    audit_record(actor=None, action=LOGIN_FAILED, target=account, data={"email": email, "ip": ip})


def logout_record(*, user: User, ip: str | None) -> None:
    audit_record(actor=user, action=LOGOUT, target=user, data={"ip": ip})


def api_token_use_record(*, user: User, ip: str | None, now: datetime | None = None) -> bool:
    """Record that ``user``'s API token (one per account) was used, unless it already was within
    the last ``API_TOKEN_USE_PERIOD``; True when a row was written. One indexed read per request,
    nothing updated. Two first requests at the same instant may both write: a second row in that
    hour is harmless, a lock on every API request would not be."""
    now = now or timezone.now()
    if audit_recorded_since(action=API_TOKEN_USE, target=user, since=now - API_TOKEN_USE_PERIOD):
        return False
    audit_record(actor=user, action=API_TOKEN_USE, target=user, data={"ip": ip})
    return True
