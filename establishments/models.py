"""Establishments (FINESS sites), their members, units and the shifts they post.

Tenancy: every scoped model has a queryset ``for_user(user, action)`` (``ville_hopital.access``: view,
change, admin) — the one place that says who may do what with which rows. Views, API views and
services go through it; "missing" and "not yours" both end in a 404.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ville_hopital.access import ADMIN, CHANGE, VIEW, Action, action_check
from ville_hopital.identifiers import validate_finess


class EstablishmentStatus(models.TextChoices):
    PENDING = "pending", _("en attente de vérification")
    VERIFIED = "verified", _("vérifié")
    SUSPENDED = "suspended", _("suspendu")


class MemberRole(models.TextChoices):
    ADMIN = "admin", _("administrateur")
    HR = "hr", _("ressources humaines")
    VIEWER = "viewer", _("lecteur")


WRITER_ROLES = frozenset({MemberRole.ADMIN, MemberRole.HR})


#: The member roles that may take each action on their establishment (``ville_hopital.access``).
ROLES_FOR_ACTION: dict[str, frozenset[str]] = {
    VIEW: frozenset(MemberRole.values),
    CHANGE: WRITER_ROLES,
    ADMIN: frozenset({MemberRole.ADMIN}),
}


class EstablishmentQuerySet(models.QuerySet):
    def for_user(self, user, action: Action = VIEW) -> EstablishmentQuerySet:
        """The establishments ``user`` is a member of with a role allowed to ``action``: any role
        views, admin and HR change (post shifts, book), only admins administer (members, tokens)."""
        roles = ROLES_FOR_ACTION[action_check(action)]
        if not user.is_authenticated:
            return self.none()
        if action == VIEW:
            return self.filter(memberships__user=user)
        # One filter() call: the user and the role are conditions on the same membership row.
        return self.filter(memberships__user=user, memberships__role__in=roles)

    def in_join_order(self, user) -> EstablishmentQuerySet:
        """``user``'s establishments (``for_user(user, VIEW)``), the one they joined first first. The
        ordering reuses the join of ``for_user``'s filter: the user's own membership rows, no other."""
        return self.for_user(user, VIEW).order_by("memberships__created_at", "pk")


class Establishment(models.Model):
    finess_geo = models.CharField(
        _("FINESS géographique"), max_length=9, unique=True, validators=[validate_finess],
        error_messages={"unique": _("Ce numéro FINESS est déjà enregistré par un autre compte.")},
    )
    finess_legal = models.CharField(
        _("FINESS juridique"), max_length=9, validators=[validate_finess], db_index=True,
        help_text=_("the legal entity: sites sharing it can pool shifts"),
    )
    name = models.CharField(_("nom"), max_length=200)
    type = models.ForeignKey("reference.EstablishmentType", on_delete=models.PROTECT, verbose_name=_("type"))
    commune = models.ForeignKey("territories.Commune", on_delete=models.PROTECT, verbose_name=_("commune"))
    address = models.CharField(_("adresse"), max_length=300)
    status = models.CharField(
        _("statut"), max_length=12, choices=EstablishmentStatus.choices, default=EstablishmentStatus.PENDING
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = EstablishmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("établissement")

    def __str__(self) -> str:
        return self.name

    @property
    def can_post(self) -> bool:
        return self.status == EstablishmentStatus.VERIFIED


class MembershipQuerySet(models.QuerySet):
    def allowed_to(self, action: Action) -> MembershipQuerySet:
        """The memberships whose role may take ``action`` on their establishment: the other way
        round from ``EstablishmentQuerySet.for_user`` (who to tell, who signs), by the same roles."""
        return self.filter(role__in=ROLES_FOR_ACTION[action_check(action)])


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=10, choices=MemberRole.choices)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "establishment"], name="one_membership_per_pair")]
        verbose_name = _("membre")

    def __str__(self) -> str:
        return f"{self.user} — {self.establishment} ({self.get_role_display()})"


def _token() -> str:
    return secrets.token_urlsafe(32)


class MemberInvitation(models.Model):
    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("adresse e-mail"))
    role = models.CharField(_("rôle"), max_length=10, choices=MemberRole.choices)
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation d'un membre")


class UnitQuerySet(models.QuerySet):
    def for_user(self, user, action: Action = VIEW) -> UnitQuerySet:
        return self.filter(establishment__in=Establishment.objects.for_user(user, action))


class Unit(models.Model):
    """A service (urgences, réanimation, …) with what a newcomer needs to know on the day."""

    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(_("nom"), max_length=120)
    specialty = models.ForeignKey(
        "reference.Skill", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("spécialité")
    )
    where_to_go = models.TextField(_("où se présenter"), blank=True)
    contact = models.CharField(_("qui appeler"), max_length=200, blank=True)
    parking = models.TextField(_("stationnement"), blank=True)
    patient_record_access = models.TextField(_("accès au dossier patient"), blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["establishment", "name"], name="unit_name_unique_per_site")]
        verbose_name = _("unité")

    def __str__(self) -> str:
        return f"{self.name} — {self.establishment}"


class ShiftState(models.TextChoices):
    """What HR decided. Whether positions are proposed/filled/done is read from missions."""

    PUBLISHED = "published", _("publiée")
    CANCELLED = "cancelled", _("annulée")


SHIFT_TRANSITIONS = {ShiftState.PUBLISHED: {ShiftState.CANCELLED}}


#: A shift starting within this delay is urgent, whatever HR ticked (DESIGN.md §4). The one constant
#: of the one definition of "urgent": ``Shift.is_urgent`` and ``ShiftQuerySet.urgent``.
URGENT_WITHIN = timedelta(hours=48)


class ShiftQuerySet(models.QuerySet):
    def urgent(self, now: datetime | None = None) -> ShiftQuerySet:
        """Urgent shifts, as ``Shift.is_urgent`` says: HR's flag, or a start within ``URGENT_WITHIN``
        of ``now`` (started ones included: callers that want future shifts filter on the start)."""
        now = now or timezone.now()
        return self.filter(models.Q(urgent=True) | models.Q(starts_at__lte=now + URGENT_WITHIN))

    def for_user(self, user, action: Action = VIEW) -> ShiftQuerySet:
        """To view: shifts of the user's establishments, and shifts shared with their legal entity.
        To change (edit, cancel, share, offer, book): only the user's own establishments' shifts,
        as HR or admin — a sister site's shared shift is visible, never theirs.

        Only a *verified* site belongs to a legal entity: the legal FINESS is what a registration
        declares, checked by staff at verification, so a pending site naming a hospital group's
        (public) legal FINESS must not see the group's shared shifts, its bookings and offers.

        Both conditions are subqueries (``IN (SELECT …)``) and the join to the shift's own
        establishment is one row: no shift is repeated, so no ``DISTINCT`` — which, on HR's board,
        made PostgreSQL sort every annotated row of the establishment's shifts to drop none."""
        if action_check(action) != VIEW:
            return self.filter(establishment__in=Establishment.objects.for_user(user, action))
        mine = Establishment.objects.for_user(user)
        legal = mine.filter(status=EstablishmentStatus.VERIFIED).values("finess_legal")
        return self.filter(
            models.Q(establishment__in=mine)
            | models.Q(shared_with_legal_entity=True, establishment__finess_legal__in=legal)
        )


class ShiftSeries(models.Model):
    """A recurring posting (e.g. every Saturday night for 8 weeks): the shifts point back here."""

    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="series")
    rule = models.CharField(_("règle"), max_length=200, help_text=_("human-readable, e.g. 'every Saturday × 8'"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)


class Shift(models.Model):
    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="shifts")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("unité"))
    profession = models.ForeignKey("reference.Profession", on_delete=models.PROTECT, verbose_name=_("profession"))
    required_skills = models.ManyToManyField("reference.Skill", blank=True, verbose_name=_("compétences requises"))
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    positions = models.PositiveSmallIntegerField(
        _("nombre de postes"), validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    urgency = models.PositiveSmallIntegerField(
        _("urgence (1 à 5)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    pay = models.DecimalField(
        _("rémunération par poste (€ HT)"), max_digits=9, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    pay_cap = models.DecimalField(
        _("plafond applicable (€)"), max_digits=9, decimal_places=2, null=True, blank=True,
        help_text=_("the legal cap at posting time; empty when no cap applies"),
    )
    pay_cap_explanation = models.CharField(max_length=300, blank=True)
    contract_route = models.CharField(_("voie contractuelle"), max_length=24)
    location = models.ForeignKey(
        "territories.Commune", on_delete=models.PROTECT, related_name="+", verbose_name=_("lieu"),
        help_text=_("the establishment's commune, or where a mobile unit parks that day"),
    )
    shared_with_legal_entity = models.BooleanField(_("partagée avec les sites de l'entité juridique"), default=False)
    series = models.ForeignKey(ShiftSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="shifts")
    state = models.CharField(max_length=12, choices=ShiftState.choices, default=ShiftState.PUBLISHED)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ShiftQuerySet.as_manager()
    TRANSITIONS = SHIFT_TRANSITIONS

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["state", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"),
            models.CheckConstraint(condition=models.Q(positions__gte=1), name="shift_has_positions"),
        ]
        verbose_name = _("vacation")

    def __str__(self) -> str:
        return f"{self.unit.name} {self.starts_at:%d/%m %H:%M}"

    def is_urgent(self, now: datetime | None = None) -> bool:
        """The one definition of an urgent shift: HR flagged it (``urgent``, also set when it was
        posted within 48 h of its start), or it starts within ``URGENT_WITHIN`` of ``now``. Waves,
        digests and badges all ask this (``ShiftQuerySet.urgent`` is the same rule in SQL)."""
        now = now or timezone.now()
        return bool(self.urgent) or self.starts_at - now <= URGENT_WITHIN

    @property
    def hours(self) -> Decimal:
        return Decimal((self.ends_at - self.starts_at).total_seconds()) / Decimal(3600)


class IntegrationTokenScope(models.TextChoices):
    READ = "read", _("lecture")
    WRITE = "write", _("écriture")


#: The member role an integration token's account holds, per scope: what it may do is then what
#: ``Model.objects.for_user`` lets that role do, on every page and API endpoint, with no rule of its own.
ROLE_FOR_SCOPE: dict[str, str] = {IntegrationTokenScope.READ: MemberRole.VIEWER, IntegrationTokenScope.WRITE: MemberRole.HR}


class IntegrationTokenQuerySet(models.QuerySet):
    def for_user(self, user, action: Action = VIEW) -> IntegrationTokenQuerySet:
        """The tokens of the establishments ``user`` may ``action`` (managing them is ``ADMIN``)."""
        return self.filter(establishment__in=Establishment.objects.for_user(user, action))


class IntegrationToken(models.Model):
    """A named API credential of an establishment, for its own software (planning, HR system).

    It authenticates as ``user``, an account created with it that no person signs in to
    (``User.is_integration``), member of the establishment as a viewer (scope read) or HR (scope
    write): access is then the members' rule (``ROLE_FOR_SCOPE``). Only the SHA-256 of the secret
    is kept (``key_hash``); the secret is shown once, when the token is created. ``key_prefix``
    (the first characters of the secret) tells tokens apart in lists and in the audit trail.
    Revoked, or past ``expires_at``, it authenticates no more (``establishments.authentication``).
    """

    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="integration_tokens")
    name = models.CharField(_("nom"), max_length=100)
    scope = models.CharField(_("portée"), max_length=10, choices=IntegrationTokenScope.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="integration_token", editable=False,
    )
    key_prefix = models.CharField(_("début du jeton"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )

    objects = IntegrationTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A revoked token's name may be given again (to its replacement).
            models.UniqueConstraint(
                fields=["establishment", "name"], condition=models.Q(revoked_at__isnull=True),
                name="integration_token_name_unique_per_site",
            ),
        ]
        verbose_name = _("jeton d'intégration")
        verbose_name_plural = _("jetons d'intégration")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…) — {self.establishment}"

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    def state(self, now: datetime | None = None) -> str:
        """« active », « expired » or « revoked », for the lists."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.is_usable(now) else "expired"
