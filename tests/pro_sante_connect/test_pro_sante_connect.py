"""Pro Santé Connect end to end, against a real OpenID Connect provider started by the tests
(``oidc_provider``): the Django test client drives our side, ``requests`` the provider's pages, each
redirect followed to the server it names, as a browser would."""

from __future__ import annotations

import html
import json
import os
import re
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from professionals.models import Professional
from professionals.pro_sante_connect.models import PscIdentity
from professionals.pro_sante_connect.selectors import rpps_verified_by_psc
from tests.factories import make_professional, make_user, valid_rpps
from tests.foundation.test_browser_accounts import confirmation_link
from tests.pro_sante_connect import oidc_provider
from ville_hopital import envparse
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/accounts/pro-sante-connect/login/callback/"


@pytest.fixture(scope="module")
def psc_server():
    provider, server = oidc_provider.start([CALLBACK])
    yield provider
    server.shutdown()


@pytest.fixture
def psc(psc_server):
    psc_server.tamper = None
    psc_server.accounts.clear()
    with override_settings(
        PSC_ISSUER=psc_server.issuer, PSC_CLIENT_ID=oidc_provider.CLIENT_ID,
        PSC_CLIENT_SECRET=oidc_provider.CLIENT_SECRET,
    ):
        yield psc_server


def nurse_claims(rpps: str, commune: str = "48095") -> dict:
    """What PSC's userinfo says of a freelance nurse (TRE_G15 60) practising in ``commune``."""
    return {
        "SubjectNameID": "8" + rpps, "preferred_username": "8" + rpps,
        "given_name": "Camille", "family_name": "Durand",
        "SubjectRefPro": {"codeCivilite": "MME", "exercices": [{
            "codeProfession": "60", "codeCategorieProfessionnelle": "C",
            "activities": [{"codeModeExercice": "L", "codeCommune": commune, "codePostal": "48000"}],
        }]},
    }


def through_psc(client, provider, login: str, *, process: str = "login", **headers):
    """Press « Pro Santé Connect », sign in on the provider's form, come back: the last response of
    our site once no redirect is left."""
    response = client.post(reverse("pro_sante_connect_login"), {"process": process}, **headers)
    with requests.Session() as browser:
        while response.status_code in (301, 302):
            location = response["Location"]
            if location.startswith(provider.issuer):
                form_page = browser.get(location)
                assert form_page.status_code == 200, form_page.text
                fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form_page.text))
                fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
                back = browser.post(
                    f"{provider.issuer}/auth", data={**fields, "login": login, "password": oidc_provider.PASSWORD},
                    allow_redirects=False,
                )
                assert back.status_code == 302, back.text
                location = back.headers["Location"]
            url = urlsplit(location)
            assert url.netloc in ("", "testserver"), location
            response = client.get(f"{url.path}?{url.query}" if url.query else url.path, **headers)
    return response


def text(response) -> str:
    return html.unescape(response.content.decode())


def refusals() -> list[str]:
    return list(AuditEvent.objects.filter(action="psc.refused").values_list("data__reason", flat=True))


def test_the_button_appears_only_when_configured(client, psc):
    assert "Pro Santé Connect" in text(client.get(reverse("account_login")))
    # The button's link: allauth's page confirming the sign-in with a POST (no redirect on a GET).
    confirm = client.get(reverse("pro_sante_connect_login"))
    assert confirm.status_code == 200 and 'method="post"' in text(confirm)
    with override_settings(PSC_ISSUER="", PSC_CLIENT_ID="", PSC_CLIENT_SECRET=""):
        assert "Pro Santé Connect" not in text(client.get(reverse("account_login")))
        assert client.post(reverse("pro_sante_connect_login")).status_code == 404


def test_a_new_professional_signs_up_with_psc_and_gets_a_profile_with_the_verified_rpps(client, psc):
    rpps = valid_rpps(4101)
    psc.add_account("camille", nurse_claims(rpps))

    form = through_psc(client, psc, "camille")
    # PSC gives no email address: allauth's sign-up form asks for one, verified like any other.
    assert form.status_code == 200 and "email" in form.context["form"].fields
    sent = client.post(reverse("socialaccount_signup"), {"email": "camille@example.org"})
    assert sent.status_code == 302 and sent["Location"] == reverse("account_email_verification_sent")

    user = User.objects.get(email="camille@example.org")
    assert (user.first_name, user.last_name) == ("Camille", "Durand")
    profile = Professional.objects.get(user=user)
    assert (profile.rpps, profile.profession_id, profile.home_commune_id) == (rpps, "60", "48095")
    assert rpps_verified_by_psc(profile)
    assert PscIdentity.objects.get(user=user).acr == "eidas1"
    assert AuditEvent.objects.filter(action="psc.verify", actor=user, data__profile="created").exists()

    link = urlsplit(confirmation_link("camille@example.org")).path
    client.post(link)
    assert client.get(reverse("home")).wsgi_request.user == user

    # Next time PSC alone signs the same person in, to the same account.
    client.logout()
    again = through_psc(client, psc, "camille")
    assert again.status_code == 200 and again.wsgi_request.user == user  # on their home page
    assert User.objects.filter(last_name="Durand").count() == 1


def test_an_existing_account_links_psc_from_its_account_page(client, psc):
    rpps = valid_rpps(4102)
    profile = make_professional(rpps=rpps)
    psc.add_account("camille", nurse_claims(rpps))
    client.force_login(profile.user)
    page = text(client.get(reverse("account_change_password")))
    assert "Lier Pro Santé Connect" in page
    assert not rpps_verified_by_psc(profile)

    response = through_psc(client, psc, "camille", process="connect")
    assert response.status_code == 200 and response.wsgi_request.path == reverse("socialaccount_connections")
    assert rpps_verified_by_psc(profile)
    assert AuditEvent.objects.filter(action="psc.verify", actor=profile.user, data__profile="kept").exists()
    page = text(client.get(reverse("account_change_password")))
    assert f"Votre numéro RPPS {rpps} a été vérifié par Pro Santé Connect" in page

    # The profile's RPPS typed again differently is no longer the one PSC vouched for.
    Professional.objects.filter(pk=profile.pk).update(rpps=valid_rpps(4103))
    profile.refresh_from_db()
    assert not rpps_verified_by_psc(profile)


def test_linking_an_identity_whose_rpps_is_not_the_profiles_is_refused(client, psc):
    profile = make_professional(rpps=valid_rpps(4104))
    psc.add_account("someone", nurse_claims(valid_rpps(4105)))
    client.force_login(profile.user)
    response = through_psc(client, psc, "someone", process="connect")
    assert response.status_code == 403 and "un autre numéro RPPS" in text(response)
    assert refusals() == ["rpps_mismatch"] and not PscIdentity.objects.exists()


def test_a_psc_sign_in_with_the_rpps_of_an_existing_profile_creates_no_second_account(client, psc):
    rpps = valid_rpps(4106)
    make_professional(rpps=rpps)
    psc.add_account("camille", nurse_claims(rpps))
    response = through_psc(client, psc, "camille")
    assert response.status_code == 403 and "Un compte existe déjà avec ce numéro RPPS" in text(response)
    assert refusals() == ["rpps_registered"] and User.objects.count() == 1


BAD_ANSWERS = {
    # tamper (or the account's claims), reason audited, French explanation, English explanation
    "signature": ("signature", "La signature du jeton d'identité", "signature of the identity token"),
    "audience": ("audience", "n'était pas destiné à Ville-Hôpital", "was not meant for Ville-Hôpital"),
    "nonce": ("nonce", "ne correspond pas à votre demande", "does not match your sign-in request"),
    "acr": ("acr", "niveau d'authentification exigé", "authentication level required"),
    "issuer": ("issuer", "ne vient pas du serveur Pro Santé Connect attendu", "expected Pro Santé Connect server"),
    "no_rpps": ("rpps_missing", "n'a pas transmis de numéro RPPS", "sent no RPPS number"),
    "adeli_only": ("rpps_missing", "n'a pas transmis de numéro RPPS", "sent no RPPS number"),
}


@pytest.mark.parametrize("bad", sorted(BAD_ANSWERS))
def test_a_bad_answer_is_refused_explained_in_french_and_english_and_audited(client, psc, bad):
    reason, french, english = BAD_ANSWERS[bad]
    claims = nurse_claims(valid_rpps(4107))
    if bad == "no_rpps":
        del claims["SubjectNameID"]
    elif bad == "adeli_only":
        claims["SubjectNameID"] = "0" + "751234567"
    else:
        psc.tamper = bad
    psc.add_account("camille", claims)

    response = through_psc(client, psc, "camille")
    assert response.status_code == 403 and french in text(response)
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists() and not PscIdentity.objects.exists()
    assert refusals() == [reason]

    in_english = through_psc(client, psc, "camille", HTTP_ACCEPT_LANGUAGE="en")
    assert in_english.status_code == 403 and english in text(in_english)
    assert refusals() == [reason, reason]


def test_the_settings_take_all_three_psc_values_or_none():
    assert envparse.parse_openid_client({}, "PSC_", production=True)["issuer"] == ""
    full = {"PSC_ISSUER": "https://psc.example/realms/x/", "PSC_CLIENT_ID": "c", "PSC_CLIENT_SECRET": "s"}
    assert envparse.parse_openid_client(full, "PSC_", production=True)["issuer"] == "https://psc.example/realms/x"
    with pytest.raises(ImproperlyConfigured, match="PSC_CLIENT_SECRET"):
        envparse.parse_openid_client({**full, "PSC_CLIENT_SECRET": ""}, "PSC_", production=True)
    with pytest.raises(ImproperlyConfigured, match="https"):
        envparse.parse_openid_client({**full, "PSC_ISSUER": "http://psc.example"}, "PSC_", production=True)


def test_a_callback_without_our_state_is_refused_and_audited(client, psc):
    # A forged or replayed return from PSC: no sign-in request of this browser is waiting for it.
    response = client.get(reverse("pro_sante_connect_callback"), {"code": "stolen", "state": "forged"})
    assert response.status_code == 403 and "n'a pas abouti" in text(response)
    assert refusals() == ["unknown"]


def test_cancelling_at_psc_is_not_a_refusal(client, psc):
    client.post(reverse("pro_sante_connect_login"))
    state = client.session["socialaccount_states"]
    state_id = next(iter(state))
    response = client.get(reverse("pro_sante_connect_callback"), {"error": "access_denied", "state": state_id})
    assert response.status_code == 302 and response["Location"] == reverse("socialaccount_login_cancelled")
    assert refusals() == []


def test_psc_unreachable_is_a_page_saying_so_not_an_error(client, psc):
    with socket.socket() as probe:  # a port nothing listens on any more
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with override_settings(PSC_ISSUER=f"http://127.0.0.1:{closed}/realms/esante-wallet"):
        response = client.post(reverse("pro_sante_connect_login"))
    assert response.status_code == 503 and "ne répond pas pour le moment" in text(response)
    assert refusals() == ["unavailable"]


def test_a_psc_sign_up_with_the_address_of_another_account_creates_nothing(client, psc):
    other = make_user("taken@example.org")
    psc.add_account("camille", nurse_claims(valid_rpps(4108)))
    through_psc(client, psc, "camille")
    response = client.post(reverse("socialaccount_signup"), {"email": "TAKEN@example.org"})
    assert response.status_code in (200, 302)
    assert list(User.objects.values_list("pk", flat=True)) == [other.pk]
    assert not PscIdentity.objects.exists() and not Professional.objects.exists()


def form_action(**psc: str) -> list[str]:
    """The CSP's form-action of settings read in a fresh process with these ``PSC_*`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSC_")}
    read = ("import django, json; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))")
    out = subprocess.run([sys.executable, "-c", read], env={**env, "DJANGO_SETTINGS_MODULE": "ville_hopital.settings", **psc},
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_the_issuer_is_allowed_as_a_form_target_only_when_configured():
    # The button's POST is redirected to PSC: browsers hold that redirect to the CSP's form-action.
    assert form_action() == ["'self'"]
    configured = form_action(PSC_ISSUER="https://auth.psc.example/realms/x", PSC_CLIENT_ID="c", PSC_CLIENT_SECRET="s")
    assert configured == ["'self'", "https://auth.psc.example"]
