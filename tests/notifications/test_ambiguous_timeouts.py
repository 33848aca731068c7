"""A send whose outcome is unknown is never repeated: the provider got the message, then went
silent (SMTP: no reply after the DATA body; HTTP: no answer after the request). Failing before the
message was handed over (refused connection, silent greeting) stays transient and is retried.

Real servers on 127.0.0.1 that accept and answer late (or never), not mocks.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications.models import Channel, DeliveryState
from notifications.services import Preference, delivery_attempt, notify, preferences_update
from tests.notifications.conftest import deliveries, sample_context

pytestmark = pytest.mark.django_db


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _LateSmtpHandler(socketserver.StreamRequestHandler):
    """A normal SMTP dialogue, except where the server was told to stall: before its greeting
    (``stall="greeting"``) or after receiving the message, instead of "250 queued" (``stall="data"``)."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        fake: LateSmtp = self.server.fake  # type: ignore[attr-defined]
        with fake.lock:
            fake.connections += 1
            stall = fake.stalls.pop(0) if fake.stalls else None
        if stall == "greeting":
            fake.release.wait(10)
            return
        self.reply("220 127.0.0.1 late SMTP")
        while raw := self.rfile.readline():
            verb = raw[:4].upper()
            if verb == b"EHLO":
                self.reply("250 127.0.0.1")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 go ahead")
                body = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(line)
                with fake.lock:
                    fake.messages.append(b"".join(body))
                if stall == "data":
                    fake.release.wait(10)  # the message is queued here; the client never hears "250"
                    return
                self.reply("250 2.0.0 queued")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 unknown")


class LateSmtp:
    def __init__(self, stalls: list[str]) -> None:
        self.stalls, self.messages, self.connections = stalls, [], 0
        self.lock, self.release = threading.Lock(), threading.Event()
        self.server = _Server(("127.0.0.1", 0), _LateSmtpHandler)
        self.server.fake = self  # type: ignore[attr-defined]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class _LateBrevoHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        return

    def do_POST(self) -> None:
        fake: LateBrevo = self.server.fake  # type: ignore[attr-defined]
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        with fake.lock:
            fake.requests.append(body)
            late = fake.late.pop(0) if fake.late else False
        if late:
            fake.release.wait(10)  # Brevo took the request; its answer comes after the client gave up
        payload = json.dumps({"messageId": 1511882900176220}).encode()
        try:
            self.send_response(201)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass


class LateBrevo:
    def __init__(self, late: list[bool]) -> None:
        self.late, self.requests = late, []
        self.lock, self.release = threading.Lock(), threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _LateBrevoHandler)
        self.server.daemon_threads = True
        self.server.fake = self  # type: ignore[attr-defined]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v3/transactionalSMS/sms"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _choose(user, *, email: bool, sms: bool) -> None:
    preferences_update(actor=user, language="fr",
                       choices={"mission.cancelled": Preference(email=email, sms=sms, digest=False)})


def _notify(user):
    return notify(recipient=user, event="mission.cancelled", context=sample_context("mission.cancelled"),
                  dedupe_key="mission:7:cancelled")


@pytest.fixture
def late_smtp(settings):
    servers = []

    def start(stalls: list[str]) -> LateSmtp:
        server = LateSmtp(stalls)
        servers.append(server)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.server.server_address[1]
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 1
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def late_brevo(settings):
    servers = []

    def start(late: list[bool]) -> LateBrevo:
        server = LateBrevo(late)
        servers.append(server)
        settings.SMS_BACKEND = "notifications.sms.BrevoSmsBackend"
        settings.SMS_API_URL, settings.SMS_API_KEY, settings.SMS_TIMEOUT = server.url, "xkeysib-test", 1
        return server

    yield start
    for server in servers:
        server.stop()


def test_an_smtp_timeout_after_data_fails_with_outcome_unknown_and_is_not_resent(
    alice, late_smtp, django_capture_on_commit_callbacks
):
    smtp = late_smtp(["data"])
    _choose(alice, email=True, sms=False)
    with django_capture_on_commit_callbacks(execute=True):  # eager: a "retry" would be sent again at once
        _notify(alice)
    delivery = deliveries(alice, Channel.EMAIL).get()
    assert len(smtp.messages) == 1  # handed over once, never again
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert "Outcome unknown — not retried to avoid a double send" in delivery.last_error
    assert "après DATA" in delivery.last_error


def test_an_smtp_server_silent_before_its_greeting_is_transient(alice, late_smtp):
    smtp = late_smtp(["greeting"])
    _choose(alice, email=True, sms=False)
    _notify(alice)
    delivery = deliveries(alice, Channel.EMAIL).get()
    result = delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert result.outcome == "retry" and delivery.state == DeliveryState.PENDING
    assert "Outcome unknown" not in delivery.last_error and smtp.messages == []
    assert delivery_attempt(delivery_id=delivery.pk).outcome == "sent"  # the server answers now
    assert len(smtp.messages) == 1


def test_an_sms_api_answering_after_the_timeout_fails_with_outcome_unknown(
    alice, late_brevo, daytime, django_capture_on_commit_callbacks
):
    brevo = late_brevo([True])
    _choose(alice, email=False, sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(alice)
    delivery = deliveries(alice, Channel.SMS).get()
    assert len(brevo.requests) == 1  # Brevo got it once; no second request
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert "Outcome unknown — not retried to avoid a double send" in delivery.last_error


def test_a_refused_sms_connection_is_still_transient(alice, late_brevo, settings, daytime):
    brevo = late_brevo([])
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    settings.SMS_API_URL = f"http://127.0.0.1:{closed.getsockname()[1]}/v3/transactionalSMS/sms"
    closed.close()  # nothing listens there
    _choose(alice, email=False, sms=True)
    _notify(alice)
    delivery = deliveries(alice, Channel.SMS).get()
    result = delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert result.outcome == "retry" and "Brevo unreachable" in delivery.last_error
    settings.SMS_API_URL = brevo.url
    assert delivery_attempt(delivery_id=delivery.pk).outcome == "sent"
    assert len(brevo.requests) == 1
