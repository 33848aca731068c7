"""Webhooks test set-up: an establishment with its admin (Alice), HR member (Bob) and viewer (Vera);
Dora administers another establishment; Charlie is a stranger; Paul, a nurse, gets booked.

``receiver``: a real HTTPS server on 127.0.0.1 (``tests/webhooks/receiver.py``); only with it do the
tests let a webhook URL resolve to the loopback (``WEBHOOK_ALLOW_LOOPBACK``) and trust its
certificate (``WEBHOOK_CA_BUNDLE``). Without it, the settings are the production ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from accounts.models import User
from establishments.models import Establishment, MemberRole
from professionals.models import Professional
from tests.factories import make_establishment, make_professional, make_user
from tests.webhooks.receiver import Receiver, self_signed_certificate


@dataclass
class World:
    alice: User
    bob: User
    vera: User
    charlie: User
    dora: User
    paul: Professional
    site: Establishment
    other_site: Establishment


@pytest.fixture
def world(db) -> World:
    alice = make_user("alice@example.org", first_name="Alice", last_name="Admin")
    bob, vera = make_user("bob@example.org"), make_user("vera@example.org")
    charlie, dora = make_user("charlie@example.org"), make_user("dora@example.org")
    site = make_establishment(admin=alice, members={bob: MemberRole.HR, vera: MemberRole.VIEWER},
                              name="Centre hospitalier de Mende")
    other_site = make_establishment(admin=dora, name="Clinique du Gévaudan", type_code="CLINIQUE")
    paul = make_professional(make_user("paul@example.org", first_name="Paul", last_name="Infirmier"), profession="60")
    return World(alice, bob, vera, charlie, dora, paul, site, other_site)


@pytest.fixture
def certificate(tmp_path):
    return self_signed_certificate(tmp_path)


@pytest.fixture
def receiver(settings, certificate):
    settings.WEBHOOK_ALLOW_LOOPBACK = True  # the receiver listens on 127.0.0.1
    settings.WEBHOOK_CA_BUNDLE = str(certificate[0])
    server = Receiver(*certificate).start()
    yield server
    server.stop()
