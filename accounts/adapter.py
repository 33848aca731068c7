from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.utils import build_absolute_uri
from django.http import HttpRequest
from django.urls import reverse

from ville_hopital.emails import email_context
from ville_hopital.reauthentication import recently_authenticated


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # One entry point that sends each role to its own home (ville_hopital.views.home).
        return reverse("home")

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return reverse("home")

    def get_reauthentication_methods(self, user) -> list[dict]:
        # An account with a second factor re-authenticates with it (TOTP, recovery code, passkey):
        # its password, or a code by email, is not offered, so it cannot stand in for the second factor.
        methods = super().get_reauthentication_methods(user)
        second_factor = [method for method in methods if method["id"].startswith("mfa_reauthenticate")]
        return second_factor or methods

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # A recent authentication counts, the sign-in included (ville_hopital.reauthentication): who
        # has just typed their code is not asked for the next one, nor for their password again to
        # enrol a second factor right after signing in.
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = allauth_context.request
        return request is None or not recently_authenticated(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Our templates (templates/account/email/: text and HTML, in the emails' layout) name the
        # site from the settings, like the platform's other emails (ville_hopital.emails).
        if template_prefix == "account/email/account_already_exists":
            # Sent instead of an "email taken" error (ACCOUNT_PREVENT_ENUMERATION): besides allauth's
            # password reset link, it offers the sign-in page, built the same way.
            context = {"login_url": build_absolute_uri(allauth_context.request, reverse("account_login")), **context}
        super().send_mail(template_prefix, email, email_context(**context))
