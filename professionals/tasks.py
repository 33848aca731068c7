"""Celery tasks of the professionals app: thin, call one service, idempotent.

Schedule (``ville_hopital/celery.py``, Europe/Paris): ``notify_expiring_credentials`` at 06:30,
before the 07:00 digest that carries these notices by default.
"""

from __future__ import annotations

from celery import shared_task

from professionals.services import credentials_expiring_notify


@shared_task
def notify_expiring_credentials() -> int:
    """``credential.expiring`` for RCP insurances ending within 30 days (idempotent per expiry)."""
    return credentials_expiring_notify()
