"""The API root under /api/v1/: each app contributes its routes in its own ``api.py``."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import api_token_issue
from establishments.access import is_establishment_member
from ville_hopital.api_schema import ERROR_BODY
from ville_hopital.roles import home_url_for, second_factor_required


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

    @extend_schema(operation_id="me_retrieve", responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        roles = [
            role
            for role, present in (
                ("professional", hasattr(user, "professional")),
                ("establishment_member", is_establishment_member(user)),
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


class TokenObtainSerializer(serializers.Serializer):
    username = serializers.EmailField(help_text="the account's email")
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    code = serializers.CharField(
        required=False, allow_blank=True, write_only=True, max_length=64,
        help_text="the current code of the account's authenticator app, or a recovery code: required when "
                  "the account has a second factor",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="send it as `Authorization: Token <token>`")


class TokenObtainView(APIView):
    """``POST username`` (the email) and ``password`` → ``{"token": …}``, for a verified email only;
    plus ``code`` (authenticator app or recovery code) when the account has a second factor.

    Wrong passwords and codes count against the sign-in page's own limits (``api_token_issue``);
    past them, 429. An account whose role requires a second factor and has none: 403 until it
    enrols on the site."""

    authentication_classes: list = []
    permission_classes: list = []
    serializer_class = TokenObtainSerializer

    @extend_schema(operation_id="auth_token_create", request=TokenObtainSerializer, responses={
        200: TokenSerializer,
        403: OpenApiResponse(ERROR_BODY, description="The account's role requires a second factor: enrol on the site first."),
        429: OpenApiResponse(ERROR_BODY, description="Too many wrong passwords: wait, then try again."),
    })
    def post(self, request: Request) -> Response:
        serializer = TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = api_token_issue(
                request=request._request, email=serializer.validated_data["username"],
                password=serializer.validated_data["password"], code=serializer.validated_data.get("code", ""),
                second_factor_required=second_factor_required,
            )
        except DjangoValidationError as error:
            if error.code == "second_factor_enrolment":
                return Response({"detail": error.messages[0]}, status=403)
            field = "code" if error.code in ("second_factor_missing", "second_factor_invalid") else "username"
            status = 429 if error.code == "too_many_login_attempts" else 400
            return Response({field: error.messages}, status=status)
        return Response({"token": token.key})
