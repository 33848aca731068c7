"""Real local servers the notification tests talk to: a small SMTP server and a fake Brevo SMS API.

They are servers on 127.0.0.1 (random ports) speaking the real protocols, not mocks of our code:
Django's SMTP backend and ``urllib`` connect to them exactly as they would to a provider.
"""

from __future__ import annotations

import email
import json
import socketserver
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_to: list[str]
    data: bytes

    @property
    def message(self) -> email.message.Message:
        return email.message_from_bytes(self.data)

    @property
    def text(self) -> str:
        # The text/plain part (the message itself, or the first part of a multipart/alternative).
        part = next(p for p in self.message.walk() if p.get_content_type() == "text/plain")
        payload = part.get_payload(decode=True)
        return payload.decode(part.get_content_charset() or "utf-8")


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:  # one branch per SMTP verb
        sink: SmtpServer = self.server.sink  # type: ignore[attr-defined]
        self.reply("220 127.0.0.1 test SMTP ready")
        mail_from, rcpts = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb == "EHLO":
                self.reply("250-127.0.0.1")
                self.reply("250-8BITMIME")
                self.reply("250 SIZE 10485760")
            elif verb == "HELO":
                self.reply("250 127.0.0.1")
            elif verb == "MAIL":
                with sink.lock:
                    sink.transactions += 1
                    refuse = sink.refusals.pop(0) if sink.refusals else None
                if refuse:
                    self.reply(refuse)
                    continue
                mail_from, rcpts = line.split(":", 1)[1].strip(), []
                self.reply("250 2.1.0 OK")
            elif verb == "RCPT":
                rcpts.append(line.split(":", 1)[1].strip())
                self.reply("250 2.1.5 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                chunks = []
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    chunks.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                with sink.lock:
                    sink.messages.append(ReceivedMail(mail_from, rcpts, b"".join(chunks)))
                self.reply("250 2.0.0 queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 2.0.0 OK")
            elif verb == "QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("502 5.5.2 command not recognised")


class _ThreadingTCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class SmtpServer:
    """``refusals``: replies given to the next MAIL FROM commands instead of 250 (e.g. a 451)."""

    refusals: list[str] = field(default_factory=list)
    messages: list[ReceivedMail] = field(default_factory=list)
    transactions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> SmtpServer:
        self._server = _ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
        self._server.sink = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class BrevoRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict


class _BrevoHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output quiet
        return

    def do_POST(self) -> None:
        fake: FakeBrevo = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        with fake.lock:
            fake.requests.append(
                BrevoRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw or b"{}"))
            )
            status = fake.statuses.pop(0) if fake.statuses else 201
        if status == 201:
            answer = {"reference": "ab1cde2fgh3i4jklmno", "messageId": 1511882900176220, "smsCount": 1,
                      "usedCredits": 0.7, "remainingCredits": 82.85}
        elif status == 429:
            answer = {"code": "too_many_requests", "message": "Rate limit exceeded"}
        elif status >= 500:
            answer = {"code": "internal_error", "message": "Temporary failure"}
        else:
            answer = {"code": "invalid_parameter", "message": "Invalid phone number"}
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@dataclass
class FakeBrevo:
    """Answers POSTs like Brevo's transactional SMS API; ``statuses`` are the next HTTP codes (then 201)."""

    statuses: list[int] = field(default_factory=list)
    requests: list[BrevoRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeBrevo:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _BrevoHandler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v3/transactionalSMS/sms"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
