"""The API's error bodies: a service's refusal (Django's ``ValidationError``) answers 400 with the
fields it names, as a form would show them (``ville_hopital.forms.service_errors``, the one reading
of a domain error); a service's ``PermissionDenied`` answers 403 with its own message; everything
else as DRF answers it. Around a service acting on one object, ``state_conflicts`` turns its refusal
of a change of state into the 409 the schema documents for it (``api_schema``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from ville_hopital.forms import service_errors


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError({
            name or api_settings.NON_FIELD_ERRORS_KEY: messages for name, messages in service_errors(exc).items()
        })
    elif isinstance(exc, DjangoPermissionDenied) and exc.args:
        # A service's refusal says why (« Votre rôle … ne permet pas de modifier. »): kept, not DRF's generic text.
        exc = exceptions.PermissionDenied(str(exc.args[0]))
    return drf_exception_handler(exc, context)


class StateConflict(exceptions.APIException):
    """409: the object's state does not allow the action (already answered, cancelled, closed…)."""

    status_code = 409
    default_detail = _("L'état de l'objet ne permet pas cette action.")
    default_code = "conflict"


@contextmanager
def state_conflicts(*fields: str) -> Iterator[None]:
    """A service's refusal of a change of state (``transitions.transition_check``: ``{"state": […]}``,
    nothing else) answers 409 with that body, naming the current state; ``fields`` names others that
    are conflicts with what the object is (``source``: a candidacy is not the professional's to
    accept). Its other refusals stay the 400 of ``exception_handler``."""
    try:
        yield
    except DjangoValidationError as error:
        errors = service_errors(error)
        if errors and set(errors) <= {"state", *fields}:
            raise StateConflict(errors) from error
        raise
