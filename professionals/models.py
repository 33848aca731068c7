"""Freelance professionals: profile, credentials, and declared availability (day / night slots)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Civility
from establishments.models import Establishment
from reference.models import Profession
from ville_hopital.access import VIEW, Action, action_check
from ville_hopital.identifiers import validate_adeli, validate_rpps

RADIUS_KM_MIN, RADIUS_KM_MAX = 1, 200
MISSIONS_PER_MONTH_MIN, MISSIONS_PER_MONTH_MAX = 1, 31


class Notice(models.IntegerChoices):
    """The shortest notice a professional accepts: a shift starting sooner is not offered to them.
    A short notice is what puts someone on tonight's urgent shifts; 24 h keeps them off."""

    H2 = 2, _("2 heures — au pied levé : une vacation du jour même, de nuit comme de jour")
    H6 = 6, _("6 heures — prévenu·e le matin, je peux faire la nuit du soir")
    H12 = 12, _("12 heures — prévenu·e avant 8 h, je peux faire la nuit du soir")
    H24 = 24, _("24 heures — rien le jour même : au plus tôt le lendemain")
    H48 = 48, _("48 heures — au moins deux jours à l'avance")


class ProfessionalQuerySet(models.QuerySet):
    def for_user(self, user, action: Action = VIEW) -> ProfessionalQuerySet:
        """A professional's profile is theirs alone, to view and to change (an establishment reads
        what it needs of a booked professional through the mission and ``Credential``)."""
        action_check(action)
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def eligible_on(self, day: date) -> ProfessionalQuerySet:
        """Who may receive proposals for ``day``: those covered by a professional liability
        insurance (RCP) valid that day. No insurance uploaded, or only expired ones, means no
        proposals until a valid attestation is sent (the same rule as ``missions.platform.loading``).
        """
        insured = Credential.objects.filter(
            kind=CredentialKind.INSURANCE, expires_on__isnull=False, expires_on__gte=day
        ).values("professional")
        return self.filter(pk__in=insured)


def profession_label(profession: Profession, civility: str) -> str:
    """``profession`` as the title of a person of ``civility`` (``accounts.models.Civility``): the
    one rule, read through ``Professional.profession_label`` wherever a person's profession is shown
    (and by the profile form, before the profile exists).

    French: « Infirmière » for Madame (``Profession.label_feminine``, when the data gives one), the
    label (« Infirmier ») for Monsieur and when the civility is not stated or unknown — never a
    contracted « Infirmier·ère ». English names are neutral (« Nurse »): ``label_en`` for everyone.
    """
    if profession.shows_english:
        return profession.label_en
    if civility == Civility.MADAME and profession.label_feminine:
        return profession.label_feminine
    return profession.label


def _feed_token() -> str:
    return secrets.token_urlsafe(32)


class Professional(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="professional")
    rpps = models.CharField(
        _("numéro RPPS"), max_length=11, unique=True, null=True, blank=True, validators=[validate_rpps],
        error_messages={"unique": _("Ce numéro RPPS est déjà enregistré.")},
    )
    adeli = models.CharField(
        _("numéro ADELI"), max_length=9, unique=True, null=True, blank=True, validators=[validate_adeli],
        error_messages={"unique": _("Ce numéro ADELI est déjà enregistré.")},
    )
    profession = models.ForeignKey("reference.Profession", on_delete=models.PROTECT, verbose_name=_("profession"))
    skills = models.ManyToManyField("reference.Skill", blank=True, verbose_name=_("spécialités et compétences"))
    home_commune = models.ForeignKey("territories.Commune", on_delete=models.PROTECT, verbose_name=_("commune"))
    radius_km = models.PositiveSmallIntegerField(
        _("rayon de déplacement (km)"), default=30,
        validators=[MinValueValidator(RADIUS_KM_MIN), MaxValueValidator(RADIUS_KM_MAX)],
    )
    max_missions_per_month = models.PositiveSmallIntegerField(
        _("missions par mois au maximum"), default=4,
        validators=[MinValueValidator(MISSIONS_PER_MONTH_MIN), MaxValueValidator(MISSIONS_PER_MONTH_MAX)],
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        _("délai de prévenance minimal (h)"), choices=Notice.choices, default=Notice.H24,
        help_text=_("la vacation la plus proche qu'on peut vous proposer : 2 h pour les urgences du jour, 24 h pour rien le jour même"),
    )
    expected_hourly_rate = models.DecimalField(
        _("tarif horaire souhaité (€)"), max_digits=7, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    blocked_establishments = models.ManyToManyField(
        "establishments.Establishment", blank=True, related_name="+", verbose_name=_("établissements exclus")
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=_feed_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the person erased their account (ville_hopital.privacy.account_erase): the row stays
    # because missions and contracts kept for their legal retention point to it, without RPPS/ADELI.
    erased_at = models.DateTimeField(_("compte effacé le"), null=True, blank=True)

    objects = ProfessionalQuerySet.as_manager()

    class Meta:
        verbose_name = _("professionnel")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rpps__isnull=False) | models.Q(adeli__isnull=False) | models.Q(erased_at__isnull=False),
                name="professional_has_rpps_or_adeli",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.profession_label})"

    @property
    def profession_label(self) -> str:
        """This person's profession as shown wherever it names them: « Infirmière » for Madame,
        « Infirmier » for Monsieur or when not stated, « Nurse » in English (the rule:
        ``profession_label`` above, with the civility kept on the account). Lists select ``user``
        and ``profession`` with the professional."""
        return profession_label(self.profession, self.user.civility)


class CredentialKind(models.TextChoices):
    DIPLOMA = "diploma", _("diplôme")
    INSURANCE = "insurance", _("responsabilité civile professionnelle (RCP)")
    OTHER = "other", _("autre document")


def credential_path(instance: Credential, filename: str) -> str:
    # Random names: a document's URL must not be guessable from the professional's id.
    return f"credentials/{instance.professional_id}/{secrets.token_hex(16)}"


#: Mission states that open a professional's documents to the establishment (missions.MissionState
#: values; professionals never import missions, so the reverse relation is queried by name).
MISSION_STATES_SHARING_DOCUMENTS = ("booked", "done", "no_show")


class CredentialQuerySet(models.QuerySet):
    def for_user(self, user, action: Action = VIEW) -> CredentialQuerySet:
        """Readable by the owner, and by members of an establishment that has (or had) a mission
        that is not cancelled with the professional; changed (uploaded, deleted) by the owner alone."""
        if action_check(action) != VIEW:
            return self.filter(professional__in=Professional.objects.for_user(user, action))
        if not user.is_authenticated:
            return self.none()
        with_mission = Professional.objects.filter(
            missions__state__in=MISSION_STATES_SHARING_DOCUMENTS,
            missions__shift__establishment__in=Establishment.objects.for_user(user),
        ).values("pk")
        return self.filter(models.Q(professional__user=user) | models.Q(professional__in=with_mission))


class Credential(models.Model):
    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="credentials")
    kind = models.CharField(_("type"), max_length=12, choices=CredentialKind.choices)
    file = models.FileField(_("fichier"), upload_to=credential_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    expires_on = models.DateField(_("date d'expiration"), null=True, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("justificatif")


class Slot(models.TextChoices):
    DAY = "D", _("jour (08:00–20:00)")
    NIGHT = "N", _("nuit (20:00–08:00)")


SLOT_START = {Slot.DAY: time(8, 0), Slot.NIGHT: time(20, 0)}
SLOT_HOURS = 12


def slot_bounds(day: date, slot: str) -> tuple[datetime, datetime]:
    """The aware start and end of a slot, in Paris time (a night ends at 08:00 the next day)."""
    start = timezone.make_aware(datetime.combine(day, SLOT_START[Slot(slot)]))
    return start, start + timedelta(hours=SLOT_HOURS)


class AvailabilityQuerySet(models.QuerySet):
    def for_user(self, user, action: Action = VIEW) -> AvailabilityQuerySet:
        return self.filter(professional__in=Professional.objects.for_user(user, action))


class Availability(models.Model):
    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="availabilities")
    day = models.DateField(_("jour"))
    slot = models.CharField(_("créneau"), max_length=1, choices=Slot.choices)

    objects = AvailabilityQuerySet.as_manager()

    class Meta:
        ordering = ["day", "slot"]
        constraints = [models.UniqueConstraint(fields=["professional", "day", "slot"], name="one_availability_per_slot")]
        indexes = [models.Index(fields=["day", "slot"])]
        verbose_name = _("disponibilité")
