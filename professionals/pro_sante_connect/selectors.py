"""Reads about Pro Santé Connect identities."""

from __future__ import annotations

from professionals.models import Professional
from professionals.pro_sante_connect.models import PscIdentity


def rpps_verified_by_psc(professional: Professional) -> bool:
    """Whether PSC vouched for this profile's RPPS: the number PSC gave its owner is the profile's."""
    return bool(professional.rpps) and PscIdentity.objects.filter(
        user_id=professional.user_id, rpps=professional.rpps
    ).exists()


def psc_identity_of(user) -> PscIdentity | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return PscIdentity.objects.filter(user=user).first()
