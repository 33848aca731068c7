"""The API's shifts as HR reads and acts on them (``/api/v1/shifts/``): the list and one shift, each
with its board status (``selectors_hr.with_board_status``, the board's own annotations: positions,
filled, pending offers, status), the one-off posting (``shift_post``, the posting form's service),
cancelling (``shift_cancel``) and sharing with the legal entity (``shift_share_with_legal_entity``).

Reads: ``Shift.objects.for_user(user, VIEW)`` (a sister site's shared shift included). Writes:
``for_user(user, CHANGE)`` through ``establishments.access.row_to_change_or_404`` (the HR pages'
gate): a viewer of the shift's site gets a 403 saying so, anyone else (a sister site's shared shift
included: visible, never theirs) a 404. Postings, bulk and series: ``establishments.api``.
"""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from establishments.access import establishment_or_404, row_to_change_or_404
from establishments.api import (
    FORBIDDEN_WRITE,
    ShiftCreateSerializer,
    ShiftFilter,
    ShiftSerializer,
    posted_spec,
)
from establishments.models import Shift
from establishments.services import shift_post, shift_share_with_legal_entity
from missions.booking.selectors_hr import BoardStatus, with_board_status
from missions.booking.services.shifts import shift_cancel
from ville_hopital.access import ADMIN, VIEW
from ville_hopital.api_errors import state_conflicts
from ville_hopital.api_schema import ERROR_BODY
from ville_hopital.api_serializers import StrictSerializer
from ville_hopital.idempotency import idempotent


class BoardShiftSerializer(ShiftSerializer):
    """A shift with its board status, as HR's board shows it."""

    filled = serializers.IntegerField(read_only=True, help_text="positions held by a booked or closed mission")
    pending_offers = serializers.IntegerField(source="pending_count", read_only=True,
                                              help_text="offers sent and not yet answered nor expired")
    board_status = serializers.ChoiceField(choices=[code for code, _label in BoardStatus.choices], read_only=True,
                                           help_text="open, proposed (offers pending), filled, done or cancelled")

    class Meta(ShiftSerializer.Meta):
        fields = [*ShiftSerializer.Meta.fields, "filled", "pending_offers", "board_status"]
        read_only_fields = fields


def board_shifts(user) -> QuerySet[Shift]:
    """The shifts ``user`` sees, each with its board status, ready to render (constant queries per page)."""
    return (
        with_board_status(Shift.objects.for_user(user, VIEW))
        .annotate(filled=F("booked_count") + F("closed_count"))
        .prefetch_related("required_skills")
        .order_by("starts_at", "pk")
    )


def _rendered(user, shift: Shift) -> dict:
    return BoardShiftSerializer(board_shifts(user).get(pk=shift.pk)).data


@extend_schema_view(get=extend_schema(operation_id="shifts_list"))
class ShiftListCreateView(generics.ListAPIView):
    """The shifts I see (my establishments', and those sister sites shared with our legal entity), by
    start; ``POST`` posts one, as the posting form (``shift_post``: dates in the future, pay cap…)."""

    serializer_class = BoardShiftSerializer
    filterset_class = ShiftFilter

    def get_queryset(self):
        return board_shifts(self.request.user)

    @extend_schema(operation_id="shifts_create", request=ShiftCreateSerializer,
                   responses={201: BoardShiftSerializer, 403: FORBIDDEN_WRITE})
    @idempotent
    def post(self, request: Request) -> Response:
        spec, starts_at, ends_at = posted_spec(request)
        shift = shift_post(actor=request.user, spec=spec, starts_at=starts_at, ends_at=ends_at)
        return Response(_rendered(request.user, shift), status=201)


@extend_schema_view(get=extend_schema(operation_id="shifts_retrieve"))
class ShiftDetailView(generics.RetrieveAPIView):
    serializer_class = BoardShiftSerializer

    def get_queryset(self):
        return board_shifts(self.request.user)


SHIFT_FORBIDDEN = OpenApiResponse(ERROR_BODY, description="A viewer of the shift's establishment (or, to share, "
                                                          "anyone but its admins).")


class ShiftCancelSerializer(StrictSerializer):
    reason = serializers.CharField(help_text="told to the booked professionals (at most 300 characters)")


class ShiftCancelView(APIView):
    """Cancel a shift before it starts: its booked missions are cancelled (each professional told the
    reason), its pending offers withdrawn."""

    @extend_schema(operation_id="shifts_cancel", request=ShiftCancelSerializer,
                   responses={200: BoardShiftSerializer, 403: SHIFT_FORBIDDEN})
    def post(self, request: Request, pk: int) -> Response:
        shift = row_to_change_or_404(Shift.objects.select_related("establishment"), request.user, pk,
                                     establishment="establishment_id")
        serializer = ShiftCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with state_conflicts():  # a shift already cancelled or started: 409 naming its state
            shift_cancel(actor=request.user, shift=shift, reason=serializer.validated_data["reason"])
        return Response(_rendered(request.user, shift))


class ShiftShareSerializer(StrictSerializer):
    shared = serializers.BooleanField(help_text="true: offered to the other sites of the legal entity")


class ShiftShareView(APIView):
    """An establishment's admin offers a shift to the other sites of its legal entity (or stops);
    its HR and viewers: 403."""

    @extend_schema(operation_id="shifts_share", request=ShiftShareSerializer,
                   responses={200: BoardShiftSerializer, 403: SHIFT_FORBIDDEN})
    def post(self, request: Request, pk: int) -> Response:
        shift = row_to_change_or_404(Shift.objects.select_related("establishment"), request.user, pk,
                                     establishment="establishment_id")
        establishment_or_404(request.user, shift.establishment_id, ADMIN)  # an admin's action: HR too get 403
        serializer = ShiftShareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with state_conflicts():
            shift_share_with_legal_entity(actor=request.user, shift=shift, shared=serializer.validated_data["shared"])
        return Response(_rendered(request.user, shift))


urlpatterns = [
    path("shifts/", ShiftListCreateView.as_view(), name="shift-list"),
    path("shifts/<int:pk>/", ShiftDetailView.as_view(), name="shift-detail"),
    path("shifts/<int:pk>/cancel/", ShiftCancelView.as_view(), name="shift-cancel"),
    path("shifts/<int:pk>/share/", ShiftShareView.as_view(), name="shift-share"),
]
