from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from ville_hopital.emails import email_context


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # One entry point that sends each role to its own home (ville_hopital.views.home).
        return reverse("home")

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return reverse("home")

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Our templates (templates/account/email/: text and HTML, in the emails' layout) name the
        # site from the settings, like the platform's other emails (ville_hopital.emails).
        super().send_mail(template_prefix, email, email_context(**context))
