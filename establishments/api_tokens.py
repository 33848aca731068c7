"""API of an establishment's integration tokens (``/api/v1/establishments/{id}/tokens/``), for its admins.

- ``GET …/tokens/``: the tokens (newest first; never a secret, only its first characters);
- ``POST …/tokens/`` ``{"name", "scope": "read"|"write", "expires_at"?}``: a new token; the answer
  (201) holds its ``secret``, the only time it is ever shown;
- ``POST …/tokens/{token_id}/revoke/``: revoke it (the token as it now is).

Only the establishment's admins (``Establishment.objects.for_user(user, ADMIN)``): anyone else, an
integration token included (its account is a viewer or HR member), gets the same 404 as for a
missing establishment. The same services as the HTML page (``establishments.services_tokens``).

Creating the same token twice is refused by the name (a non-revoked token of the establishment
already has it: 400), so a retried POST never leaves two live tokens. It takes no ``Idempotency-Key``:
a replayed answer would have to keep the secret (docs/api.md).

Included from ``ville_hopital/urls.py``'s ``api_v1`` under ``establishments/<int:establishment_id>/tokens/``.
"""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from establishments.models import Establishment, IntegrationToken, IntegrationTokenScope
from establishments.selectors_tokens import integration_tokens_of
from establishments.services_tokens import integration_token_create, integration_token_revoke
from ville_hopital.access import ADMIN
from ville_hopital.api_filters import StrictFilterSet
from ville_hopital.api_schema import ERROR_BODY
from ville_hopital.api_serializers import StrictSerializer


class IntegrationTokenSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField(help_text="active, expired or revoked")
    created_by = serializers.CharField(source="created_by.email", read_only=True)

    class Meta:
        model = IntegrationToken
        fields = ["id", "name", "scope", "key_prefix", "state", "created_at", "created_by", "expires_at",
                  "last_used_at", "revoked_at"]

    def get_state(self, token: IntegrationToken) -> str:
        return token.state()


class IntegrationTokenCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, help_text="what uses it, e.g. « Planning des urgences »")
    scope = serializers.ChoiceField(choices=IntegrationTokenScope.choices,
                                    help_text="read: as a viewer member; write: as an HR member")
    expires_at = serializers.DateTimeField(required=False, help_text="at most a year from now; 90 days by default")


class IntegrationTokenCreatedSerializer(IntegrationTokenSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="send it as `Authorization: Bearer <secret>`; shown this once, never again",
    )

    class Meta(IntegrationTokenSerializer.Meta):
        fields = [*IntegrationTokenSerializer.Meta.fields, "secret"]


class IntegrationTokenFilter(StrictFilterSet):
    scope = django_filters.ChoiceFilter(choices=IntegrationTokenScope.choices)
    revoked = django_filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull", exclude=True,
                                           help_text="true: the revoked ones; false: the others")

    class Meta:
        model = IntegrationToken
        fields = ["scope", "revoked"]


def _administered(request: Request, establishment_id: int) -> Establishment:
    return get_object_or_404(Establishment.objects.for_user(request.user, ADMIN), pk=establishment_id)


NOT_ADMIN = OpenApiResponse(ERROR_BODY, description="No such establishment, or you are not one of its admins.")
THROTTLED = OpenApiResponse(ERROR_BODY, description="Too many requests with this integration token (Retry-After).")


@extend_schema_view(
    get=extend_schema(operation_id="integration_tokens_list", responses={
        200: IntegrationTokenSerializer(many=True), 404: NOT_ADMIN, 429: THROTTLED,
    }),
    post=extend_schema(operation_id="integration_tokens_create", request=IntegrationTokenCreateSerializer, responses={
        201: IntegrationTokenCreatedSerializer, 404: NOT_ADMIN, 429: THROTTLED,
    }),
)
class IntegrationTokenListView(generics.ListAPIView):
    """The establishment's integration tokens (its admins only); POST creates one."""

    serializer_class = IntegrationTokenSerializer
    filterset_class = IntegrationTokenFilter
    # JSON only: a client is software, and a form body's field names would meet the input hygiene
    # middleware before the serializer could ignore them.
    parser_classes = [JSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation: no request, no establishment
            return IntegrationToken.objects.none()
        establishment = _administered(self.request, self.kwargs["establishment_id"])
        return integration_tokens_of(user=self.request.user, establishment=establishment)

    def post(self, request: Request, establishment_id: int) -> Response:
        establishment = _administered(request, establishment_id)
        serializer = IntegrationTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = integration_token_create(actor=request.user, establishment=establishment, **serializer.validated_data)
        token.secret = secret  # rendered this once; never stored
        response = Response(IntegrationTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class IntegrationTokenRevokeView(APIView):
    """Revoke one of the establishment's tokens: it authenticates no more, its account is deactivated."""

    @extend_schema(operation_id="integration_tokens_revoke", request=None, responses={
        200: IntegrationTokenSerializer, 404: NOT_ADMIN, 429: THROTTLED,
    })
    def post(self, request: Request, establishment_id: int, token_id: int) -> Response:
        establishment = _administered(request, establishment_id)
        token = get_object_or_404(integration_tokens_of(user=request.user, establishment=establishment), pk=token_id)
        token = integration_token_revoke(actor=request.user, token=token)
        return Response(IntegrationTokenSerializer(token).data)


urlpatterns = [
    path("", IntegrationTokenListView.as_view(), name="integration-tokens"),
    path("<int:token_id>/revoke/", IntegrationTokenRevokeView.as_view(), name="integration-token-revoke"),
]
