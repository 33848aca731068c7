"""Demo step, last: the demo accounts whose role requires a second factor (``second_factor_required``)
get an authenticator app with the printed key ``DEMO_TOTP_SECRET`` (allauth's ``TOTP.activate``, as its
activation page does), so each printed login works at once with any authenticator app. Idempotent."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from accounts.models import User
from ville_hopital.demo import DEMO_TOTP_SECRET, DemoContext
from ville_hopital.roles import second_factor_required


def seed(ctx: DemoContext) -> None:
    enrolled = set(Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list("user_id", flat=True))
    for user in User.objects.exclude(pk__in=enrolled).iterator():
        if second_factor_required(user):
            TOTP.activate(user, DEMO_TOTP_SECRET)
