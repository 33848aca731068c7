"""Writing the audit trail. Services call ``audit_record`` inside their transaction."""

from __future__ import annotations

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
