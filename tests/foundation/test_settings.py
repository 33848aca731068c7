"""Settings come from the environment; a bad value stops the start with a message naming it."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ville_hopital import envparse

STRONG_KEY = "k" + "x7#Qp9!aZ2$mL4&vB8" * 4


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR, env={**clean, **env}, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "ture", "DEBUG='ture' is not a boolean"),
        ("DATABASE_URL", "mysql://x@y/z", "unsupported scheme 'mysql'"),
        ("DATABASE_URL", "postgres://u@h:5432/", "names no database"),
        ("REDIS_URL", "localhost:6379", "is not a redis:// URL"),
        ("VH_ENVIRONMENT", "prod", "VH_ENVIRONMENT='prod' is not one of"),
        ("CONN_MAX_AGE", "ten", "is not a whole number"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD'"),
    ],
)
def test_a_bad_value_fails_loudly_at_start(name, value, message):
    result = run_manage("check", **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", VH_ENVIRONMENT="production", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = run_manage("check", VH_ENVIRONMENT="production", SECRET_KEY="short", ALLOWED_HOSTS="example.org")
    assert "too weak" in result.stderr


def test_production_settings_pass_check_deploy_without_any_warning():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        VH_ENVIRONMENT="production", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="ville-hopital.example.org",
        DATABASE_URL="postgres://vh@127.0.0.1:5432/vh", REDIS_URL="redis://127.0.0.1:6379/0",
        EMAIL_URL="smtp+tls://user:secret@smtp.example.org:587",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_embedded_default_is_sqlite_eager_celery_and_console_email():
    result = run_manage("shell", "--no-imports", "-c", (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND, s.TIME_ZONE, s.LANGUAGE_CODE)"
    ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3", "True", "django.core.mail.backends.console.EmailBackend", "Europe/Paris", "fr",
    ]


def test_the_embedded_sqlite_database_refreshes_the_dashboards(tmp_path):
    """The on-commit refresh runs in the request when Celery is eager: it must work on SQLite too
    (the incremental SQL is PostgreSQL's; SQLite rebuilds)."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}"}
    assert run_manage("migrate", "--no-input", "-v0", **env).returncode == 0
    result = run_manage("shell", "--no-imports", "-c", (
        "from datetime import date; from dashboards.services import aggregates_refresh;"
        "print(aggregates_refresh(days=[date.today()], establishments=[1]))"
    ), **env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "RefreshResult(days=1, runs=1)" in result.stdout


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("Yes", True), (" on ", True), ("0", False), ("off", False)])
def test_booleans_accept_the_usual_words(raw, expected):
    assert envparse.parse_bool({"X": raw}, "X", default=not expected) is expected


def test_lists_are_comma_separated_and_trimmed():
    assert envparse.parse_list({"H": " a.fr, b.fr ,,"}, "H", []) == ["a.fr", "b.fr"]


def test_a_negative_number_is_refused():
    with pytest.raises(ImproperlyConfigured, match="must be at least 0"):
        envparse.parse_int({"N": "-1"}, "N", 0)


def test_english_is_available_beside_french():
    assert [code for code, _ in settings.LANGUAGES] == ["fr", "en"]
