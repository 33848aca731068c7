"""Celery tasks for contracts: thin, idempotent, ids in, one service call."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ValidationError

from missions.contracts.services import contract_draft, contracts_draft_missing, contracts_flag_unsigned
from missions.core.models import Mission

logger = logging.getLogger(__name__)


@shared_task(name="missions.contracts.tasks.flag_unsigned")
def flag_unsigned() -> int:
    """Hourly (beat): flag contracts not signed by both whose mission starts within 24 h."""
    return contracts_flag_unsigned()


@shared_task(name="missions.contracts.tasks.draft_missing")
def draft_missing() -> int:
    """Hourly (beat): draft contracts a lost booking task did not."""
    return contracts_draft_missing()


@shared_task(name="missions.contracts.tasks.draft", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def contract_draft_task(mission_id: int) -> int | None:
    """Draft the contract of a booked mission (idempotent: returns the existing one on a re-run).

    A mission that cannot get a contract (forbidden route, pay above the cap: a bug upstream) is
    logged and left to the hourly sweeper's log, never raised into the booking that queued this.
    """
    try:
        return contract_draft(mission=Mission.objects.get(pk=mission_id)).pk
    except ValidationError as error:
        logger.error("contract not drafted for mission %s: %s", mission_id, error.messages)
        return None
