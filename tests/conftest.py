"""Shared test set-up: the real database (PostgreSQL in CI), Debian's Chromium, geography once.

Fixtures here are the platform-wide ones; each area keeps its own in ``tests/<area>/conftest.py``.
"""

from __future__ import annotations

import os

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import translation

from ville_hopital.celery import app as celery_app

# Playwright's sync API runs an event loop in the test thread; the ORM calls made beside it are
# plain synchronous calls, so Django's async-safety guard would only get in the way (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("WEBHOOK_LOOPBACK_ONLY", "true")  # subprocesses (a real worker) too: see _webhooks_stay_on_this_machine

CHROMIUM = "/usr/bin/chromium"
BROWSER_DEPARTEMENTS = frozenset({"48", "75", "13", "69", "34", "12", "15", "43", "30"})


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Geography and reference data at the start of every session: a kept database (``--reuse-db``,
    used by ``make test-dates``) may have been emptied by the last transactional test of the run before."""
    from reference.loading import load_reference_data
    from territories.services import geography_load

    with django_db_blocker.unblock():
        _commits_without_waiting_for_the_disk()
        load_reference_data(django_apps)
        geography_load()


def _commits_without_waiting_for_the_disk() -> None:
    """Transactional tests commit (and flush every table) hundreds of times a run; a test database
    need not survive a crash, so its commits do not wait for the disk. Set on the database, it also
    holds for the live server's threads and the Celery workers the tests start (tests only)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} SET synchronous_commit = off")
        cursor.execute("SET synchronous_commit = off")


@pytest.fixture
def admin_user(admin_user):
    """pytest-django's superuser (``admin_client``), with the second factor platform staff must have:
    without one, every page of theirs is the enrolment page (``tests.factories.give_second_factor``)."""
    from tests.factories import give_second_factor

    return give_second_factor(admin_user)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Users are created by the hundred; PBKDF2's deliberate slowness is not what is tested (tests only)."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _media_in_a_temporary_folder(tmp_path_factory):
    """Uploaded credentials and contract PDFs written by the tests stay out of the project's media/."""
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does it as root).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Our users' browsers ask for French; LocaleMiddleware follows Accept-Language.
    return {**browser_context_args, "locale": "fr-FR"}


@pytest.fixture(autouse=True)
def _fresh_cache_per_test(settings):
    """Each test starts with an empty cache of its own. The Redis cache would otherwise carry
    allauth's rate-limit counters from one test (or run) to the next; Redis stays the broker,
    and ``test_redis_cache_round_trip`` checks the production cache itself."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _webhooks_stay_on_this_machine(settings):
    """A subscription may name a public address (the security world's does, to be accepted): its
    deliveries must still never leave the machine. Tests deliver to their own HTTPS server on
    127.0.0.1 (``WEBHOOK_ALLOW_LOOPBACK``)."""
    settings.WEBHOOK_LOOPBACK_ONLY = True


@pytest.fixture(autouse=True)
def _browser_follows_the_clock(request):
    """Browser journeys: Chromium's clock follows the run's clock (``--today``, see tests/clock.py)."""
    if request.node.get_closest_marker("browser"):
        request.getfixturevalue("browser_clock")


@pytest.fixture(autouse=True)
def _french_unless_asked():
    """Each test starts in French, the site's default. A request served in English (the language
    cookie, Accept-Language) leaves English active in the thread; the next test must not inherit it."""
    translation.activate("fr")
    yield
    translation.activate("fr")


@pytest.fixture(autouse=True)
def _celery_eager_in_process(request):
    """Tasks run in the test process unless a test asks for the real worker (marker celery_worker)."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_redis = bool(settings.REDIS_URL)
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…"))
        if item.get_closest_marker("celery_worker") and not (has_redis and on_postgres):
            item.add_marker(pytest.mark.skip(reason="needs a real Celery worker: set REDIS_URL and DATABASE_URL"))


@pytest.fixture
def live_db(transactional_db):
    """For browser and worker tests: committed data. A flush empties every table after each
    transactional test, so reference data and a few départements are loaded again."""
    from reference.loading import load_reference_data
    from territories.services import geography_load

    load_reference_data(django_apps)
    geography_load(only_departements=BROWSER_DEPARTEMENTS)


@pytest.fixture
def csp_blocked(page) -> list[str]:
    """What Chromium reported its Content-Security-Policy blocked on the pages this test opened."""
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)
    return blocked


@pytest.fixture
def axe(page, csp_blocked):
    """Run axe-core on the current page; return the serious and critical violations
    (``tests.browser.axe_violations``). Each run also fails if Chromium reported a script or style
    the Content-Security-Policy blocked on the pages seen so far."""
    from tests.browser import axe_violations

    def run() -> list[dict]:
        assert not csp_blocked, f"the Content-Security-Policy blocked: {csp_blocked}"
        return axe_violations(page)

    return run


@pytest.fixture
def celery_worker_process(live_db, tmp_path):
    """A real ``celery worker`` process on Redis, using the test database (committed data only).

    Yields a function ``wait_for(predicate, timeout=30)`` that polls until ``predicate()`` is true.
    """
    import subprocess
    import sys
    import time

    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "ville_hopital.settings",
    }
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.clock", "celery", "-A", "ville_hopital", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"test-{os.getpid()}@%h"],
        env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=str(settings.BASE_DIR),
    )

    def wait_for(predicate, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            if process.poll() is not None:
                raise AssertionError(f"the worker exited early:\n{log.read_text()}")
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout}s; worker log:\n{log.read_text()}")

    try:
        yield wait_for
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
