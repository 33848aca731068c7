"""Celery tasks of the notifications: thin, take ids, call one service, safe to run twice."""

from __future__ import annotations

import random

from celery import shared_task

from notifications.services import delivery_attempt, digests_send

BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


def backoff_seconds(attempts: int) -> int:
    """30 s, 60 s, 2 min, 4 min, 8 min… capped at one hour, plus up to 10 % jitter."""
    delay = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return delay + random.randint(0, delay // 10)


@shared_task(bind=True, name="notifications.tasks.deliver", max_retries=None)
def deliver(self, delivery_id: int) -> str:
    result = delivery_attempt(delivery_id=delivery_id)
    if result.outcome == "retry":
        raise self.retry(countdown=backoff_seconds(result.attempts))
    return result.outcome


@shared_task(name="notifications.tasks.send_digests")
def send_digests() -> int:
    return digests_send()
