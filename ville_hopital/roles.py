"""Which home page a person lands on, and whose sign-in needs a second factor. The project package
sits above every app, so it may ask each."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import SignupIntent
from establishments.access import is_establishment_member
from establishments.models import Establishment
from ville_hopital.access import CHANGE
from ville_hopital.mixins import is_ars_staff


def home_url_for(user) -> str:
    if user.is_staff:
        return reverse("admin:index")
    if hasattr(user, "ars_staff"):
        return reverse("dashboards:home")
    if is_establishment_member(user):
        return reverse("establishments:home")
    if hasattr(user, "professional"):
        return reverse("professionals:home")
    if user.signup_intent == SignupIntent.ESTABLISHMENT:
        return reverse("establishments:onboarding")
    return reverse("professionals:profile_create")


def second_factor_required(user) -> bool:
    """Platform staff (the Django admin), ARS staff and the admin / HR members of an establishment
    must sign in with a second factor (TOTP or a passkey); viewers and professionals may.

    Staff first: no query. A member's writing roles are those ``Establishment.objects.for_user(user,
    CHANGE)`` answers for.

    An establishment's integration token's account (``User.is_integration``) is not a person: it has
    no second factor to give, and holds its HR role only through its token (revocable, expiring,
    created by an admin who used theirs)."""
    if not user.is_authenticated or user.is_integration:
        return False
    return user.is_staff or is_ars_staff(user) or Establishment.objects.for_user(user, CHANGE).exists()
