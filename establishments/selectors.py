"""Reads about establishments, always starting from ``.for_user(user)``.

Pooling: a person may belong to several establishments. The one they are working on is kept in
the session (``CURRENT_KEY``) and checked against ``Establishment.objects.for_user`` on every
read, so a stale or forged id simply falls back to their first establishment.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from directories.selectors import DirectoryCheck, finess_check
from establishments.models import (
    Establishment,
    EstablishmentStatus,
    MemberInvitation,
    Membership,
    Shift,
    Unit,
)

CURRENT_KEY = "current_establishment_id"


def my_establishments(*, user) -> QuerySet[Establishment]:
    return Establishment.objects.for_user(user).select_related("type", "commune").order_by("name")


def current_establishment(request: HttpRequest) -> Establishment | None:
    mine = my_establishments(user=request.user)
    wanted = request.session.get(CURRENT_KEY)
    establishment = mine.filter(pk=wanted).first() if wanted else None
    # Otherwise the first establishment the person joined (usually the one they registered).
    return establishment or Establishment.objects.in_join_order(request.user).select_related("type", "commune").first()


def set_current_establishment(request: HttpRequest, establishment: Establishment) -> None:
    # Written only when it changes: every write is an UPDATE of the session row, on each page HR opens.
    if request.session.get(CURRENT_KEY) != establishment.pk:
        request.session[CURRENT_KEY] = establishment.pk


def members_of(*, user, establishment: Establishment) -> QuerySet[Membership]:
    """The people of the establishment; its integration tokens' accounts are listed with the tokens."""
    return Membership.objects.filter(
        establishment__in=Establishment.objects.for_user(user), establishment=establishment,
        user__is_integration=False,
    ).select_related("user").order_by("user__last_name", "user__email")


def open_invitations(*, user, establishment: Establishment) -> QuerySet[MemberInvitation]:
    return MemberInvitation.objects.filter(
        establishment__in=Establishment.objects.for_user(user), establishment=establishment, accepted_at__isnull=True
    ).order_by("-created_at")


def units_of(*, user, establishment: Establishment) -> QuerySet[Unit]:
    return Unit.objects.for_user(user).filter(establishment=establishment).select_related("specialty")


def upcoming_shift_count(*, user, establishment: Establishment) -> int:
    return Shift.objects.for_user(user).filter(establishment=establishment, starts_at__gte=timezone.now()).count()


def sibling_sites(*, user, establishment: Establishment) -> QuerySet[Establishment]:
    """Other sites of the same legal entity (FINESS juridique): where a shared shift is offered."""
    # Verified sites only, on both sides: a declared legal FINESS means nothing until staff checked it
    # (see ``ShiftQuerySet.for_user``).
    if not Establishment.objects.for_user(user).filter(pk=establishment.pk, status=EstablishmentStatus.VERIFIED).exists():
        return Establishment.objects.none()
    return Establishment.objects.filter(
        finess_legal=establishment.finess_legal, status=EstablishmentStatus.VERIFIED
    ).exclude(pk=establishment.pk)


def blockable_establishments() -> QuerySet[Establishment]:
    """The establishments a professional may refuse to be offered shifts of (their profile's list):
    every verified one."""
    return Establishment.objects.filter(status=EstablishmentStatus.VERIFIED)


def establishment_finess_check(establishment: Establishment) -> DirectoryCheck:
    """Its FINESS ET in the national file with the FINESS EJ it declared (staff read it before verifying)."""
    return finess_check(finess_et=establishment.finess_geo, finess_ej=establishment.finess_legal)
