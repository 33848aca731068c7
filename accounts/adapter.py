from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # One entry point that sends each role to its own home (ville_hopital.views.home).
        return reverse("home")

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return reverse("home")
