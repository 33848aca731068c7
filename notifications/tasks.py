"""Celery tasks of the notifications: thin, take ids, call one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from notifications.services import deliveries_requeue, delivery_attempt, digests_send


@shared_task(bind=True, name="notifications.tasks.deliver", max_retries=None)
def deliver(self, delivery_id: int) -> str:
    """Send one delivery. A transient failure is retried later through Celery (countdown = the
    backoff the service chose); the attempt count lives on the Delivery row, so ``delivery_attempt``
    decides when to give up."""
    result = delivery_attempt(delivery_id=delivery_id)
    while result.outcome == "retry" and self.request.is_eager:
        # No broker (embedded default, in-process tests): nothing could run the task later, so try
        # again at once, as Celery's own eager retry does; MAX_ATTEMPTS bounds the loop.
        result = delivery_attempt(delivery_id=delivery_id)
    if result.outcome == "retry":
        raise self.retry(countdown=result.retry_in)
    return result.outcome


@shared_task(name="notifications.tasks.send_digests")
def send_digests() -> int:
    return digests_send()


@shared_task(name="notifications.tasks.requeue_deliveries")
def requeue_deliveries() -> int:
    return deliveries_requeue()
