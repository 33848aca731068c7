"""Celery tasks of the dashboards: thin, idempotent (each recomputes whole days), named explicitly
so other apps queue them by name without importing dashboards:

    current_app.signature("dashboards.tasks.refresh_days", args=[[day.isoformat()], [establishment_id]]).apply_async()

(``signature(...).apply_async()`` runs in-process when Celery is eager — the embedded set-up and
tests — and goes to the broker otherwise; ``send_task`` would always go to the broker.)
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from celery.schedules import crontab

from dashboards import services

REFRESH_DAYS = "dashboards.tasks.refresh_days"

BEAT_SCHEDULE = {
    "dashboards-refresh-recent": {"task": "dashboards.tasks.refresh_recent", "schedule": 300.0},
    "dashboards-refresh-availability": {"task": "dashboards.tasks.refresh_availability", "schedule": crontab(minute=7)},
    "dashboards-rebuild-all": {"task": "dashboards.tasks.rebuild_all", "schedule": crontab(hour=3, minute=30)},
}


@shared_task(name=REFRESH_DAYS)
def refresh_days(days: list[str], establishments: list[int] | None = None) -> int:
    """Recompute these days (ISO dates), optionally only these establishments' rows."""
    result = services.aggregates_refresh(
        days=[date.fromisoformat(d) for d in days],
        establishments=[int(e) for e in establishments] if establishments is not None else None,
    )
    return result.days


@shared_task(name="dashboards.tasks.refresh_recent")
def refresh_recent() -> int:
    return services.aggregates_refresh_recent().days


@shared_task(name="dashboards.tasks.refresh_availability")
def refresh_availability() -> int:
    return services.availability_refresh()


@shared_task(name="dashboards.tasks.rebuild_all")
def rebuild_all() -> int:
    days = services.aggregates_rebuild().days
    services.availability_refresh()
    return days
