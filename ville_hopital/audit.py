"""Writing the audit trail. Services call ``audit_record`` inside their transaction.

Reading it (who may read which rows, the pages and the CSV) is ``ville_hopital.selectors_audit``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models

from ville_hopital.models import AuditEvent


def audit_record(
    *,
    actor: Any | None,
    action: str,
    target: models.Model | None,
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        # No target: an event about no row of ours (a failed sign-in with an unknown address).
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )


def audit_count(*, actor: Any, action: str, since: datetime) -> int:
    """How many ``action`` rows ``actor`` left since ``since`` (attempt limits count from the trail)."""
    return AuditEvent.objects.filter(actor=actor, action=action, created_at__gte=since).count()


def _on_target(action: str, target: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk), action=action)


def audit_recorded_since(*, action: str, target: models.Model, since: datetime) -> bool:
    """Whether ``action`` was recorded on ``target`` since ``since`` (one indexed look-up: events
    recorded at most once per period, such as an API token's use, check it before writing)."""
    return _on_target(action, target).filter(created_at__gte=since).exists()


def audit_last_recorded(*, action: str, target: models.Model) -> datetime | None:
    """When ``action`` was last recorded on ``target`` (an API token's last use), or None."""
    return _on_target(action, target).order_by("-created_at").values_list("created_at", flat=True).first()


def audit_export_record(*, actor: Any, target: models.Model, rows: int, filters: dict[str, Any]) -> None:
    """An export of the trail is itself in the trail: who took how many rows of which trail
    (``target``: the establishment, or the reader's own account), with which filters."""
    audit_record(actor=actor, action="audit.export", target=target, data={"rows": rows, **filters})
