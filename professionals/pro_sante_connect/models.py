"""The RPPS numbers Pro Santé Connect vouched for.

Kept beside the profile rather than on it: a profile's RPPS is *verified by PSC* while it is the
number recorded here for the same person (``rpps_verified_by_psc``); a number typed later in the
profile form is not, without anyone having to remember to clear a flag.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ville_hopital.identifiers import validate_rpps


class PscIdentity(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="psc_identity")
    subject = models.CharField(_("identifiant PSC (sub)"), max_length=255, unique=True)
    rpps = models.CharField(_("numéro RPPS"), max_length=11, unique=True, validators=[validate_rpps])
    acr = models.CharField(_("niveau d'authentification"), max_length=40, blank=True)
    verified_at = models.DateTimeField(_("vérifié le"), default=timezone.now)

    class Meta:
        verbose_name = _("identité Pro Santé Connect")
        verbose_name_plural = _("identités Pro Santé Connect")

    def __str__(self) -> str:
        return f"{self.rpps} ({self.user})"
