"""Writes about integration tokens: an establishment admin creates and revokes named API tokens for
the establishment's own software; each use is recorded.

Choices (also in docs/api.md):

* the secret reads ``vh_it_<43 characters>`` and is sent as ``Authorization: Bearer vh_it_…``: the
  ``Bearer`` keyword and the prefix keep it apart from the personal tokens (``Authorization: Token …``,
  ``ville_hopital.second_factor.EnrolledTokenAuthentication``), and a leaked one is recognisable
  (secret scanners, logs);
* only its SHA-256 is stored (``IntegrationToken.key_hash``): a secret of 256 random bits needs no
  slow hash, and the look-up by hash stays one indexed read per request;
* the token acts as an account of its own (``User.is_integration``: no usable password, an
  address under ``.invalid`` that no mail reaches, no e-mail address row, so neither a sign-in nor a
  password reset), member of the establishment as a viewer (scope read) or HR (scope write);
* a token lasts ``DEFAULT_LIFETIME`` unless the admin chooses, at most ``MAX_LIFETIME``;
* revoking deactivates the account and removes its membership (the audit trail keeps both);
  an expired token is refused at once, its account stays until an admin revokes it;
* every authenticated use writes an audit row (method, path, address); ``last_used_at`` is
  written at most once per ``LAST_USE_PRECISION`` (one conditional UPDATE then, no lock; nothing
  between): an accepted request costs two queries (the look-up and the audit row), and the date's
  UPDATE once a minute.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SignupIntent, User
from establishments.access import establishment_require
from establishments.models import (
    ROLE_FOR_SCOPE,
    Establishment,
    IntegrationToken,
    IntegrationTokenScope,
    Membership,
)
from establishments.selectors_tokens import SECRET_PREFIX, secret_hash
from ville_hopital.access import ADMIN
from ville_hopital.audit import audit_record

#: How many characters of the secret (prefix included) lists show: enough to tell tokens apart.
SHOWN_PREFIX_LENGTH = len(SECRET_PREFIX) + 8
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=365)
#: ``last_used_at`` is exact to this much: a client calling every second writes it once a minute.
LAST_USE_PRECISION = timedelta(minutes=1)
#: The domain of the integration accounts' addresses: reserved, it never receives mail (RFC 2606).
ACCOUNT_DOMAIN = "integration.invalid"

TOKEN_CREATE = "integration_token.create"  # noqa: S105 (an audit action's name, not a secret)
TOKEN_REVOKE = "integration_token.revoke"  # noqa: S105
TOKEN_USE = "integration_token.use"  # noqa: S105
TOKEN_REFUSED = "integration_token.refused"  # noqa: S105


def _check_expiry(expires_at: datetime, now: datetime) -> None:
    if expires_at <= now:
        raise ValidationError({"expires_at": _("Choisissez une date d'expiration à venir.")})
    if expires_at > now + MAX_LIFETIME:
        raise ValidationError({"expires_at": _("Un jeton dure au plus un an : choisissez une date plus proche.")})


def _check_name(establishment: Establishment, name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Donnez un nom au jeton (par exemple le logiciel qui l'utilisera).")})
    if IntegrationToken.objects.filter(establishment=establishment, name=name, revoked_at__isnull=True).exists():
        raise ValidationError({"name": _("Un jeton non révoqué de l'établissement porte déjà ce nom.")})
    return name


def _integration_account(name: str) -> User:
    """The token's own account: nobody signs in to it (module docstring)."""
    user = User.objects.create_user(
        f"integration-{secrets.token_hex(8)}@{ACCOUNT_DOMAIN}", password=None,
        first_name=_("Intégration"), last_name=f"« {name} »"[:150],
        signup_intent=SignupIntent.ESTABLISHMENT, is_integration=True,
    )
    return user


@transaction.atomic
def integration_token_create(
    *, actor, establishment: Establishment, name: str, scope: str, expires_at: datetime | None = None,
) -> tuple[IntegrationToken, str]:
    """Create a token and its account; returns the token and its secret, which is never kept."""
    # The views fetch the establishment with for_user(…, ADMIN) (404 otherwise): this is the service's
    # own check, for any other caller.
    establishment_require(actor, establishment, ADMIN)
    now = timezone.now()
    if scope not in IntegrationTokenScope.values:
        raise ValidationError({"scope": _("Portée inconnue : « read » (lecture) ou « write » (écriture).")})
    expires_at = expires_at or now + DEFAULT_LIFETIME
    _check_expiry(expires_at, now)
    name = _check_name(establishment, name)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    user = _integration_account(name)
    token = IntegrationToken(
        establishment=establishment, name=name, scope=scope, user=user, key_prefix=secret[:SHOWN_PREFIX_LENGTH],
        key_hash=secret_hash(secret), created_by=actor, created_at=now, expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    membership = Membership(user=user, establishment=establishment, role=ROLE_FOR_SCOPE[scope])
    membership.full_clean()
    membership.save()
    audit_record(
        actor=actor, action=TOKEN_CREATE, target=token,
        data={"name": name, "scope": scope, "prefix": token.key_prefix, "expires_at": expires_at.isoformat()},
    )
    return token, secret


@transaction.atomic
def integration_token_revoke(*, actor, token: IntegrationToken) -> IntegrationToken:
    """Revoke a token: it authenticates no more, its account is deactivated and leaves the
    establishment. Revoking a revoked token changes nothing (and writes nothing)."""
    token = IntegrationToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    establishment_require(actor, token.establishment_id, ADMIN)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.full_clean()
    token.save(update_fields=["revoked_at", "revoked_by"])
    token.user.is_active = False
    token.user.save(update_fields=["is_active"])
    removed, _counts = Membership.objects.filter(user=token.user, establishment=token.establishment).delete()
    audit_record(
        actor=actor, action=TOKEN_REVOKE, target=token,
        data={"name": token.name, "prefix": token.key_prefix, "memberships_removed": removed},
    )
    return token


def integration_token_use_record(
    *, token: IntegrationToken, method: str, path: str, ip: str | None, now: datetime | None = None,
) -> None:
    """One authenticated request: an audit row (who: the token's account; what: the method and
    path), and ``last_used_at`` when it is older than ``LAST_USE_PRECISION``. Not atomic on
    purpose: it runs in the authentication, in autocommit, so the row stays whatever the view does."""
    now = now or timezone.now()
    audit_record(
        actor=token.user, action=TOKEN_USE, target=token,
        data={"method": method, "path": path[:300], "ip": ip, "prefix": token.key_prefix},
    )
    since = now - LAST_USE_PRECISION
    if token.last_used_at is not None and token.last_used_at >= since:
        return  # read with the token a moment ago: most requests write nothing more
    # Conditional: of two requests at the same instant, one writes.
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=since)
    if IntegrationToken.objects.filter(stale, pk=token.pk).update(last_used_at=now):
        token.last_used_at = now


def integration_token_refusal_record(
    *, token: IntegrationToken, reason: str, method: str, path: str, ip: str | None,
) -> None:
    """A request with a known but revoked or expired token: the establishment's trail shows it
    (a forgotten client still calling, or a leaked secret being tried)."""
    audit_record(
        actor=None, action=TOKEN_REFUSED, target=token,
        data={"reason": reason, "method": method, "path": path[:300], "ip": ip, "prefix": token.key_prefix},
    )
