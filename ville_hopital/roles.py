"""Which home page a person lands on. The project package sits above every app, so it may ask each."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import SignupIntent


def home_url_for(user) -> str:
    if user.is_staff:
        return reverse("admin:index")
    if hasattr(user, "ars_staff"):
        return reverse("dashboards:home")
    if user.memberships.exists():
        return reverse("establishments:home")
    if hasattr(user, "professional"):
        return reverse("professionals:home")
    if user.signup_intent == SignupIntent.ESTABLISHMENT:
        return reverse("establishments:onboarding")
    return reverse("professionals:profile_create")
