from celery import shared_task

from ville_hopital.idempotency import idempotency_keys_purge as keys_purge
from ville_hopital.models import AuditEvent
from ville_hopital.privacy.retention import retention_purge


@shared_task
def system_ping(note: str) -> int:
    """Writes one audit row: proves end to end that a worker reaches the broker and the database."""
    event = AuditEvent.objects.create(action="system.ping", target_type="system", target_id="celery", data={"note": note})
    return event.pk


@shared_task
def privacy_retention_purge() -> dict[str, int]:
    """Daily: what the retention periods no longer allow to keep (ville_hopital.privacy.retention)."""
    return retention_purge()


@shared_task
def idempotency_keys_purge() -> int:
    """Hourly: the API's idempotency keys past their 24 hours (ville_hopital.idempotency)."""
    return keys_purge()
