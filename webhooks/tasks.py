"""Celery tasks of webhooks: thin, take ids, call one service, idempotent.

``deliver`` is queued on commit by ``webhook_event_emit`` and again, with a countdown, after a failed
attempt; ``requeue_deliveries`` (every minute, ``ville_hopital/celery.py``) is the safety net.
"""

from __future__ import annotations

from celery import shared_task

from webhooks.services import webhook_deliveries_requeue, webhook_delivery_attempt


@shared_task
def deliver(delivery_id: int) -> str:
    """One attempt at a delivery; what happened (``succeeded``, ``retry``, ``given_up``, ``skipped``)."""
    return webhook_delivery_attempt(delivery_id=delivery_id).outcome


@shared_task
def requeue_deliveries() -> int:
    """Queue again the deliveries whose attempt is overdue (a lost countdown, a worker that died)."""
    return webhook_deliveries_requeue()
