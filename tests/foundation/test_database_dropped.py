"""The database drops the server's connection (a PostgreSQL restart, a failover, an idle timeout):
the next request still answers, never 500.

A real gunicorn keeps its connection between requests as in production (``CONN_MAX_AGE``); the test
ends it from PostgreSQL's side (``pg_terminate_backend``), then asks again. ``CONN_HEALTH_CHECKS``
(settings) makes Django check a kept connection before reusing it and open a new one. Checked to
fail without it: with ``CONN_HEALTH_CHECKS = False`` the first request after the drop, the commune
search, answered 500 (``OperationalError: server closed the connection unexpectedly``).
"""

from __future__ import annotations

import json

import pytest
from django.db import connection

from tests.foundation.gunicorn_server import Gunicorn

pytestmark = pytest.mark.postgres

SEARCH = "/api/v1/territories/communes/?q=Mende"  # public, and reads the database


def _drop_the_servers_connections() -> int:
    """End every other session on the test database: the server's. How many were ended."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return sum(1 for (ended,) in cursor.fetchall() if ended)


@pytest.fixture
def gunicorn_keeping_its_connection(live_db, tmp_path):
    server = Gunicorn(tmp_path, CONN_MAX_AGE="60")
    try:
        yield server
    finally:
        server.stop()


def test_a_dropped_database_connection_is_replaced_not_a_500(gunicorn_keeping_its_connection):
    server = gunicorn_keeping_its_connection
    status, _body = server.get(SEARCH)
    assert status == 200, status

    assert _drop_the_servers_connections() >= 1  # the connection the server kept

    status, body = server.get(SEARCH)  # the first request after the drop: the one that met it
    assert status == 200, (status, server.log.read_text()[-3000:])
    assert json.loads(body)["results"][0]["name"] == "Mende"
    status, body = server.get("/health/")
    assert status == 200 and json.loads(body)["checks"]["database"] is True, (status, body)
