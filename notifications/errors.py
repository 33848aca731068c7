"""How a channel tells the delivery service what happened when a send did not succeed."""

from __future__ import annotations


class SendError(Exception):
    """A message was not sent."""


class TransientSendError(SendError):
    """The provider said "not now" (SMTP 4xx, HTTP 5xx/429, connection refused or timed out):
    the message was not accepted and may be tried again later."""


class PermanentSendError(SendError):
    """The provider refused the message for good (SMTP 5xx, HTTP 4xx, an unusable address):
    retrying would fail the same way. The delivery is marked failed and shown in admin."""


#: ``Delivery.last_error`` when the outcome of a send is unknown: the message was handed over,
#: then the provider went silent. Shown in admin (searchable: "outcome unknown").
OUTCOME_UNKNOWN = (
    "Outcome unknown — not retried to avoid a double send. Issue inconnue : {detail} après la remise "
    "du message au fournisseur ; il est peut-être parti. Pas de nouvel essai automatique, pour ne "
    "jamais envoyer deux fois ; vérifiez puis utilisez l'action « Renvoyer » si besoin. ({error})"
)


def outcome_unknown(detail: str, error: BaseException) -> PermanentSendError:
    """The error for a send whose outcome is unknown (email and SMS): a permanent failure, so it is
    never retried automatically."""
    return PermanentSendError(OUTCOME_UNKNOWN.format(detail=detail, error=repr(error)))
