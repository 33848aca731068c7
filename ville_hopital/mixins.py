"""Role gates shared by the HTML views. Anyone lacking the role gets a 404, never a hint.

The establishment member's gate is ``establishments.access.is_establishment_member`` (asked of
``Establishment.objects.for_user``): this module sits below the apps and imports none."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


def role_required(has_role: Callable[[object], bool]) -> Callable:
    """Decorator: logged in, and ``has_role(user)`` true; otherwise 404 (the page 'does not exist' for you)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not has_role(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def is_professional(user) -> bool:
    return hasattr(user, "professional")


def is_ars_staff(user) -> bool:
    return hasattr(user, "ars_staff")
