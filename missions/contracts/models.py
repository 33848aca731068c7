"""Contract versions of a mission and the signatures on them.

A contract is an explicit state machine (``CONTRACT_TRANSITIONS``): states only move forward and
every transition writes an audit row (``missions.contracts.services``). The PDF a party signs is
immutable: its SHA-256 is stored beside it and each signature records the hash of the exact bytes
signed. Changing the terms means a new version (``contract_new_version``), never an edit.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from establishments.models import Establishment
from reference.models import RouteKind
from ville_hopital.access import VIEW, Action, action_check

__all__ = [
    "CONTRACT_TRANSITIONS",
    "LIVE_UNSIGNED_STATES",
    "Contract",
    "ContractQuerySet",
    "ContractSignature",
    "ContractState",
    "SignatureSide",
]


class ContractState(models.TextChoices):
    DRAFT = "draft", _("à signer")
    SIGNED_BY_PROFESSIONAL = "signed_by_professional", _("signé par le professionnel")
    SIGNED_BY_ESTABLISHMENT = "signed_by_establishment", _("signé par l'établissement")
    SIGNED = "signed", _("signé par les deux parties")
    COMPLETED = "completed", _("exécuté (service fait)")
    CANCELLED = "cancelled", _("annulé")
    SUPERSEDED = "superseded", _("remplacé par une nouvelle version")


# Forward only. A state absent from the keys is terminal.
CONTRACT_TRANSITIONS: dict[str, frozenset[str]] = {
    ContractState.DRAFT: frozenset({
        ContractState.SIGNED_BY_PROFESSIONAL, ContractState.SIGNED_BY_ESTABLISHMENT,
        ContractState.CANCELLED, ContractState.SUPERSEDED,
    }),
    ContractState.SIGNED_BY_PROFESSIONAL: frozenset({
        ContractState.SIGNED, ContractState.CANCELLED, ContractState.SUPERSEDED,
    }),
    ContractState.SIGNED_BY_ESTABLISHMENT: frozenset({
        ContractState.SIGNED, ContractState.CANCELLED, ContractState.SUPERSEDED,
    }),
    # A signed contract stays in force until the new version replacing it is signed by both.
    ContractState.SIGNED: frozenset({ContractState.COMPLETED, ContractState.CANCELLED, ContractState.SUPERSEDED}),
}

# Not yet signed by both parties and still meant to be signed.
LIVE_UNSIGNED_STATES = (
    ContractState.DRAFT, ContractState.SIGNED_BY_PROFESSIONAL, ContractState.SIGNED_BY_ESTABLISHMENT,
)
# The version that governs the mission (at most one per mission is being signed at a time).
CURRENT_STATES = (*LIVE_UNSIGNED_STATES, ContractState.SIGNED, ContractState.COMPLETED)


class SignatureSide(models.TextChoices):
    PROFESSIONAL = "professional", _("le professionnel")
    ESTABLISHMENT = "establishment", _("l'établissement")


def contract_pdf_path(instance: Contract, filename: str) -> str:
    # Random names: a contract's URL must not be guessable; downloads go through the scoped view anyway.
    return f"contracts/{secrets.token_hex(16)}.pdf"


class ContractQuerySet(models.QuerySet):
    def for_user(self, user, action: Action = VIEW) -> ContractQuerySet:
        """The two parties (the mission's professional, members of the shift's establishment) and,
        to view, staff. To change (sign): the professional, and HR or admins of the establishment."""
        action_check(action)
        if not user.is_authenticated:
            return self.none()
        if action != VIEW:
            return self.filter(
                Q(mission__professional__user=user)
                | Q(mission__shift__establishment__in=Establishment.objects.for_user(user, action))
            )
        if user.is_staff:
            return self.all()
        # The user's establishments as a subquery (Establishment.objects.for_user, as Shift's): a join
        # through the memberships repeated rows and needed a DISTINCT that sorted every contract.
        return self.filter(
            Q(mission__professional__user=user) | Q(mission__shift__establishment__in=Establishment.objects.for_user(user))
        )

    def live_unsigned(self) -> ContractQuerySet:
        return self.filter(state__in=LIVE_UNSIGNED_STATES)


class Contract(models.Model):
    mission = models.ForeignKey("missions.Mission", on_delete=models.PROTECT, related_name="contracts")
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_version",
        verbose_name=_("version précédente"),
    )
    state = models.CharField(_("état"), max_length=24, choices=ContractState.choices, default=ContractState.DRAFT)
    route = models.CharField(_("voie contractuelle"), max_length=24, choices=RouteKind.choices)
    pdf = models.FileField(_("contrat (PDF)"), upload_to=contract_pdf_path)
    sha256 = models.CharField(_("empreinte SHA-256 du contrat"), max_length=64)
    final_pdf = models.FileField(_("contrat signé (PDF)"), upload_to=contract_pdf_path, blank=True)
    final_sha256 = models.CharField(_("empreinte SHA-256 du contrat signé"), max_length=64, blank=True)
    reason = models.CharField(_("motif de la nouvelle version"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("empty when the platform drafted it at booking"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(_("signé par les deux parties le"), null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=300, blank=True)
    flagged_at = models.DateTimeField(
        _("signalé non signé le"), null=True, blank=True,
        help_text=_("set when the mission starts within 24 h and the contract is not signed by both"),
    )
    # Second flag: the mission reached its start with this version still unsigned. Kept after a late
    # signature (history of the regularisation); the mission is never cancelled for it.
    unsigned_at_start_at = models.DateTimeField(
        _("non signé au démarrage de la mission le"), null=True, blank=True,
        help_text=_("set when the booked mission has started and the contract is still not signed by both"),
    )

    objects = ContractQuerySet.as_manager()
    TRANSITIONS = CONTRACT_TRANSITIONS

    class Meta:
        ordering = ["-created_at", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["mission", "version"], name="one_contract_per_mission_version"),
            # Idempotent drafting: a mission never has two versions being signed at once.
            models.UniqueConstraint(
                fields=["mission"], condition=Q(state__in=[s.value for s in LIVE_UNSIGNED_STATES]),
                name="one_unsigned_contract_per_mission",
            ),
            models.CheckConstraint(condition=~Q(sha256=""), name="contract_has_hash"),
        ]
        indexes = [models.Index(fields=["state", "flagged_at"])]
        verbose_name = _("contrat")

    def __str__(self) -> str:
        return f"Contrat mission #{self.mission_id} v{self.version} ({self.get_state_display()})"

    @property
    def is_fully_signed(self) -> bool:
        return self.state in (ContractState.SIGNED, ContractState.COMPLETED) or (
            self.state == ContractState.SUPERSEDED and self.signed_at is not None
        )

    @property
    def awaits_signature(self) -> bool:
        return self.state in LIVE_UNSIGNED_STATES


class ContractSignature(models.Model):
    """Evidence of one party's signature: who, when, from where, and the hash of the bytes signed."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="signatures")
    side = models.CharField(_("partie"), max_length=14, choices=SignatureSide.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(_("signataire"), max_length=200)
    signer_role = models.CharField(_("qualité"), max_length=120)
    signed_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    sha256_signed = models.CharField(_("SHA-256 du document signé"), max_length=64)

    class Meta:
        ordering = ["signed_at"]
        constraints = [models.UniqueConstraint(fields=["contract", "side"], name="one_signature_per_side")]
        verbose_name = _("signature de contrat")

    def __str__(self) -> str:
        return f"{self.signer_name} ({self.get_side_display()}) {self.signed_at:%Y-%m-%d %H:%M}"
