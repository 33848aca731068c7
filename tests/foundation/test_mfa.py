"""The second factor at sign-in (allauth's MFA), required for staff, ARS staff and establishment
admins / HR, offered to everyone else; asked again before sensitive actions.

Everything goes through the real pages — the sign-in and its second step, the enrolment page, allauth's
re-authentication — with the codes an authenticator app would show, computed by allauth's own TOTP
function (``tests.factories.totp_code``). The clock is ``time_machine``'s, so "30 s later" and
"6 minutes later" are exact.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import User
from establishments.models import MemberInvitation, MemberRole
from missions.contracts.models import Contract, ContractState
from missions.contracts.services import contract_draft
from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    from_now,
    give_second_factor,
    make_ars_agent,
    make_establishment,
    make_mission,
    make_professional,
    make_user,
    totp_code,
)
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db

#: Any instant, 10 s into a TOTP period: the clock is frozen there (``tick=False``) unless moved.
START = datetime(2026, 3, 10, 9, 0, 10, tzinfo=UTC)
PERIOD = timedelta(seconds=30)
ENROL = reverse("second_factor_enrol")
SECOND_STEP = reverse("mfa_authenticate")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _code(secret: str) -> str:
    """What an authenticator app holding ``secret`` shows now."""
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _sign_in(client, user, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


def _second_step(client, code: str):
    return client.post(SECOND_STEP, {"code": code})


# --------------------------------------------------------------------------- who must enrol


def _hr():
    hr = make_user()
    make_establishment(members={hr: MemberRole.HR}, second_factor=False)
    return hr


def _admin():
    admin = make_user()
    make_establishment(admin=admin, second_factor=False)
    return admin


ROLES_THAT_MUST_ENROL = {
    "hr": (_hr, "establishments:home"),
    "admin": (_admin, "establishments:home"),
    "ars": (lambda: make_ars_agent(second_factor=False), "dashboards:home"),
    "staff": (lambda: make_user(is_staff=True, second_factor=False), "admin:index"),
}


@pytest.mark.parametrize("role", sorted(ROLES_THAT_MUST_ENROL))
def test_a_role_that_requires_a_second_factor_is_sent_to_enrol_from_its_pages(client, role):
    build, home = ROLES_THAT_MUST_ENROL[role]
    user = build()
    response = _sign_in(client, user)
    assert response.status_code == 302 and response.wsgi_request.user == user  # no second step: none yet
    for url in (reverse("home"), reverse(home), reverse("missions:contract_list"), reverse("notifications:centre")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == ENROL, (role, url, response.status_code)
    page = client.get(ENROL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Votre rôle l'exige" in text and "data:image/svg+xml;base64," in text  # why, and the QR code
    assert reverse("mfa_add_webauthn") in text  # or a passkey
    # What stays open: the health check, the language switch, signing out; an API call is refused.
    assert client.get(reverse("health")).status_code == 200
    assert client.post(reverse("set_language"), {"language": "fr", "next": "/"}).status_code == 302
    api = client.get(reverse("api:me"))
    assert api.status_code == 403 and "double authentification" in api.json()["detail"]
    assert client.post(reverse("account_logout")).status_code == 302
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


def test_with_a_second_factor_the_same_roles_reach_their_pages(client):
    for user, home in ((make_ars_agent(), "dashboards:home"), (make_user(is_staff=True), "admin:index")):
        client.force_login(user)
        response = client.get(reverse(home))
        assert response.status_code in (200, 302) and response.get("Location") != ENROL


@pytest.mark.parametrize("role", ["professional", "viewer"])
def test_a_professional_or_a_viewer_is_not_sent_to_enrol(client, role):
    if role == "professional":
        user = make_professional().user
        home = reverse("professionals:home")
    else:
        user = make_user()
        make_establishment(members={make_user(): MemberRole.ADMIN, user: MemberRole.VIEWER})
        home = reverse("establishments:home")
    client.force_login(user)
    response = client.get(home, follow=True)
    assert response.status_code == 200 and ENROL not in [url for url, _status in response.redirect_chain]
    # The offer, on their account page.
    assert reverse("mfa_index") in client.get(reverse("account_change_password")).content.decode()


def test_the_admin_has_no_password_only_sign_in_of_its_own(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


# --------------------------------------------------------------------------- enrolment and sign-in


def test_enrol_with_the_app_then_sign_in_with_its_codes(client, clock, django_capture_on_commit_callbacks):
    hr = _hr()
    response = _sign_in(client, hr)
    assert response.status_code == 302 and client.get(response["Location"])["Location"] == ENROL
    page = client.get(ENROL).content.decode()
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)

    response = client.post(ENROL, {"code": "000000" if _code(secret) != "000000" else "111111"})
    assert response.status_code == 200 and not Authenticator.objects.filter(user=hr).exists()  # a wrong code
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ENROL, {"code": _code(secret)})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_view_recovery_codes")
    assert client.get(response["Location"]).status_code == 200  # the recovery codes, without a code again
    assert set(Authenticator.objects.filter(user=hr).values_list("type", flat=True)) == {"totp", "recovery_codes"}
    assert AuditEvent.objects.filter(actor=hr, action="mfa.activate", data__type="totp").count() == 1
    assert client.get(reverse("establishments:home")).status_code == 302  # to the establishment, not to enrol
    assert client.get(reverse("establishments:home"))["Location"] != ENROL
    client.post(reverse("account_logout"))

    # Signing in again: the password, then the code.
    clock.shift(PERIOD)
    response = _sign_in(client, hr)
    assert response.status_code == 302 and response["Location"] == SECOND_STEP
    assert not client.get(reverse("establishments:home")).wsgi_request.user.is_authenticated  # not yet
    code = _code(secret)
    response = _second_step(client, "123456" if code != "123456" else "654321")
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    response = _second_step(client, code)
    assert response.status_code == 302 and response.wsgi_request.user == hr
    client.post(reverse("account_logout"))

    # The same code again (replayed within its validity): refused.
    _sign_in(client, hr)
    response = _second_step(client, code)
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    assert "Code incorrect" in response.content.decode()


def test_a_code_two_periods_old_is_refused(client, clock):
    hr = make_user()
    make_establishment(members={hr: MemberRole.HR})
    written_down = totp_code()
    clock.shift(2 * PERIOD)
    _sign_in(client, hr)
    response = _second_step(client, written_down)
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    response = _second_step(client, totp_code())  # the current one still works
    assert response.status_code == 302 and response.wsgi_request.user == hr


def test_a_recovery_code_works_once(client, clock):
    ars = make_ars_agent(second_factor=False)
    _sign_in(client, ars)
    client.get(ENROL)
    secret = client.session["mfa.totp.secret"]
    client.post(ENROL, {"code": _code(secret)})
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    assert len(codes) == 10
    client.post(reverse("account_logout"))

    _sign_in(client, ars)
    assert _second_step(client, codes[0]).wsgi_request.user == ars
    client.post(reverse("account_logout"))
    _sign_in(client, ars)
    response = _second_step(client, codes[0])
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    assert _second_step(client, codes[1]).wsgi_request.user == ars


def test_deactivating_and_regenerating_are_audited(client, clock, django_capture_on_commit_callbacks):
    professional = make_professional().user
    give_second_factor(professional)
    _sign_in(client, professional)
    _second_step(client, totp_code())
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("mfa_generate_recovery_codes")).status_code == 302
    assert AuditEvent.objects.filter(actor=professional, action="mfa.recovery_codes_regenerate").count() == 1
    assert client.post(reverse("mfa_deactivate_totp")).status_code == 302
    assert not Authenticator.objects.filter(user=professional, type="totp").exists()
    assert AuditEvent.objects.filter(actor=professional, action="mfa.deactivate", data__type="totp").count() == 1


def test_who_must_have_a_second_factor_cannot_deactivate_the_last_one(client, clock):
    agent = make_ars_agent()
    _sign_in(client, agent)
    _second_step(client, totp_code())
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200 and "Votre rôle exige la double authentification" in response.content.decode()
    assert Authenticator.objects.filter(user=agent, type="totp").exists()


# --------------------------------------------------------------------------- sensitive actions


@pytest.fixture
def signable(db):
    alice = make_user("alice.mfa@example.org")
    pro = make_professional(alice, profession="10")
    bob = make_user("bob.mfa@example.org")
    site = make_establishment(members={bob: MemberRole.HR})
    mission = make_mission(pro, site, starts_at=from_now(timedelta(days=3)))
    return bob, contract_draft(mission=mission)


def test_signing_a_contract_asks_for_the_second_factor_again_after_the_window(client, clock, signable):
    bob, contract = signable
    detail = reverse("missions:contract_detail", args=[contract.pk])
    sign = reverse("missions:contract_sign", args=[contract.pk])
    _sign_in(client, bob)
    _second_step(client, totp_code())
    page = client.get(detail).content.decode()
    assert 'name="password"' in page  # signed in moments ago: the signing form

    clock.shift(timedelta(seconds=settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60))
    page = client.get(detail).content.decode()
    assert 'name="password"' not in page and "Confirmer mon identité pour signer" in page
    response = client.post(sign, {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate")) and "next=" in response["Location"]
    assert Contract.objects.get(pk=contract.pk).state == ContractState.DRAFT
    assert PASSWORD not in str(dict(client.session))  # the signing password was not kept

    response = client.post(response["Location"], {"code": totp_code()})
    assert response.status_code == 302 and response["Location"] == detail
    response = client.post(sign, {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == detail
    assert Contract.objects.get(pk=contract.pk).signatures.filter(user=bob).exists()


def test_the_password_cannot_stand_in_for_the_second_factor(client, clock, signable):
    bob, _contract = signable
    client.force_login(bob)  # no authentication recorded: as if signed in long ago
    response = client.get(reverse("account_reauthenticate"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_inviting_a_member_asks_for_the_second_factor_then_sends_the_invitation(client, clock):
    admin = make_user()
    site = make_establishment(admin=admin)
    members = reverse("establishments:members", args=[site.pk])
    client.force_login(admin)  # no recent authentication
    assert client.get(members).status_code == 200  # reading the list is not sensitive
    response = client.post(members, {"email": "new.hr@example.org", "role": MemberRole.HR})
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert not MemberInvitation.objects.filter(establishment=site).exists()
    response = client.post(response["Location"], {"code": totp_code()})
    # allauth replays the invitation once the code is right.
    assert MemberInvitation.objects.filter(establishment=site, email="new.hr@example.org").exists()
    assert response.status_code == 302 and response["Location"] == members


def test_an_hr_member_still_cannot_invite(client, clock):
    hr = make_user()
    site = make_establishment(members={make_user(): MemberRole.ADMIN, hr: MemberRole.HR})
    client.force_login(hr)
    response = client.post(reverse("establishments:members", args=[site.pk]), {"email": "x@example.org", "role": "hr"})
    assert response.status_code == 403  # refused as before: no re-authentication asked for nothing


# --------------------------------------------------------------------------- API tokens


def _token(client, user, **extra):
    return client.post(reverse("api:token"), {"username": user.email, "password": PASSWORD, **extra})


def test_api_token_needs_the_second_factor(client, clock):
    hr = _hr()
    response = _token(client, hr)
    assert response.status_code == 403 and "double authentification" in response.json()["detail"]
    assert not Token.objects.filter(user=hr).exists()

    give_second_factor(hr)
    response = _token(client, hr)
    assert response.status_code == 400 and "code" in response.json()
    assert _token(client, hr, code="000000" if totp_code() != "000000" else "111111").status_code == 400
    code = totp_code()
    assert _token(client, hr, code=code).status_code == 200
    assert _token(client, hr, code=code).status_code == 400  # a code serves once
    assert not client.session.keys() or "account_authentication_methods" not in client.session


def test_api_token_of_a_professional_without_second_factor_needs_only_the_password(client):
    professional = make_professional().user
    response = _token(client, professional)
    assert response.status_code == 200 and response.json()["token"]


def test_a_token_handed_out_before_enrolment_is_refused_until_then(client):
    ars = make_ars_agent(second_factor=False)
    token = Token.objects.create(user=ars)
    response = client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code in (401, 403) and "double authentification" in response.json()["detail"]
    give_second_factor(ars)
    assert client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200


def test_the_demo_accounts_that_need_a_second_factor_have_the_printed_key():
    import random

    from establishments import demo as establishments_demo
    from ville_hopital import demo as platform_demo
    from ville_hopital import demo_second_factor
    from ville_hopital.demo import DEMO_TOTP_SECRET, DemoContext, demo_logins_text
    from ville_hopital.roles import second_factor_required

    ctx = DemoContext(rng=random.Random(2026), size=1)
    platform_demo.seed(ctx)
    establishments_demo.seed(ctx)
    demo_second_factor.seed(ctx)
    demo_second_factor.seed(ctx)  # idempotent
    totp = Authenticator.objects.filter(type=Authenticator.Type.TOTP)
    required = [user for user in User.objects.all() if second_factor_required(user)]
    assert required and {a.user_id for a in totp} == {user.pk for user in required} and totp.count() == len(required)
    assert all(a.wrap().validate_code(_code(DEMO_TOTP_SECRET)) for a in totp)
    assert DEMO_TOTP_SECRET in demo_logins_text(ctx.logins)


def test_factory_codes_are_allauths(clock):
    # tests.factories.totp_code computes what allauth validates.
    assert totp_code() == _code(TOTP_SECRET)
