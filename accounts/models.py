"""People and the one role that cannot be self-granted at this layer: ARS staff (per region).

Professional profiles live in ``professionals``, establishment memberships in ``establishments``:
a person's roles are read from those rows, never from a flag the person could set.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class SignupIntent(models.TextChoices):
    PROFESSIONAL = "professional", _("Je suis un professionnel de santé libéral")
    ESTABLISHMENT = "establishment", _("Je recrute pour un établissement")


class Civility(models.TextChoices):
    """How a person wishes to be addressed: what makes their profession read « Infirmière » or
    « Infirmier » (``professionals.models.profession_label``). Optional; not stated by default, and
    then the profession's own label is used, as for anyone whose civility is unknown."""

    MADAME = "madame", _("Madame")
    MONSIEUR = "monsieur", _("Monsieur")
    NOT_STATED = "not_stated", _("non précisée")


class User(AbstractUser):
    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)
    signup_intent = models.CharField(
        _("inscription en tant que"), max_length=20, choices=SignupIntent.choices, default=SignupIntent.PROFESSIONAL
    )
    phone = models.CharField(_("téléphone mobile"), max_length=20, blank=True)
    # Asked of professionals at sign-up and on their profile (never pre-selected), kept on the
    # account because sign-up comes before the profile; read through Professional.profession_label.
    # db_default too: rows written without it (older code, migrations' historical models) are « not stated ».
    civility = models.CharField(
        _("civilité"), max_length=10, choices=Civility.choices, default=Civility.NOT_STATED,
        db_default=Civility.NOT_STATED,
    )
    # An establishment's integration token acts as an account of its own, which no person signs in
    # to (unusable password, an address that cannot receive mail): ``establishments.IntegrationToken``
    # creates it. Marked so that what is about people (the second factor, e-mails and SMS) leaves it out.
    is_integration = models.BooleanField(
        _("compte d'intégration"), default=False, db_default=False,
        help_text=_("the account of an establishment's integration token, not a person"),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur")

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class ArsStaff(models.Model):
    """An ARS agent: reads the dashboards of one region. Created only from an invitation."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ars_staff")
    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT, related_name="ars_staff")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("agent ARS")
        verbose_name_plural = _("agents ARS")

    def __str__(self) -> str:
        return f"{self.user} (ARS {self.region})"


def _token() -> str:
    return secrets.token_urlsafe(32)


class ArsInvitation(models.Model):
    email = models.EmailField(_("adresse e-mail"))
    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT)
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation ARS")

    def __str__(self) -> str:
        return f"{self.email} → ARS {self.region_id}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()
