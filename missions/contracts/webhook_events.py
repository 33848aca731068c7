"""The webhook event of contracts: ``contract.signed``, when the second party signs a version
(``contract_sign``, inside its transaction). One event per signed version (its own id)."""

from __future__ import annotations

from missions.contracts.models import Contract
from missions.core.webhook_events import iso, mission_data, shift_data
from webhooks.models import WebhookEvent
from webhooks.services import webhook_event_emit, webhook_event_id


def contract_signed_emit(*, contract: Contract) -> int:
    mission = contract.mission
    return webhook_event_emit(
        establishment_id=mission.shift.establishment_id, event=WebhookEvent.CONTRACT_SIGNED,
        event_id=webhook_event_id(WebhookEvent.CONTRACT_SIGNED, contract.pk), occurred_at=contract.signed_at,
        data={
            "contract": {
                "id": contract.pk, "version": contract.version, "route": contract.route, "state": contract.state,
                "signed_at": iso(contract.signed_at), "sha256": contract.final_sha256 or contract.sha256,
            },
            "mission": mission_data(mission), "shift": shift_data(mission.shift),
        },
    )
