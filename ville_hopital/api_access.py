"""How the API fetches an object to act on: ``for_user(user, CHANGE)``, and a clear 403 for someone
who may see the row but not change it (a viewer member; HR of a sister site for a shared shift).

"Missing" and "not yours to see" stay the same 404 (``for_user(user, VIEW)`` decides that); only
someone who can already read the row learns that the write is refused."""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied

from ville_hopital.access import CHANGE, VIEW, Action


def object_to_change(model: type[Model], user, *, queryset: QuerySet | None = None, action: Action = CHANGE,
                     **lookup) -> Model:
    """The row ``lookup`` names if ``user`` may ``action`` it (CHANGE, or ADMIN for an admin's
    action); 403 if they may only see it; else 404. ``queryset``: the same rows with what the caller
    needs (``select_related``…), filtered through ``for_user(user, action)`` here."""
    changeable = model.objects.for_user(user, action)
    rows = changeable if queryset is None else queryset.filter(pk__in=changeable.values("pk"))
    found = rows.filter(**lookup).first()
    if found is not None:
        return found
    if model.objects.for_user(user, VIEW).filter(**lookup).exists():
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier cet objet : vous pouvez seulement le consulter."))
    return get_object_or_404(model.objects.none())
