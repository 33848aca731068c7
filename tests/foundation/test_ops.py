import json

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_broker(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "broker": True}}


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


def test_a_token_is_obtained_with_email_and_password(client):
    make_user("api@example.org")
    bad = client.post(reverse("api:token"), {"username": "api@example.org", "password": "wrong"})
    assert bad.status_code == 400
    response = client.post(reverse("api:token"), {"username": "api@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert Token.objects.get(user__email="api@example.org").key == response.json()["token"]
