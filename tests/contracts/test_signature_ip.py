"""The IP recorded with a signature behind the TLS proxy: X-Forwarded-For is read only when
``TRUSTED_PROXY_HOPS`` says how many proxies of ours sit in front, and only the entry they vouch for."""

from __future__ import annotations

import pytest
from django.urls import reverse

from missions.contracts.services import contract_draft
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


def _sign(client, world, **headers) -> str | None:
    contract = contract_draft(mission=world.mission)
    client.force_login(world.alice)
    response = client.post(reverse("missions:contract_sign", args=[contract.pk]), {"password": PASSWORD}, **headers)
    assert response.status_code == 302
    return contract.signatures.get().ip


def test_zero_hops_records_remote_addr_and_ignores_a_spoofed_header(client, world, settings):
    settings.TRUSTED_PROXY_HOPS = 0
    assert _sign(client, world, REMOTE_ADDR="198.51.100.23", HTTP_X_FORWARDED_FOR="203.0.113.66") == "198.51.100.23"


def test_one_hop_takes_the_entry_our_proxy_appended(client, world, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    # The client wrote "203.0.113.66" itself; our proxy appended the address it saw, 198.51.100.23.
    assert _sign(client, world, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.23") == "198.51.100.23"


def test_one_hop_with_an_ipv6_client(client, world, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    assert _sign(client, world, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="2001:db8::7") == "2001:db8::7"


@pytest.mark.parametrize("header", ["", "not-an-ip", "198.51.100.23:4711"])
def test_one_hop_with_a_missing_or_malformed_entry_falls_back_to_remote_addr(client, world, settings, header):
    settings.TRUSTED_PROXY_HOPS = 1
    headers = {"HTTP_X_FORWARDED_FOR": header} if header else {}
    assert _sign(client, world, REMOTE_ADDR=PROXY, **headers) == PROXY


def test_two_hops(client, world, settings):
    settings.TRUSTED_PROXY_HOPS = 2
    forwarded = "1.2.3.4, 198.51.100.23, 10.0.0.9"  # spoofed, client (seen by the CDN), CDN (seen by the proxy)
    assert _sign(client, world, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded) == "198.51.100.23"
