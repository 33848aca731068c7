"""The Celery application. Tasks live in each app's ``tasks.py`` and only call a service."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ville_hopital.settings")

app = Celery("ville_hopital")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic tasks (Celery beat, CELERY_TIMEZONE = Europe/Paris).
from celery.schedules import crontab  # noqa: E402

app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "notifications.send_digests": {"task": "notifications.tasks.send_digests", "schedule": crontab(hour=7, minute=0)},
    "notifications.requeue_deliveries": {
        "task": "notifications.tasks.requeue_deliveries", "schedule": crontab(minute="*/10"),
    },
    "missions.match_night": {"task": "missions.tasks.match_night", "schedule": crontab(hour=2, minute=0)},
    "missions.expire_proposals": {"task": "missions.tasks.expire_proposals", "schedule": crontab(minute="*/10")},
    "missions.match_urgent_pending": {"task": "missions.tasks.match_urgent_pending", "schedule": crontab(minute="*/5")},
}
# Contracts (missions/contracts/tasks.py: a sub-package the default autodiscovery does not visit).
app.autodiscover_tasks(["missions.contracts"])
app.conf.beat_schedule["missions.contracts.flag_unsigned"] = {
    "task": "missions.contracts.tasks.flag_unsigned", "schedule": crontab(minute=5),  # hourly
}
app.conf.beat_schedule["missions.contracts.draft_missing"] = {
    "task": "missions.contracts.tasks.draft_missing", "schedule": crontab(minute=0),  # hourly, before the flag
}
# Notices (missions/booking/services/notices.py, professionals.services.credentials_expiring_notify).
app.conf.beat_schedule["missions.notify_expiring_proposals"] = {
    "task": "missions.tasks.notify_expiring_proposals", "schedule": crontab(minute="*/15"),
}
app.conf.beat_schedule["missions.remind_missions"] = {
    "task": "missions.tasks.remind_missions", "schedule": crontab(hour=18, minute=0),
}
app.conf.beat_schedule["missions.notify_unfilled_shifts"] = {
    "task": "missions.tasks.notify_unfilled_shifts", "schedule": crontab(minute=30),  # hourly
}
app.conf.beat_schedule["professionals.notify_expiring_credentials"] = {
    # before the 07:00 digest, which is where these go by default
    "task": "professionals.tasks.notify_expiring_credentials", "schedule": crontab(hour=6, minute=30),
}
app.conf.beat_schedule["ville_hopital.privacy_retention_purge"] = {
    # docs/privacy.md: read notifications, closed offers' reasons, unconfirmed sign-ups past their period
    "task": "ville_hopital.tasks.privacy_retention_purge", "schedule": crontab(hour=4, minute=15),
}
app.conf.beat_schedule["ville_hopital.idempotency_keys_purge"] = {
    # the API's Idempotency-Key rows are kept 24 hours (ville_hopital.idempotency)
    "task": "ville_hopital.tasks.idempotency_keys_purge", "schedule": crontab(minute=20),  # hourly
}
# Webhooks (webhooks/, docs/webhooks.md): the unfilled shifts reaching their deadline, and the
# deliveries whose retry countdown was lost (or, embedded, never waited for: Celery runs eagerly).
app.conf.beat_schedule["missions.webhooks_unfilled_shifts"] = {
    "task": "missions.tasks.webhooks_unfilled_shifts", "schedule": crontab(minute="*/10"),
}
app.conf.beat_schedule["webhooks.requeue_deliveries"] = {
    "task": "webhooks.tasks.requeue_deliveries", "schedule": crontab(),  # every minute
}
