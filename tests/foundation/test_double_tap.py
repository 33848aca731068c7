"""A double tap on « Accepter »: two requests for the same proposal at the same moment.

Exactly one mission; the other request gets « déjà acceptée », never a 500 — on the embedded
SQLite (a file, served by ``run_embedded`` as ``make run`` does: see ``embedded_server``) and on
PostgreSQL (the test client in threads, each thread with its own connection).
"""

from __future__ import annotations

import http.client
import re
import sqlite3
import threading
from contextlib import closing
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from missions.core.models import Mission, MissionState
from tests.factories import in_days, make_availability, make_professional, make_proposal, make_shift
from tests.foundation.embedded_server import EmbeddedServer, sqlite_file_copy

ALREADY = "Proposition déjà acceptée"
BOOKED = "Mission confirmée"
ROUNDS = 3  # three proposals, each tapped twice: two requests overlap at least once with near certainty


def _offers():
    """A nurse with ``ROUNDS`` pending offers, for day shifts two days apart (no rule between them)."""
    nurse = make_professional(min_notice_hours=2, max_missions_per_month=20)
    offers = []
    for n in range(ROUNDS):
        shift = make_shift(starts_at=in_days(3 + 2 * n, 8))
        make_availability(nurse, timezone.localdate(shift.starts_at), "D")
        offers.append(make_proposal(shift, nurse, expires_in=timedelta(days=1)))
    return nurse, offers


def _session_of(professional) -> str:
    client = Client()
    client.force_login(professional.user)
    return client.cookies["sessionid"].value


def _at_once(tap, count: int = 2) -> list:
    """``tap()`` in ``count`` threads released together; their results (an exception fails the test)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = tap()
        except Exception as error:  # reported below: a thread's failure must fail the test
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _assert_one_booked_one_told(pages: list[tuple[int, str]], missions: int) -> None:
    """Each tap: (HTTP status, the page the professional then sees)."""
    assert [status for status, _page in pages if status >= 500] == [], pages
    assert missions == 1
    booked = [page for _status, page in pages if BOOKED in page]
    told = [page for _status, page in pages if ALREADY in page]
    assert len(booked) == 1 and len(told) == 1, [page[:300] for _status, page in pages]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded set-up's database")
def test_a_double_tap_on_the_embedded_sqlite_books_once_and_says_already_accepted(live_db, tmp_path):
    nurse, offers = _offers()
    session = _session_of(nurse)
    server = EmbeddedServer(sqlite_file_copy(tmp_path / "db.sqlite3"), tmp_path, "--catch-up", "0")
    try:
        for offer in offers:
            pages = _at_once(lambda offer=offer: _http_accept(server.port, session, offer.pk))
            assert not [p for p in pages if isinstance(p, Exception)], pages
            with closing(sqlite3.connect(tmp_path / "db.sqlite3")) as db:
                (missions,) = db.execute(
                    f"SELECT count(*) FROM {Mission._meta.db_table} WHERE proposal_id = ? AND state = ?",  # noqa: S608 (our table's name)
                    (offer.pk, MissionState.BOOKED),
                ).fetchone()
            _assert_one_booked_one_told(pages, missions)
    finally:
        assert server.stop() == 0, server.output()
    assert "database is locked" not in server.stderr(), server.output()


def _http_accept(port: int, session: str, proposal_id: int) -> tuple[int, str]:
    """A browser's tap: the form's CSRF token from the proposals page, the POST, then the page the
    redirect leads to (with the message cookie the POST set)."""
    cookies = {"sessionid": session}

    def call(method: str, path: str, body: str = "") -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        answer.text = answer.read().decode()
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return answer

    form = call("GET", reverse("missions:proposals"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    tap = call("POST", reverse("missions:proposal_accept", args=[proposal_id]), f"csrfmiddlewaretoken={token}")
    if tap.status != 302:
        return tap.status, tap.text
    return tap.status, call("GET", tap.headers["Location"]).text


@pytest.mark.postgres
def test_a_double_tap_on_postgresql_books_once_and_says_already_accepted(live_db):
    nurse, offers = _offers()
    session = _session_of(nurse)
    for offer in offers:
        url = reverse("missions:proposal_accept", args=[offer.pk])

        def tap(url: str = url) -> tuple[int, str]:
            client = Client()  # one per thread, logged in as the same professional
            client.cookies["sessionid"] = session
            answer = client.post(url, follow=True)
            return answer.redirect_chain[0][1] if answer.redirect_chain else answer.status_code, answer.content.decode()

        pages = _at_once(tap)
        assert not [p for p in pages if isinstance(p, Exception)], pages
        missions = Mission.objects.filter(proposal=offer, state=MissionState.BOOKED).count()
        _assert_one_booked_one_told(pages, missions)
