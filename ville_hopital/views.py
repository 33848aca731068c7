from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views import defaults
from django.views.decorators.cache import never_cache
from rest_framework.exceptions import NotFound

from ville_hopital.celery import app as celery_app
from ville_hopital.roles import home_url_for

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(home_url_for(request.user))
    return render(request, "landing.html")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``. An address under /api/ that no route matches (``/api/v1/notifications/abc/read/``)
    answers in the API's own shape, ``{"detail": …}`` as JSON, like a 404 raised by an API view."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("health: database unreachable")
        return False


def _broker_ok() -> bool:
    if not settings.REDIS_URL:
        return True  # the embedded default runs tasks eagerly: there is no broker to reach
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return True
    except Exception:
        logger.exception("health: broker unreachable")
        return False


def _cache_ok() -> bool:
    reachable = getattr(cache, "reachable", None)  # TolerantRedisCache; the local-memory cache always is
    return True if reachable is None else reachable()


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """``ok``; ``degraded`` (200) when Redis is away — pages still answer, tasks wait for the safety
    nets, nothing is cached; ``error`` (503) when the database is: nothing can be served."""
    checks = {"database": _database_ok(), "broker": _broker_ok(), "cache": _cache_ok()}
    if not checks["database"]:
        return JsonResponse({"status": "error", "checks": checks}, status=503)
    return JsonResponse({"status": "ok" if all(checks.values()) else "degraded", "checks": checks})
