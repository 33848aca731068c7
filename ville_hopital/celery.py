"""The Celery application. Tasks live in each app's ``tasks.py`` and only call a service."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ville_hopital.settings")

app = Celery("ville_hopital")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
