"""Writing the audit trail. Services call ``audit_record`` inside their transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models

from ville_hopital.models import AuditEvent


def audit_record(
    *,
    actor: Any | None,
    action: str,
    target: models.Model,
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )


def audit_count(*, actor: Any, action: str, since: datetime) -> int:
    """How many ``action`` rows ``actor`` left since ``since`` (attempt limits count from the trail)."""
    return AuditEvent.objects.filter(actor=actor, action=action, created_at__gte=since).count()
