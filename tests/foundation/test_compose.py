"""The production stack of ``docker-compose.yml``: nginx in front, secrets from ``.env``.

Read from the files (no Docker here): only the proxy publishes ports, gunicorn is reached through it
alone, no password is written in the compose file and every ``${…}`` must be set (compose refuses
to start otherwise), and nginx overwrites X-Forwarded-For — the one hop ``TRUSTED_PROXY_HOPS``
trusts, so the IP recorded with a signature is the client's. ``nginx -t`` checks the configuration
itself when nginx is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from professionals.services import MAX_CREDENTIAL_BYTES
from tests.system_tools import required_tool

BASE_DIR = Path(settings.BASE_DIR)
COMPOSE_TEXT = (BASE_DIR / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
COMPOSE_CODE = "\n".join(line for line in COMPOSE_TEXT.splitlines() if not line.lstrip().startswith("#"))
SERVICES = COMPOSE["services"]
NGINX_CONF_PATH = BASE_DIR / "deploy" / "nginx.conf"
NGINX_CONF = NGINX_CONF_PATH.read_text()
PROXY = "proxy"
SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD", "EMAIL_URL")
INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
REQUIRED = re.compile(r"^[A-Z][A-Z0-9_]*:\?.+$")


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


NGINX_CODE = "\n".join(line.split("#", 1)[0] for line in NGINX_CONF.splitlines())  # comments left out


def _directives(name: str) -> list[str]:
    """The arguments of each ``name …;`` directive of the nginx configuration."""
    return [m.group(1).strip() for m in re.finditer(rf"(?m)^\s*{re.escape(name)}\s+([^;]*);", NGINX_CODE)]


def test_only_the_proxy_publishes_ports():
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {PROXY}
    assert {str(port).split(":")[-1] for port in SERVICES[PROXY]["ports"]} == {"80", "443"}


def test_web_is_reachable_only_through_the_proxy():
    web = SERVICES["web"]
    assert "ports" not in web and "network_mode" not in web
    assert [str(port) for port in web["expose"]] == ["8000"]
    assert "web" in SERVICES[PROXY]["depends_on"]
    assert _directives("proxy_pass") == ["$app"]
    assert _directives("set") == ["$app http://web:8000"]
    mounts = [str(volume) for volume in SERVICES[PROXY]["volumes"]]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in mounts


def test_the_app_trusts_exactly_the_one_hop_the_proxy_makes():
    """nginx writes X-Forwarded-For afresh (one entry: its peer), so the app trusts one hop."""
    assert _directives("proxy_set_header") == [
        "Host $host",
        "X-Forwarded-For $remote_addr",
        "X-Forwarded-Proto $scheme",
        'X-Forwarded-Host ""',
    ]
    assert "$proxy_add_x_forwarded_for" not in NGINX_CODE
    for name in ("web", "worker", "beat", "migrate"):
        assert _environment(SERVICES[name])["TRUSTED_PROXY_HOPS"] == "1", name


def test_no_service_has_a_literal_password():
    for name, service in SERVICES.items():
        for key, value in _environment(service).items():
            if any(word in key for word in ("PASSWORD", "SECRET", "KEY", "TOKEN")):
                assert re.fullmatch(r"\$\{[^}]+\}", value), f"{name}.{key} is written in the file"
            for userinfo in re.findall(r"://[^/@\s]*:([^@\s]*)@", value):
                assert re.fullmatch(r"\$\{[^}]+\}", userinfo), f"{name}.{key} holds a password"
    assert "ville_hopital@db" not in COMPOSE_CODE


def test_every_interpolated_secret_is_required():
    found = INTERPOLATION.findall(COMPOSE_CODE)
    assert {expr.split(":", 1)[0] for expr in found} >= {*SECRETS, "TLS_CERT_DIR"}
    for expr in found:
        assert REQUIRED.match(expr), f"${{{expr}}} has a default or no message: compose would start without it"
    web = _environment(SERVICES["web"])
    assert web["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert web["EMAIL_URL"].startswith("${EMAIL_URL:?")
    assert "${POSTGRES_PASSWORD:?" in web["DATABASE_URL"]
    assert _environment(SERVICES["db"])["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_env_example_names_every_required_variable_and_holds_no_secret():
    example = dict(
        line.split("=", 1)
        for line in (BASE_DIR / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    for expr in INTERPOLATION.findall(COMPOSE_CODE):
        assert expr.split(":", 1)[0] in example
    assert example["SECRET_KEY"] == example["POSTGRES_PASSWORD"] == ""
    assert "TRUSTED_PROXY_HOPS" not in example


def test_the_proxy_accepts_the_largest_upload_and_no_more():
    (size,) = _directives("client_max_body_size")
    assert size.endswith("m")
    limit = int(size[:-1]) * 1024 * 1024
    assert limit == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit > MAX_CREDENTIAL_BYTES
    # /static/ is WhiteNoise's (proxied); /media/ is never served by nginx.
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in (BASE_DIR / "ville_hopital" / "settings.py").read_text()
    assert re.findall(r"location\s+([^{]*?)\s*\{", NGINX_CODE) == ["/"]
    assert not _directives("root") and not _directives("alias")


def test_nginx_accepts_the_configuration(tmp_path):
    """``nginx -t`` on the file, with a throw-away certificate in place of the mounted one."""
    nginx = required_tool("nginx", "nginx-light")
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed for a throw-away certificate")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True,
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.replace("/etc/nginx/certs/", f"{tmp_path}/"))
    result = subprocess.run(
        [nginx, "-t", "-c", str(conf), "-p", f"{tmp_path}/"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
