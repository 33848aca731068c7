"""Celery tasks for contracts: thin, idempotent, ids in, one service call."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="missions.contracts.tasks.flag_unsigned")
def flag_unsigned() -> int:
    """Hourly (beat): flag contracts not signed by both whose mission starts within 24 h."""
    from missions.contracts.services import contracts_flag_unsigned

    return contracts_flag_unsigned()


@shared_task(name="missions.contracts.tasks.draft_missing")
def draft_missing() -> int:
    """Hourly (beat): draft contracts a lost booking task did not."""
    from missions.contracts.services import contracts_draft_missing

    return contracts_draft_missing()


@shared_task(name="missions.contracts.tasks.draft", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def contract_draft_task(mission_id: int) -> int:
    """Draft the contract of a booked mission (idempotent: returns the existing one on a re-run)."""
    from missions.contracts.services import contract_draft
    from missions.models import Mission

    return contract_draft(mission=Mission.objects.get(pk=mission_id)).pk
