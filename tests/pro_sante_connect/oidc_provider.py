"""A real OpenID Connect provider for the tests, shaped like Pro Santé Connect.

An HTTP server of its own (``http.server`` in a thread, on a port the system picks) with what a
relying party talks to: the discovery document, the JWKS, an authorization endpoint with a login
form (the e-CPS stand-in), a token endpoint (authorization code, client secret by POST or Basic)
issuing RS256-signed ID tokens with the request's nonce, and a userinfo endpoint answering PSC's
claims (``SubjectNameID``, ``SubjectRefPro``…). Nothing of the application is imported: it knows
the app only by the redirect URI registered for its client.

A test sets ``provider.tamper`` to make it misbehave the way a broken or hostile provider would:
``"signature"`` (the ID token signed by a key not in the JWKS, under the published key id),
``"audience"`` (a token for another client), ``"nonce"`` (not the request's nonce), ``"acr"`` (a
lower level), ``"issuer"`` (a discovery document naming another issuer).
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "ville-hopital-test"
CLIENT_SECRET = secrets.token_urlsafe(24)
PASSWORD = "code-e-cps-1234"
#: PSC's issuer is a Keycloak realm: the endpoints live under its path, as here.
REALM = "/realms/esante-wallet"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Account:
    """A person the provider knows: the login of its form and the userinfo PSC would give."""

    login: str
    userinfo: dict


@dataclass
class OidcProvider:
    redirect_uris: list[str]
    accounts: dict[str, Account] = field(default_factory=dict)
    tamper: str | None = None
    key: rsa.RSAPrivateKey = field(default_factory=_new_key)
    other_key: rsa.RSAPrivateKey = field(default_factory=_new_key)
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    codes: dict[str, dict] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    issuer: str = ""

    def add_account(self, login: str, userinfo: dict) -> Account:
        account = Account(login, {"sub": secrets.token_hex(16), **userinfo})
        self.accounts[login] = account
        return account

    def discovery(self) -> dict:
        return {
            "issuer": "https://psc.example/realms/other" if self.tamper == "issuer" else self.issuer,
            "authorization_endpoint": f"{self.issuer}/auth",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/certs",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "scopes_supported": ["openid", "scope_all"],
            "acr_values_supported": ["eidas1"],
        }

    def jwks(self) -> dict:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def id_token(self, grant: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": grant["account"].userinfo["sub"],
            "aud": "another-client" if self.tamper == "audience" else CLIENT_ID,
            "iat": now, "exp": now + 300, "auth_time": now,
            "nonce": "not-the-nonce" if self.tamper == "nonce" else grant["nonce"],
            "acr": "eidas0" if self.tamper == "acr" else "eidas1",
            "preferred_username": grant["account"].userinfo.get("SubjectNameID", ""),
        }
        key = self.other_key if self.tamper == "signature" else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})


def _login_form(params: dict[str, str], error: str = "") -> bytes:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
    )
    return (
        "<!DOCTYPE html><html lang=fr><title>Pro Santé Connect (test)</title>"
        f"<form method=post action={REALM}/auth>{hidden}<p>{html.escape(error)}</p>"
        "<label>Identifiant e-CPS <input name=login></label>"
        "<label>Code <input type=password name=password></label>"
        "<button>Se connecter</button></form></html>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # quiet test output
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, payload: dict, status: int = 200) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", **{"Cache-Control": "no-store"})

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

    def do_GET(self) -> None:
        provider = self.server.provider
        url = urlsplit(self.path)
        path = url.path.removeprefix(REALM)
        if path == "/.well-known/openid-configuration":
            return self._json(provider.discovery())
        if path == "/certs":
            return self._json(provider.jwks())
        if path == "/auth":
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            problem = self._authorization_problem(params)
            if problem:
                return self._send(400, problem.encode(), "text/plain")
            return self._send(200, _login_form(params), "text/html; charset=utf-8")
        if path == "/userinfo":
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
            login = provider.tokens.get(bearer)
            if login is None:
                return self._json({"error": "invalid_token"}, 401)
            return self._json(provider.accounts[login].userinfo)
        return self._send(404, b"{}")

    def _authorization_problem(self, params: dict[str, str]) -> str:
        provider = self.server.provider
        if params.get("client_id") != CLIENT_ID:
            return "unknown client_id"
        if params.get("redirect_uri") not in provider.redirect_uris:
            return "redirect_uri not registered"
        if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
            return "response_type=code and scope openid required"
        return ""

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.removeprefix(REALM)
        if path == "/auth":
            return self._authorize(self._form())
        if path == "/token":
            return self._token(self._form())
        return self._send(404, b"{}")

    def _authorize(self, form: dict[str, str]) -> None:
        provider = self.server.provider
        login, password = form.pop("login", ""), form.pop("password", "")
        problem = self._authorization_problem(form)
        if problem:
            return self._send(400, problem.encode(), "text/plain")
        account = provider.accounts.get(login)
        if account is None or password != PASSWORD:
            return self._send(401, _login_form(form, "Identifiant ou code incorrect"), "text/html; charset=utf-8")
        code = secrets.token_urlsafe(24)
        provider.codes[code] = {
            "account": account, "redirect_uri": form["redirect_uri"], "nonce": form.get("nonce", ""),
        }
        query = urlencode({"code": code, "state": form.get("state", "")})
        self._send(302, b"", "text/plain", Location=f"{form['redirect_uri']}?{query}")

    def _client_authenticated(self, form: dict[str, str]) -> bool:
        basic = self.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == CLIENT_ID and secrets.compare_digest(secret, CLIENT_SECRET)

    def _token(self, form: dict[str, str]) -> None:
        provider = self.server.provider
        if not self._client_authenticated(form):
            return self._json({"error": "invalid_client"}, 401)
        grant = provider.codes.pop(form.get("code", ""), None)  # a code serves once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return self._json({"error": "invalid_grant"}, 400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return self._json({"error": "invalid_grant", "error_description": "redirect_uri"}, 400)
        access_token = secrets.token_urlsafe(24)
        provider.tokens[access_token] = grant["account"].login
        self._json({
            "access_token": access_token, "token_type": "Bearer", "expires_in": 120,
            "id_token": provider.id_token(grant), "scope": "openid scope_all",
        })


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    provider: OidcProvider


def start(redirect_uris: list[str]) -> tuple[OidcProvider, _Server]:
    """The provider listening on 127.0.0.1 on a free port; ``server.shutdown()`` stops it."""
    provider = OidcProvider(redirect_uris=redirect_uris)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.provider = provider
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}{REALM}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return provider, server
