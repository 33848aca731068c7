"""Redis away: a real gunicorn whose REDIS_URL points at a port nothing listens on.

Signing in, accepting an offer, posting an urgent shift and reading the ARS dashboard each answer
within 2 s, never 500 (accepting once waited ~76 s on Celery's publish retries, then answered 500 with
the mission already booked; sign-in and the dashboard answered 500: rate limits and the dashboard
cache live in Redis). What the lost tasks would have done is then done by the periodic safety nets,
as when Redis is back: nothing is lost.
"""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from establishments.models import Shift
from missions.contracts.models import Contract
from missions.contracts.services import contracts_draft_missing
from missions.core.models import Mission, Proposal
from missions.platform.services.urgent import urgent_pending_match
from tests.factories import (
    PASSWORD,
    default_unit,
    in_days,
    insure,
    make_ars_agent,
    make_availability,
    make_establishment,
    make_professional,
    make_proposal,
    make_shift,
    totp_code,
    writer_of,
)
from tests.foundation.embedded_server import free_port
from tests.foundation.gunicorn_server import Gunicorn

WITHIN = 2.0  # seconds: what a person waits before tapping again

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker]


class _Browser:
    """A person's cookies, and how long each request took."""

    def __init__(self, base: str) -> None:
        self.base, self.jar = base, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def open(self, path: str, data: dict | None = None) -> tuple[int, str, float]:
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self._cookie("csrftoken")}
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=60) as answer:
                return answer.status, answer.read().decode(), time.monotonic() - started
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), time.monotonic() - started

    def _cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def sign_in_as_session_of(self, user) -> None:
        client = Client()
        client.force_login(user)
        domain = urllib.parse.urlsplit(self.base).hostname
        cookie = http.cookiejar.Cookie(0, "sessionid", client.cookies["sessionid"].value, None, False, domain, False,
                                       False, "/", True, False, None, False, None, None, {})
        self.jar.set_cookie(cookie)


@pytest.fixture
def gunicorn_without_redis(live_db, tmp_path):
    server = Gunicorn(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    try:
        yield server
    finally:
        server.stop()


def test_pages_and_actions_answer_quickly_and_nothing_is_lost(gunicorn_without_redis):
    server = gunicorn_without_redis
    assert '"status": "degraded"' in server.health and '"broker": false' in server.health
    nurse = make_professional(min_notice_hours=2)
    insure(nurse)
    offered = make_shift(starts_at=in_days(4, 8))
    make_availability(nurse, timezone.localdate(offered.starts_at), "D")
    offer = make_proposal(offered, nurse, expires_in=timedelta(days=1))
    hr_establishment = make_establishment()
    tomorrow = timezone.localdate() + timedelta(days=1)
    on_call = make_professional(min_notice_hours=2)  # free tomorrow: the urgent wave's candidate
    insure(on_call)
    make_availability(on_call, tomorrow, "D")
    hr = writer_of(hr_establishment)
    ars = make_ars_agent(hr_establishment.commune.region_id)
    # The tests hash with MD5 (fast); gunicorn runs the real settings: PBKDF2.
    pbkdf2 = PBKDF2PasswordHasher()
    started = time.monotonic()
    User.objects.filter(pk=ars.pk).update(password=pbkdf2.encode(PASSWORD, pbkdf2.salt()))
    hashing = time.monotonic() - started  # sign-in checks the password: its deliberate cost, on top

    # Sign-in (allauth's rate limits read the cache).
    person = _Browser(server.url)
    status, _page, _took = person.open(reverse("account_login"))
    assert status == 200
    status, page, took = person.open(reverse("account_login"), {"login": ars.email, "password": PASSWORD})
    assert status == 200 and took < WITHIN + hashing, (status, took, hashing, server.log.read_text()[-3000:])
    # The second step (ARS staff sign in with a second factor); its used-code check reads the cache too
    # and, like the rate limits, fails open while Redis is away.
    status, page, took = person.open(reverse("mfa_authenticate"), {"code": totp_code()})
    assert status == 200 and took < WITHIN, (status, took, server.log.read_text()[-3000:])
    assert "Se déconnecter" in page, page[page.find("<main"):][:1500]  # signed in, followed to the dashboard

    # The ARS dashboard (its figures are cached in Redis).
    status, page, took = person.open(reverse("dashboards:overview", args=[hr_establishment.commune.region_id]))
    assert status == 200 and took < WITHIN, (status, took)

    # Accepting an offer (the booking queues the contract, notifications and aggregates).
    professional = _Browser(server.url)
    professional.sign_in_as_session_of(nurse.user)
    professional.open(reverse("missions:proposals"))
    status, page, took = professional.open(reverse("missions:proposal_accept", args=[offer.pk]), {})
    assert status == 200 and took < WITHIN, (status, took, server.log.read_text()[-3000:])
    mission = Mission.objects.get(proposal=offer)

    # Posting an urgent shift for tomorrow (its commit queues the first wave).
    manager = _Browser(server.url)
    manager.sign_in_as_session_of(hr)
    create = reverse("establishments:shift_create", args=[hr_establishment.pk])
    manager.open(create)
    status, page, took = manager.open(create, {
        "unit": default_unit(hr_establishment).pk, "profession": "60", "day": tomorrow.isoformat(), "template": "day",
        "positions": "1", "urgency": "5", "urgent": "on", "pay": "500.00",
    })
    assert status == 200 and took < WITHIN, (status, took, re.findall(r'class="errorlist".*?</ul>', page))
    posted = Shift.objects.filter(establishment=hr_establishment).get()
    assert not Proposal.objects.filter(shift=posted).exists()  # the wave could not be queued…
    assert not Contract.objects.filter(mission=mission).exists()  # …nor the contract's draft

    # …Redis is back: the safety nets do what the lost tasks would have done.
    urgent_pending_match()
    contracts_draft_missing()
    assert Contract.objects.filter(mission=mission).exists()
    assert set(Proposal.objects.filter(shift=posted).values_list("professional_id", flat=True)) == {on_call.pk}
