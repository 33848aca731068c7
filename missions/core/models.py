"""Proposals (an offer of one shift to one professional), missions (a booked position), the blocks an
establishment sets on a professional, and the record of each matching run (``MatchingRun``: the HR
board reads it beside the offers, so it sits here rather than in ``missions.platform``).

Both are explicit state machines; services change state and write an audit row
(``ville_hopital.audit``). Database constraints are the last line against double bookings:
a position holds at most one active mission, a professional at most one per shift.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from establishments.models import Establishment, Shift
from professionals.models import Professional
from ville_hopital.access import VIEW, Action


class ProposalState(models.TextChoices):
    PENDING = "pending", _("en attente")
    ACCEPTED = "accepted", _("acceptée")
    DECLINED = "declined", _("déclinée")
    EXPIRED = "expired", _("expirée")
    WITHDRAWN = "withdrawn", _("retirée")


PROPOSAL_TRANSITIONS = {
    ProposalState.PENDING: {ProposalState.ACCEPTED, ProposalState.DECLINED, ProposalState.EXPIRED, ProposalState.WITHDRAWN},
}


class ProposalSource(models.TextChoices):
    NIGHTLY = "nightly", _("appariement nocturne")
    URGENT = "urgent", _("appariement immédiat (urgent)")
    MANUAL = "manual", _("proposition manuelle")
    #: The professional took an open urgent position from « Vacations ouvertes » (booked at once).
    TAKEN = "taken", _("prise directe (urgent)")
    #: The professional offered themselves for a later shift: HR confirms, or it expires before the
    #: next nightly matching, which then decides.
    CANDIDACY = "candidacy", _("candidature du professionnel")


class BookingQuerySet(models.QuerySet):
    """Rows about one professional on one shift (proposals, missions): who may see or act on them."""

    def for_user(self, user, action: Action = VIEW) -> Self:
        """The professional's own, and those on shifts the user may ``action`` as an establishment
        member (to view: a sister site's shared shift included; to change: their own site's, as HR).
        Each side is a subquery, so a row is never repeated and no ``DISTINCT`` is needed."""
        return self.filter(
            models.Q(professional__in=Professional.objects.for_user(user, action))
            | models.Q(shift__in=Shift.objects.for_user(user, action))
        )


class ProposalQuerySet(BookingQuerySet):
    def pending(self) -> ProposalQuerySet:
        return self.filter(state=ProposalState.PENDING, expires_at__gt=timezone.now())


class Proposal(models.Model):
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="proposals")
    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="proposals")
    state = models.CharField(max_length=12, choices=ProposalState.choices, default=ProposalState.PENDING)
    source = models.CharField(max_length=10, choices=ProposalSource.choices)
    distance_km = models.DecimalField(_("distance (km)"), max_digits=6, decimal_places=1)
    wave = models.PositiveSmallIntegerField(default=1, help_text=_("urgent shifts: which wave of notifications"))
    matching_run_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    decided_at = models.DateTimeField(null=True, blank=True)
    # First time the professional had the offer in front of them (their inbox): HR's live status.
    seen_at = models.DateTimeField(_("vue le"), null=True, blank=True)
    decline_reason = models.CharField(_("motif"), max_length=300, blank=True)

    objects = ProposalQuerySet.as_manager()
    TRANSITIONS = PROPOSAL_TRANSITIONS  # every change through ville_hopital.transitions.transition

    class Meta:
        ordering = ["expires_at"]
        constraints = [
            # A re-run of the nightly matching can never stack a second live offer on the first.
            models.UniqueConstraint(
                fields=["shift", "professional"], condition=Q(state="pending"), name="one_pending_proposal_per_pair"
            ),
        ]
        indexes = [models.Index(fields=["state", "expires_at"])]
        verbose_name = _("proposition")

    def __str__(self) -> str:
        return f"{self.shift} → {self.professional} ({self.state})"


class MissionState(models.TextChoices):
    BOOKED = "booked", _("réservée")
    DONE = "done", _("service fait")
    NO_SHOW = "no_show", _("absence")
    CANCELLED = "cancelled", _("annulée")


MISSION_TRANSITIONS = {
    MissionState.BOOKED: {MissionState.DONE, MissionState.NO_SHOW, MissionState.CANCELLED},
}
ACTIVE_MISSION_STATES = (MissionState.BOOKED, MissionState.DONE, MissionState.NO_SHOW)
#: A professional may not cancel a mission that starts within this delay (the establishment may);
#: the contracts state it in their cancellation terms.
PROFESSIONAL_CANCEL_NOTICE = timedelta(hours=48)


class CancelledBy(models.TextChoices):
    PROFESSIONAL = "professional", _("le professionnel")
    ESTABLISHMENT = "establishment", _("l'établissement")
    PLATFORM = "platform", _("la plateforme")


class MissionQuerySet(BookingQuerySet):
    def active(self) -> MissionQuerySet:
        return self.filter(state__in=ACTIVE_MISSION_STATES)


class Mission(models.Model):
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="missions")
    position = models.PositiveSmallIntegerField(help_text=_("1..shift.positions"))
    professional = models.ForeignKey(Professional, on_delete=models.PROTECT, related_name="missions")
    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="mission")
    state = models.CharField(max_length=10, choices=MissionState.choices, default=MissionState.BOOKED)
    # Copied from the shift at booking so the money of a booked mission never moves with later edits.
    pay = models.DecimalField(_("rémunération (€ HT)"), max_digits=9, decimal_places=2)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    distance_km = models.DecimalField(_("distance (km)"), max_digits=6, decimal_places=1)
    booked_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True, help_text=_("done, no-show or cancelled"))
    cancelled_by = models.CharField(max_length=14, choices=CancelledBy.choices, blank=True)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=300, blank=True)

    objects = MissionQuerySet.as_manager()
    TRANSITIONS = MISSION_TRANSITIONS

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "position"], condition=~Q(state="cancelled"), name="one_active_mission_per_position"
            ),
            models.UniqueConstraint(
                fields=["shift", "professional"], condition=~Q(state="cancelled"), name="one_active_mission_per_pro_shift"
            ),
        ]
        indexes = [models.Index(fields=["professional", "starts_at"]), models.Index(fields=["state", "starts_at"])]
        verbose_name = _("mission")

    def __str__(self) -> str:
        return f"{self.shift} #{self.position} — {self.professional}"


class EstablishmentBlock(models.Model):
    """An establishment that does not want to work with a professional again (matching excludes both ways)."""

    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="+")
    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["establishment", "professional"], name="one_block_per_pair")]


class MatchingRunKind(models.TextChoices):
    NIGHTLY = "nightly", _("nocturne")
    URGENT = "urgent", _("urgente")
    MANUAL = "manual", _("manuelle")


class MatchingRunState(models.TextChoices):
    RUNNING = "running", _("en cours")
    SUCCEEDED = "succeeded", _("réussie")
    FAILED = "failed", _("échouée")


MATCHING_RUN_TRANSITIONS = {
    MatchingRunState.RUNNING: {MatchingRunState.SUCCEEDED, MatchingRunState.FAILED},
}


class MatchingRun(models.Model):
    """One execution of the matching for a region partition (or one urgent shift).

    Written by ``missions.platform.services.matching``: created ``running`` in its own transaction, then
    completed (or marked ``failed`` with the error) — a row left ``running`` by a killed worker is
    marked failed by the next run of the same region, which holds the region's advisory lock.
    """

    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("région"))
    start = models.DateField(_("début de l'horizon"))
    horizon_days = models.PositiveSmallIntegerField(_("horizon (jours)"), default=30)
    kind = models.CharField(_("type"), max_length=10, choices=MatchingRunKind.choices)
    state = models.CharField(_("état"), max_length=10, choices=MatchingRunState.choices, default=MatchingRunState.RUNNING)
    TRANSITIONS = MATCHING_RUN_TRANSITIONS
    shift = models.ForeignKey(
        Shift, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text=_("urgent runs: the shift")
    )
    n_pros = models.PositiveIntegerField(_("professionnels"), default=0)
    n_slots = models.PositiveIntegerField(_("créneaux disponibles"), default=0)
    n_shifts = models.PositiveIntegerField(_("vacations"), default=0)
    n_positions = models.PositiveIntegerField(_("postes ouverts"), default=0)
    n_arcs = models.PositiveIntegerField(_("paires candidates"), default=0)
    n_excluded = models.PositiveIntegerField(_("paires exclues (règles de la plateforme)"), default=0)
    filled = models.PositiveIntegerField(_("postes pourvus"), default=0)
    proposals_written = models.PositiveIntegerField(_("propositions écrites"), default=0)
    objective = models.FloatField(_("objectif"), null=True, blank=True)
    bound = models.FloatField(_("borne supérieure"), null=True, blank=True)
    gap = models.FloatField(_("écart à la borne"), null=True, blank=True)
    method = models.CharField(_("méthode"), max_length=20, blank=True)
    load_seconds = models.FloatField(_("chargement (s)"), null=True, blank=True)
    solve_seconds = models.FloatField(_("résolution (s)"), null=True, blank=True)
    write_seconds = models.FloatField(_("écriture (s)"), null=True, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(_("démarrée le"), default=timezone.now)
    finished_at = models.DateTimeField(_("terminée le"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["region", "start", "kind"])]
        verbose_name = _("exécution de l'appariement")
        verbose_name_plural = _("exécutions de l'appariement")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region_id} {self.start} ({self.get_state_display()})"
