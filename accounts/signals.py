"""Django's own authentication signals, turned into audit rows. Every way in goes through Django's
``login`` / ``authenticate`` / ``logout`` (allauth's sign-in, the e-mail confirmation's automatic
sign-in, the admin's login, the API token request), so listening here misses none of them; the
writing itself is in ``accounts.services_audit``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import User
from accounts.services_audit import login_failed_record, login_record, logout_record
from ville_hopital.proxies import client_ip


def _ip(request: HttpRequest | None) -> str | None:
    # ``authenticate`` may be called without a request (a management command, a test).
    return client_ip(request) if request is not None else None


@receiver(user_logged_in, dispatch_uid="accounts.audit_login")
def audit_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    login_record(user=user, ip=_ip(request))


@receiver(user_login_failed, dispatch_uid="accounts.audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Django has already masked the password in ``credentials``; only the address is kept. allauth
    # passes it as ``email``, the admin's login form as ``username`` (our USERNAME_FIELD is the email).
    email = credentials.get("email") or credentials.get("username") or ""
    login_failed_record(email=str(email), ip=_ip(request))


@receiver(user_logged_out, dispatch_uid="accounts.audit_logout")
def audit_logout(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:  # signing out while signed out: nobody to record
        logout_record(user=user, ip=_ip(request))
