"""The API root under /api/v1/: each app contributes its routes in its own ``api.py``."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import api_token_issue
from ville_hopital.identifiers import is_ascii_digits
from ville_hopital.input_hygiene import LARGEST_INT, query_int
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
        # A number past any range asks for "as many as allowed": lowered to the maximum, as DRF does.
        limit = query_int(raw, default=self.max_limit if is_ascii_digits(raw) else None)
        if not limit:
            raise ValidationError({self.limit_query_param: [_("Un entier entre 1 et %(max)s.") % {"max": self.max_limit}]})
        return min(limit, self.max_limit)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.EmailField(help_text="the account's email")
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class TokenObtainView(APIView):
    """``POST username`` (the email) and ``password`` → ``{"token": …}``, for a verified email only.

    Wrong passwords count against the sign-in page's own limit (``api_token_issue``); past it, 429."""

    authentication_classes: list = []
    permission_classes: list = []
    serializer_class = TokenRequestSerializer

    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = api_token_issue(request=request._request, email=serializer.validated_data["username"],
                                    password=serializer.validated_data["password"])
        except DjangoValidationError as error:
            status = 429 if error.code == "too_many_login_attempts" else 400
            return Response({"username": error.messages}, status=status)
        return Response({"token": token.key})
