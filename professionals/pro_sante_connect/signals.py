"""A PSC identity linked from the account page is recorded once allauth saved the link."""

from __future__ import annotations

from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.signals import social_account_added
from django.dispatch import receiver
from django.http import HttpRequest

from professionals.pro_sante_connect.adapter import person_of
from professionals.pro_sante_connect.services import psc_identity_record
from professionals.pro_sante_connect.views import PROVIDER_ID


@receiver(social_account_added)
def record_linked_identity(sender, request: HttpRequest, sociallogin: SocialLogin, **kwargs) -> None:
    if sociallogin.account.provider == PROVIDER_ID:
        psc_identity_record(user=sociallogin.user, person=person_of(sociallogin))
