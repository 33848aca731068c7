"""The API's error bodies: a service's refusal (Django's ``ValidationError``) answers 400 with the
fields it names, as a form would show them (``ville_hopital.forms.service_errors``, the one reading
of a domain error); a service's ``PermissionDenied`` answers 403 with its own message; everything
else as DRF answers it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
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
