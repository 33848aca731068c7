import json

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_broker(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "broker": True, "cache": True}}


def test_the_openapi_schema_and_its_docs_page(client):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = json.loads(schema.content)
    assert document["openapi"].startswith("3.")
    assert "/api/v1/me/" in document["paths"]
    assert client.get(reverse("api-docs")).status_code == 200


def test_api_needs_authentication(client):
    assert client.get(reverse("api:me")).status_code in (401, 403)


def test_api_token_authentication(client):
    user = make_user("api@example.org")
    token = Token.objects.create(user=user)
    response = client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["email"] == "api@example.org"
    assert response.json()["roles"] == []


def test_log_lines_are_json(caplog):
    import logging

    from ville_hopital.jsonlog import JsonFormatter

    record = logging.LogRecord("vh", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.shift_id = 42
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello world" and line["shift_id"] == 42 and line["level"] == "INFO"


@pytest.mark.celery_worker
def test_redis_cache_round_trip():
    """With REDIS_URL set the cache is Redis (the tests themselves use a per-test cache)."""
    from django.conf import settings
    from django.core.cache.backends.redis import RedisCache

    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "vh-test"})
    cache.set("ping", "pong", 10)
    assert cache.get("ping") == "pong"
    cache.delete("ping")


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_production_cache_answers_as_an_empty_cache_while_redis_is_away(caplog):
    from ville_hopital.cache import TolerantRedisCache

    away = TolerantRedisCache(f"redis://127.0.0.1:{_closed_port()}/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    assert away.get("k", "default") == "default" and away.get_many(["a", "b"]) == {}
    away.set("k", "v", 10)
    assert away.add("k", "v") is True  # a lock is granted (allauth's rate limits): sign-in fails open
    assert away.has_key("k") is False and away.delete("k") is False
    with pytest.raises(ValueError):
        away.incr("k")  # as for a missing key
    assert away.reachable() is False
    assert "cache unreachable" in caplog.text


@pytest.mark.celery_worker  # needs Redis, as the round trip above
def test_the_production_cache_is_a_cache_when_redis_is_there():
    from django.conf import settings

    from ville_hopital.cache import TolerantRedisCache

    there = TolerantRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "vh-test-tolerant"})
    there.set("ping", "pong", 10)
    assert there.get("ping") == "pong" and there.reachable()
    there.delete("ping")


def test_a_token_is_obtained_with_email_and_password(client):
    make_user("api@example.org")
    bad = client.post(reverse("api:token"), {"username": "api@example.org", "password": "wrong"})
    assert bad.status_code == 400
    response = client.post(reverse("api:token"), {"username": "api@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert Token.objects.get(user__email="api@example.org").key == response.json()["token"]


def test_a_token_needs_a_verified_email(client):
    make_user("unverified@example.org", verified=False)
    response = client.post(reverse("api:token"), {"username": "unverified@example.org", "password": PASSWORD})
    assert response.status_code == 400 and "username" in response.json()
    assert not Token.objects.exists()


def test_wrong_passwords_lock_the_token_endpoint_even_for_the_right_one(client):
    make_user("api@example.org")
    for _ in range(5):
        assert client.post(reverse("api:token"), {"username": "api@example.org", "password": "wrong"}).status_code == 400
    locked = client.post(reverse("api:token"), {"username": "api@example.org", "password": PASSWORD})
    assert locked.status_code == 429 and not Token.objects.exists()


def test_the_admin_signs_in_through_the_sites_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
