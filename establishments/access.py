"""The establishment's role checks, all asked of ``Establishment.objects.for_user(user, action)``.

``ville_hopital.access`` names the actions; the querysets (``establishments.models`` and the other
tenant models) say which rows each person may take them on. This module is the one place that turns
that answer into a decision about *one* establishment:

- ``establishment_allows``: may ``user`` take ``action`` on it (a template's ``can_write``);
- ``establishment_require``: the services' check, ``PermissionDenied`` when not;
- ``establishment_or_404``: the HTML views' gate: a person who is not a member gets a 404 (the
  establishment, and so its rows, does not exist for them: a sister site's shared shift included),
  a member whose role may not act gets a 403 before the form is read (a viewer's write);
- ``row_to_change_or_404``: an HR action on a shift, a mission or a proposal: the row as
  ``Model.objects.for_user(user, CHANGE)`` has it, after that gate on the row's establishment;
- ``is_establishment_member``: the "has this role at all" gate of ``role_required``.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from establishments.models import Establishment
from ville_hopital.access import ADMIN, CHANGE, VIEW, Action, action_check

Row = TypeVar("Row", bound=models.Model)


def _refusal(action: Action) -> str:
    if action == ADMIN:
        return _("Seul un administrateur de l'établissement peut faire cela.")
    return _("Votre rôle dans cet établissement ne permet pas de modifier.")


def is_establishment_member(user) -> bool:
    """A member of at least one establishment, whatever the role: the HR pages' 404 gate."""
    return Establishment.objects.for_user(user, VIEW).exists()


def establishment_allows(user, establishment: Establishment | int, action: Action) -> bool:
    pk = establishment.pk if isinstance(establishment, Establishment) else establishment
    return Establishment.objects.for_user(user, action).filter(pk=pk).exists()


def establishment_require(actor, establishment: Establishment | int, action: Action, message: str = "") -> None:
    """The services' role check: ``PermissionDenied`` (``message``, else the action's) unless ``actor``
    may ``action`` the establishment (``CHANGE``: admin or HR; ``ADMIN``: admin)."""
    if not establishment_allows(actor, establishment, action_check(action)):
        raise PermissionDenied(message or _refusal(action))


def establishment_or_404(user, pk: int, action: Action = VIEW) -> Establishment:
    """The establishment ``pk`` for a page or an action needing ``action``: 404 for a non-member,
    403 for a member whose role may not (checked before any form is read)."""
    establishment = get_object_or_404(Establishment.objects.for_user(user, VIEW), pk=pk)
    if action != VIEW:
        establishment_require(user, establishment, action)
    return establishment


def row_to_change_or_404(queryset: models.QuerySet[Row], user, pk: int, *, establishment: str) -> Row:
    """An HR action on one row of ``queryset`` (``Shift``, ``Mission`` or ``Proposal`` objects, maybe
    narrowed and with its ``select_related``): the row as ``for_user(user, CHANGE)`` answers it.

    Before it, the gate of ``establishment_or_404`` on the establishment the row belongs to
    (``establishment``: the path to its id, e.g. ``"shift__establishment_id"``), found through what
    the user may *view*: missing or a sister site's shared shift (visible, never theirs) → 404; a
    viewer of the row's own site → 403. Past the gate, the ``CHANGE`` fetch cannot miss."""
    owner = get_object_or_404(queryset.for_user(user, VIEW).values_list(establishment, flat=True), pk=pk)
    establishment_or_404(user, owner, CHANGE)
    return get_object_or_404(queryset.for_user(user, CHANGE), pk=pk)
