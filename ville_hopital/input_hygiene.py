"""Input hygiene at the edge: what no field of the platform may contain, and bounded query parameters.

Every text that reaches a view arrives through the query string, a form body or a JSON body.
PostgreSQL refuses a NUL character in a string (the request would end in a 500, with part of a
multi-step write possibly done), and no control character has a meaning in a name, a reason or a
search. ``InputHygieneMiddleware`` checks the first two for every request, before any view runs, and
answers 400 naming the field; JSON bodies go through DRF serializers, whose ``CharField`` already
refuses NUL. Tab, line feed and carriage return stay allowed (text areas, pasted addresses).

Query parameters that are numbers or dates are read through ``query_date`` and ``query_int``, which
keep them within bounds (``?au=9999-12-31`` once overflowed a ``date + timedelta``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from ville_hopital.identifiers import is_ascii_digits

#: C0 controls but tab, line feed and carriage return; DEL; C1 controls.
FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

#: The calendar the platform deals with: dates outside it are not a filter anyone means.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)

#: The largest integer any query parameter may carry (PostgreSQL's ``integer``).
LARGEST_INT = 2**31 - 1


def has_forbidden_character(value: str) -> bool:
    return FORBIDDEN_CHARACTERS.search(value) is not None


def forbidden_character_message(field: str) -> str:
    return _("Le champ « %(field)s » contient un caractère invisible non autorisé (caractère de contrôle).") % {
        "field": field
    }


def first_bad_field(items: Iterable[tuple[str, str]]) -> str | None:
    """The first parameter whose name or value holds a forbidden character."""
    for name, value in items:
        if has_forbidden_character(name) or has_forbidden_character(value):
            return FORBIDDEN_CHARACTERS.sub("?", name)
    return None


def _form_items(request: HttpRequest) -> Iterable[tuple[str, str]]:
    # Only bodies Django parses into request.POST (url-encoded and multipart forms); reading it here is
    # what CsrfViewMiddleware does anyway. Uploaded files are the views' business (their own checks).
    if request.method != "POST" or request.content_type not in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        return ()
    return ((name, value) for name, values in request.POST.lists() for value in values)


class InputHygieneMiddleware:
    """Refuse, with a 400 naming the field, a request whose query string or form holds a control character."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = ((name, value) for name, values in request.GET.lists() for value in values)
        field = first_bad_field(query) or first_bad_field(_form_items(request))
        if field is not None and not _method_refused(request):
            return bad_input_response(request, field, forbidden_character_message(field))
        return self.get_response(request)


def _method_refused(request: HttpRequest) -> bool:
    """Whether the class-based view of the address has no handler for the method: it answers 405
    without reading a field, and a method the address does not take is a 405 whatever the data."""
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return False
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    # Django answers HEAD with the view's GET (``View.setup``).
    method = "get" if request.method == "HEAD" else request.method.lower()
    return cls is not None and not hasattr(cls, method)


def bad_input_response(request: HttpRequest, field: str, message: str) -> HttpResponse:
    """400: JSON ``{field: [message]}`` for the API (the shape DRF gives serializer errors), a page otherwise."""
    if request.path.startswith("/api/"):
        return JsonResponse({field: [message]}, status=400)
    return render(request, "bad_input.html", {"field": field, "message": message}, status=400)


def query_date(value: str | None) -> date | None:
    """An ISO date from a query parameter, or ``None`` when it is absent, malformed or out of bounds."""
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None
    return parsed if EARLIEST_DATE <= parsed <= LATEST_DATE else None


def query_int(value: str | None, *, default: int | None = None) -> int | None:
    """A non-negative integer from a query parameter, or ``default`` when absent, malformed or too large."""
    if not value or not is_ascii_digits(value) or len(value) > 10:
        return default
    number = int(value)
    return number if number <= LARGEST_INT else default
