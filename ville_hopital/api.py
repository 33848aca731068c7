"""The API root under /api/v1/: each app contributes its routes in its own ``api.py``."""

from __future__ import annotations

import contextlib

from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ville_hopital.input_hygiene import LARGEST_INT, query_int
from ville_hopital.proxies import client_ip
from ville_hopital.roles import home_url_for


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    home = serializers.CharField()


class MeView(APIView):
    """Who am I, with which roles (professional, establishment member, ARS, staff)."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request: Request) -> Response:
        user = request.user
        roles = [
            role
            for role, present in (
                ("professional", hasattr(user, "professional")),
                ("establishment_member", user.memberships.exists()),
                ("ars", hasattr(user, "ars_staff")),
                ("staff", user.is_staff),
            )
            if present
        ]
        data = {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "roles": roles,
            "home": home_url_for(user),
        }
        return Response(MeSerializer(data).data)


class BoundedPagination(LimitOffsetPagination):
    """Every list of the API is paginated: ``limit`` at most 200 (a larger one is lowered, as DRF
    documents), ``offset`` read through ``query_int`` — a number past PostgreSQL's range once reached
    the ``OFFSET`` clause and answered 500; now it is refused with a message naming the field."""

    max_limit = 200

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw is None:
            return 0
        offset = query_int(raw)
        if offset is None:
            raise ValidationError({self.offset_query_param: [_("Un entier positif ou nul, au plus %(max)s.")
                                                             % {"max": LARGEST_INT}]})
        return offset

    def get_limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        limit = query_int(raw, default=self.max_limit if raw.isascii() and raw.isdigit() else None)
        if not limit:
            raise ValidationError({self.limit_query_param: [_("Un entier entre 1 et %(max)s.") % {"max": self.max_limit}]})
        return min(limit, self.max_limit)


#: Wrong passwords allowed per address and per client within ``TOKEN_LOCK_WINDOW`` seconds; after
#: that the endpoint refuses even the right password until the window has passed (guessing by script).
TOKEN_FAILURES_ALLOWED = 5
TOKEN_LOCK_WINDOW = 15 * 60


class TokenObtainView(ObtainAuthToken):
    """``POST username`` (the email) and ``password`` → an API token, for a verified email only.

    Failures are counted per address and per client address; past ``TOKEN_FAILURES_ALLOWED`` in the
    window the answer is 429, whatever the password (it once took 30 wrong passwords, then the right
    one). Counting lives in the cache: with Redis away nothing is counted (the cache fails open)."""

    def post(self, request: Request, *args, **kwargs) -> Response:
        keys = [f"token-failures:ip:{client_ip(request)}",
                f"token-failures:email:{str(request.data.get('username', '')).strip().lower()}"]
        if any((cache.get(key) or 0) >= TOKEN_FAILURES_ALLOWED for key in keys):
            return Response({"detail": _("Trop d'essais : réessayez dans 15 minutes.")}, status=429)
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            for key in keys:
                _count_failure(key)
            return Response(serializer.errors, status=400)
        user = serializer.validated_data["user"]
        if not EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists():
            return Response({"username": [_("Confirmez d'abord votre adresse e-mail (lien reçu par e-mail).")]},
                            status=400)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


def _count_failure(key: str) -> None:
    cache.add(key, 0, TOKEN_LOCK_WINDOW)  # the window starts at the first failure
    with contextlib.suppress(ValueError):  # the count expired just now, or the cache is away
        cache.incr(key)
