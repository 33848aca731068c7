"""Celery tasks of the notifications: thin, take ids, call one service, safe to run twice."""

from __future__ import annotations

import random

from celery import shared_task
from django.conf import settings

from notifications.services import delivery_attempt, digests_send

BACKOFF_MAX_SECONDS = 3600


def backoff_seconds(attempts: int) -> int:
    """30 s, 60 s, 2 min, 4 min, 8 min… (base ``NOTIFICATIONS_RETRY_BASE_SECONDS``) capped at one hour,
    plus up to 10 % jitter so that a provider's outage does not end in a thundering herd."""
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    delay = min(base * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return delay + random.randint(0, delay // 10)


@shared_task(bind=True, name="notifications.tasks.deliver", max_retries=None)
def deliver(self, delivery_id: int) -> str:
    """Send one delivery. A transient failure is retried later through Celery (countdown = backoff);
    the attempt count lives on the Delivery row, so ``delivery_attempt`` decides when to give up."""
    result = delivery_attempt(delivery_id=delivery_id)
    while result.outcome == "retry" and self.request.is_eager:
        # No broker (embedded default, in-process tests): nothing could run the task later, so try
        # again at once, as Celery's own eager retry does; MAX_ATTEMPTS bounds the loop.
        result = delivery_attempt(delivery_id=delivery_id)
    if result.outcome == "retry":
        raise self.retry(countdown=backoff_seconds(result.attempts))
    return result.outcome


@shared_task(name="notifications.tasks.send_digests")
def send_digests() -> int:
    return digests_send()
