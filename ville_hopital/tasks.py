from celery import shared_task

from ville_hopital.models import AuditEvent


@shared_task
def system_ping(note: str) -> int:
    """Writes one audit row: proves end to end that a worker reaches the broker and the database."""
    event = AuditEvent.objects.create(action="system.ping", target_type="system", target_id="celery", data={"note": note})
    return event.pk
