"""Writes about people: the invitation that is the only way to become ARS staff, a person's civility."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.base.forms import AuthenticateForm
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts.models import ArsInvitation, ArsStaff, Civility, User
from accounts.selectors import api_token_expired
from territories.models import Region
from ville_hopital.audit import audit_record
from ville_hopital.emails import email_send_on_commit
from ville_hopital.reauthentication import has_second_factor

INVITATION_VALIDITY = timedelta(days=14)


@transaction.atomic
def civility_set(*, actor: User, civility: str | None) -> bool:
    """``actor``'s civility (``Civility``): what makes their profession read « Infirmière » or
    « Infirmier ». Empty (no answer) is « not stated ». Another value is refused naming the field
    ``civility``. Returns whether it changed (the caller's audit row says so)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    value = civility or Civility.NOT_STATED
    if value not in Civility.values:
        raise ValidationError({"civility": _("Civilité inconnue : choisissez Madame, Monsieur, ou de ne pas la préciser.")})
    if actor.civility == value:
        return False
    actor.civility = value
    actor.full_clean(exclude=["password"])
    actor.save(update_fields=["civility"])
    return True


@transaction.atomic
def ars_invitation_create(*, actor: User, email: str, region: Region) -> ArsInvitation:
    if not actor.is_staff:
        raise PermissionError("only platform staff invite ARS staff")
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("Un compte existe déjà avec cette adresse.")})
    invitation = ArsInvitation(
        email=email, region=region, invited_by=actor, expires_at=timezone.now() + INVITATION_VALIDITY
    )
    invitation.full_clean()
    invitation.save()
    audit_record(actor=actor, action="ars_invitation.create", target=invitation, data={"region": region.code})
    link = settings.SITE_URL + reverse("accounts:ars_invitation", args=[invitation.token])
    email_send_on_commit(
        "accounts/email/ars_invitation", to=[email],
        context={"region": region.name, "link": link, "expires_at": invitation.expires_at},
    )
    return invitation


@transaction.atomic
def ars_invitation_accept(*, token: str, first_name: str, last_name: str, password: str) -> User:
    invitation = ArsInvitation.objects.select_for_update().filter(token=token).first()
    if invitation is None or not invitation.is_usable:
        raise ValidationError(_("Cette invitation n'existe pas, a expiré ou a déjà servi."))
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError({"email": _("Un compte existe déjà avec cette adresse.")})
    user = User.objects.create_user(invitation.email, password, first_name=first_name, last_name=last_name)
    # The invitation reached this address, so the address is verified.
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    ArsStaff.objects.create(user=user, region=invitation.region)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(actor=user, action="ars_invitation.accept", target=invitation)
    return user


def api_token_issue(
    *, request: HttpRequest, email: str, password: str, code: str = "",
    second_factor_required: Callable[[User], bool],
) -> Token:
    """The API token of the account ``email`` / ``password`` opens, for a verified email only.

    Authentication goes through allauth's adapter, as the sign-in page does: the same failed-login
    rate limit (``ACCOUNT_RATE_LIMITS["login_failed"]``) counts API and web attempts together, and
    once it is reached even the right password is refused (``ValidationError`` code
    ``too_many_login_attempts``). Audited when a token is handed out.

    The second factor, as at sign-in: an account that has one must send its current ``code`` (its
    authenticator app's, or a recovery code), checked by allauth's own form (each code once, the
    same rate limit per account); one whose role requires a second factor
    (``second_factor_required``: the caller knows the roles) and has none is refused
    (``second_factor_enrolment``) until it enrols on the site."""
    user = get_account_adapter(request).authenticate(request, email=email, password=password)
    if user is None:
        raise ValidationError(_("Adresse e-mail ou mot de passe incorrect."), code="invalid_login")
    if not EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists():
        raise ValidationError(_("Confirmez d'abord votre adresse e-mail (lien reçu par e-mail)."), code="unverified")
    if has_second_factor(user):
        _second_factor_check(user, code)
    elif second_factor_required(user):
        raise ValidationError(_(
            "Votre rôle exige la double authentification : activez-la d'abord sur le site (connectez-vous, "
            "la page vous guide), puis demandez le jeton avec le code de votre application."
        ), code="second_factor_enrolment")
    token = Token.objects.filter(user=user).first()
    if token is not None and api_token_expired(token, now=timezone.now()):
        token.delete()  # expired: the account gets a new key, the old one stays dead
        token = None
    created = token is None
    if created:
        token = Token.objects.create(user=user)
    audit_record(actor=user, action="api_token.issue", target=user, data={"created": created})
    return token


@transaction.atomic
def api_token_revoke(*, actor: User) -> bool:
    """Delete ``actor``'s API token (every client using it is refused from now on); False if none."""
    deleted, _rows = Token.objects.filter(user=actor).delete()
    if deleted:
        audit_record(actor=actor, action="api_token.revoke", target=actor)
    return bool(deleted)


def _second_factor_check(user: User, code: str) -> None:
    """``code`` is ``user``'s current TOTP code or an unused recovery code (allauth's sign-in form,
    without the session it would write: the API has none)."""
    if not code.strip():
        raise ValidationError(_(
            "Ce compte est protégé par la double authentification : joignez le code de votre application "
            "(ou un code de secours) dans le champ « code »."
        ), code="second_factor_missing")
    form = AuthenticateForm(user=user, data={"code": code})
    if not form.is_valid():
        error = form.errors.as_data()["code"][0]
        if error.code == "too_many_login_attempts":
            raise ValidationError(error.messages, code=error.code)
        raise ValidationError(_("Code incorrect ou déjà utilisé."), code="second_factor_invalid")
    form.authenticator.record_usage()
