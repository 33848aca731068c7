"""API of an establishment's webhooks (``/api/v1/establishments/{id}/webhooks/``): its admins only.

Included from ``ville_hopital/urls.py`` at the root of ``api_v1``.

The establishment is read with ``Establishment.objects.for_user(user, ADMIN)`` and a webhook with
``WebhookSubscription.objects.for_user(user, ADMIN)``: HR, viewers (and an integration token, which
is never an admin) and strangers get a 404. The writes are the services the HTML page uses; a
refused URL answers 400 ``{"url": [...]}`` with nothing written.
"""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from establishments.models import Establishment
from ville_hopital.access import ADMIN
from ville_hopital.api_errors import state_conflicts
from ville_hopital.api_filters import StrictFilterSet
from ville_hopital.api_schema import CLEAN_TEXT
from webhooks import selectors, services
from webhooks.models import (
    DeliveryState,
    SubscriptionState,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from webhooks.url_safety import URL_MAX_LENGTH


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "state", "active", "disabled_at", "disabled_reason",
                  "consecutive_failures", "created_at"]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret (HMAC-SHA256 key): shown this once.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookCreateSerializer(serializers.Serializer):
    """Shapes only: the service checks the URL (HTTPS, a public address) and the events."""

    url = serializers.CharField(max_length=URL_MAX_LENGTH, help_text="https:// URL resolving to public addresses only")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False,
        max_length=len(WebhookEvent.values),
    )

    def validate(self, attrs: dict) -> dict:
        """Only ``url`` and ``events``: a misspelt field (``event``) must not pass for an omitted one."""
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: [_("Champ inconnu.")] for name in unknown})
        return attrs


class WebhookCreateSchema(OpenApiSerializerExtension):
    """The schema says what the API enforces: no other property (``WebhookCreateSerializer.validate``)
    and, in ``url``, no control character (``input_hygiene``)."""

    target_class = WebhookCreateSerializer

    def map_serializer(self, auto_schema, direction):
        schema = super().map_serializer(auto_schema, direction)
        schema["properties"]["url"]["pattern"] = CLEAN_TEXT
        return {**schema, "additionalProperties": False}


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "event_id", "state", "attempts", "last_status_code", "last_error",
                  "next_attempt_at", "last_attempt_at", "finished_at", "created_at", "payload"]
        read_only_fields = fields


class WebhookFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=SubscriptionState.choices)

    class Meta:
        model = WebhookSubscription
        fields = ["state"]


class WebhookDeliveryFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=DeliveryState.choices)
    event = django_filters.ChoiceFilter(choices=WebhookEvent.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["state", "event"]


class _AdministeredEstablishment:
    """The establishment of the path, if the user administers it (else 404)."""

    request: Request
    kwargs: dict

    def establishment(self) -> Establishment:
        if not hasattr(self, "_establishment"):
            self._establishment = get_object_or_404(
                Establishment.objects.for_user(self.request.user, ADMIN), pk=self.kwargs["establishment_id"]
            )
        return self._establishment

    def subscription(self) -> WebhookSubscription:
        mine = WebhookSubscription.objects.for_user(self.request.user, ADMIN).filter(establishment=self.establishment())
        return get_object_or_404(mine, pk=self.kwargs["webhook_id"])


@extend_schema_view(
    get=extend_schema(operation_id="webhooks_list", summary="The establishment's webhooks (its admins only)."),
    post=extend_schema(
        operation_id="webhooks_create", request=WebhookCreateSerializer, responses={201: WebhookCreatedSerializer},
        summary="Subscribe an HTTPS URL to events; the answer holds the signing secret, shown this once.",
    ),
)
class WebhookListView(_AdministeredEstablishment, generics.ListAPIView):
    serializer_class = WebhookSerializer
    filterset_class = WebhookFilter
    queryset = WebhookSubscription.objects.none()  # the schema's model; get_queryset reads the rows

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookSubscription.objects.none()
        return selectors.subscriptions_of(user=self.request.user, establishment=self.establishment())

    def post(self, request: Request, establishment_id: int) -> Response:
        establishment = self.establishment()
        body = WebhookCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # The answer carries the secret (the row holds it, to sign): the one time it is shown.
        subscription, _secret = services.webhook_subscription_create(
            actor=request.user, establishment=establishment, **body.validated_data
        )
        return Response(WebhookCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED,
                        headers={"Cache-Control": "no-store"})


class WebhookDetailView(_AdministeredEstablishment, APIView):
    @extend_schema(operation_id="webhooks_destroy", request=None, responses={204: None},
                   summary="Delete a webhook and its deliveries' log.")
    def delete(self, request: Request, establishment_id: int, webhook_id: int) -> Response:
        services.webhook_subscription_delete(actor=request.user, subscription=self.subscription())
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEnableView(_AdministeredEstablishment, APIView):
    @extend_schema(operation_id="webhooks_enable", request=None, responses=WebhookSerializer,
                   summary="Turn a disabled webhook back on (its URL is checked again).")
    def post(self, request: Request, establishment_id: int, webhook_id: int) -> Response:
        with state_conflicts():  # a webhook already active: 409 naming its state
            subscription = services.webhook_subscription_enable(actor=request.user, subscription=self.subscription())
        return Response(WebhookSerializer(subscription).data)


@extend_schema_view(get=extend_schema(operation_id="webhook_deliveries_list",
                                      summary="A webhook's deliveries, newest first: state, attempts, last HTTP code."))
class WebhookDeliveryListView(_AdministeredEstablishment, generics.ListAPIView):
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilter
    queryset = WebhookDelivery.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return selectors.deliveries_of(user=self.request.user, subscription=self.subscription())


# Whole paths, included at the API's root: each pattern names both of its keywords (the security
# walk reads a pattern's own keywords).
BASE = "establishments/<int:establishment_id>/webhooks/"
urlpatterns = [
    path(BASE, WebhookListView.as_view(), name="webhook-list"),
    path(f"{BASE}<int:webhook_id>/", WebhookDetailView.as_view(), name="webhook-detail"),
    path(f"{BASE}<int:webhook_id>/enable/", WebhookEnableView.as_view(), name="webhook-enable"),
    path(f"{BASE}<int:webhook_id>/deliveries/", WebhookDeliveryListView.as_view(), name="webhook-deliveries"),
]
