"""Strict parsing of environment values for settings.

django-environ's own ``bool`` treats any unknown word as False, so ``DEBUG=ture`` would
silently switch debug off; a misspelt setting must stop the start instead. Settings is the
only module that reads the environment; it hands the raw strings to these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlparse

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
DATABASE_SCHEMES = frozenset({"sqlite", "postgres", "postgresql", "pgsql", "psql"})
REDIS_SCHEMES = frozenset({"redis", "rediss"})
ENVIRONMENTS = frozenset({"development", "production"})


def parse_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off.")


def parse_choice(env: Mapping[str, str], name: str, default: str, choices: frozenset[str]) -> str:
    value = env.get(name, default).strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of {sorted(choices)}.")
    return value


def parse_list(env: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    raw = env.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def parse_database_url(env: Mapping[str, str], name: str, default: str) -> dict:
    url = env.get(name, default).strip()
    scheme = urlparse(url).scheme
    if scheme not in DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name}={url!r}: unsupported scheme {scheme!r}; use sqlite:///path or postgres://user@host/db."
        )
    config = environ.Env.db_url_config(url)
    if scheme != "sqlite" and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}={url!r} names no database.")
    return config


def parse_redis_url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in REDIS_SCHEMES or not parsed.hostname:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a redis:// URL (e.g. redis://127.0.0.1:6379/0).")
    return raw


def parse_secret_key(env: Mapping[str, str], name: str, production: bool, dev_default: str) -> str:
    value = env.get(name, "")
    if production:
        if not value:
            raise ImproperlyConfigured(f"{name} must be set in production.")
        if len(value) < 50 or len(set(value)) < 5:
            raise ImproperlyConfigured(f"{name} is too weak for production: use at least 50 varied characters.")
        return value
    return value or dev_default


def parse_openid_client(env: Mapping[str, str], prefix: str, *, production: bool) -> dict[str, str]:
    """An OpenID Connect client: ``{prefix}ISSUER`` (the issuer URL, its discovery document under
    ``/.well-known/openid-configuration``), ``{prefix}CLIENT_ID`` and ``{prefix}CLIENT_SECRET``. All three
    or none (then every value is empty: the sign-in is off); the issuer in https in production."""
    names = [f"{prefix}{part}" for part in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET")]
    values = [env.get(name, "").strip() for name in names]
    if not any(values):
        return dict.fromkeys(("issuer", "client_id", "client_secret"), "")
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise ImproperlyConfigured(f"{', '.join(missing)} must be set with the other {prefix}* settings.")
    issuer = values[0].rstrip("/")
    parsed = urlparse(issuer)
    if parsed.scheme not in ({"https"} if production else {"http", "https"}) or not parsed.hostname:
        raise ImproperlyConfigured(f"{names[0]}={values[0]!r} is not an {'https' if production else 'http(s)'} URL.")
    return {"issuer": issuer, "client_id": values[1], "client_secret": values[2]}


def origin_of(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"
