"""The booking resources both parties share (``/api/v1/offers/``, ``/api/v1/missions/``): the
professional's own offers and missions, and for an establishment's members those on its shifts.

Reads: ``Proposal.objects.for_user(user, VIEW)`` / ``Mission.objects.for_user(user, VIEW)``
(``selectors.offers_visible``, ``missions_visible``): "missing" and "not yours" are one 404.

Writes are the services of the HTML pages, with their rules and their lock order:

- an offer is answered by its professional alone (``proposal_accept``, ``proposal_decline``, as
  the inbox): they act on it as ``selectors.about_me`` has it; a member of the shift's
  establishment, who sees the offer, is refused (403); a candidacy waits for HR (409). A retried
  answer (the offer already accepted or declined as asked) gives the same answer again, as the
  page does after a double tap;
- a mission is cancelled by its professional (``mission_cancel(by=professional)``: not within 48 h
  of the start) or by its establishment's HR and admins (``by=establishment``), with the reason the
  page asks for; it is closed after its end by the establishment (``mission_complete``: service
  fait or absence). HR's actions take the mission as ``establishments.access.row_to_change_or_404``
  has it (a viewer: 403; a sister site's shared shift: 404).

A refused change of state (an offer already answered, a mission already closed) answers 409
naming the current state (``api_errors.state_conflicts``); the services' other refusals 400, naming
their field. The webhooks (``mission.cancelled``, ``mission.done``, ``shift.filled``) are the
services' own.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from establishments.access import row_to_change_or_404
from missions.booking.selectors import about_me, accepted_mission, missions_visible, offers_visible
from missions.booking.services.missions import mission_cancel, mission_complete
from missions.booking.services.proposals import proposal_accept, proposal_decline
from missions.core.models import (
    CancelledBy,
    Mission,
    MissionState,
    Proposal,
    ProposalSource,
    ProposalState,
)
from ville_hopital.access import CHANGE, VIEW
from ville_hopital.api_errors import StateConflict, state_conflicts
from ville_hopital.api_filters import DateTimeFilter, IdFilter, StrictFilterSet
from ville_hopital.api_schema import ERROR_BODY
from ville_hopital.api_serializers import StrictSerializer, refuse_any_field

# --------------------------------------------------------------------------- what is rendered


class BookingPartiesSerializer(serializers.ModelSerializer):
    """What an offer and a mission say of their shift and their professional (both parties see it)."""

    establishment = serializers.IntegerField(source="shift.establishment_id", read_only=True)
    establishment_name = serializers.CharField(source="shift.establishment.name", read_only=True)
    unit_name = serializers.CharField(source="shift.unit.name", read_only=True)
    professional_rpps = serializers.CharField(source="professional.rpps", read_only=True, allow_null=True,
                                              help_text="RPPS number (null for a professional known by ADELI)")
    professional_name = serializers.CharField(source="professional.user.get_full_name", read_only=True)

    PARTIES = ["shift", "establishment", "establishment_name", "unit_name", "professional", "professional_rpps",
               "professional_name"]


class OfferSerializer(BookingPartiesSerializer):
    """An offer of a shift to one professional, with what the professional needs to answer it."""

    starts_at = serializers.DateTimeField(source="shift.starts_at", read_only=True)
    ends_at = serializers.DateTimeField(source="shift.ends_at", read_only=True)
    profession = serializers.CharField(source="shift.profession_id", read_only=True, help_text="TRE_G15 code")
    pay = serializers.DecimalField(source="shift.pay", max_digits=9, decimal_places=2, read_only=True,
                                   help_text="euros per position, excl. VAT")
    mission = serializers.IntegerField(source="mission.pk", read_only=True, allow_null=True,
                                       help_text="the mission its acceptance booked")

    class Meta:
        model = Proposal
        fields = ["id", *BookingPartiesSerializer.PARTIES, "profession", "starts_at", "ends_at", "pay", "state",
                  "source", "distance_km", "created_at", "expires_at", "decided_at", "mission"]
        read_only_fields = fields


class MissionSerializer(BookingPartiesSerializer):
    """A booked position of a shift: its professional, its state (booked, done, no-show, cancelled)."""

    # Empty until it is cancelled: the blank choice is stated (a read-only model field would drop it).
    cancelled_by = serializers.ChoiceField(choices=CancelledBy.choices, allow_blank=True, read_only=True,
                                           help_text="who cancelled it; empty unless cancelled")

    class Meta:
        model = Mission
        fields = ["id", *BookingPartiesSerializer.PARTIES, "position", "state", "starts_at", "ends_at", "pay",
                  "proposal", "booked_at", "closed_at", "cancelled_by", "cancel_reason"]
        read_only_fields = fields


def offer_rendered(user, proposal: Proposal) -> dict:
    """One offer as the API shows it (also the answer of HR's offer, ``missions.platform.api_hr``)."""
    return OfferSerializer(offers_visible(user=user).get(pk=proposal.pk)).data


def _mission(user, mission: Mission) -> dict:
    return MissionSerializer(missions_visible(user=user).get(pk=mission.pk)).data


# --------------------------------------------------------------------------- the lists' filters


class OfferFilter(StrictFilterSet):
    state = filters.ChoiceFilter(choices=ProposalState.choices)
    source = filters.ChoiceFilter(choices=ProposalSource.choices)
    shift = IdFilter(field_name="shift_id")
    establishment = IdFilter(field_name="shift__establishment_id")
    starts_after = DateTimeFilter(field_name="shift__starts_at", lookup_expr="gte", help_text="ISO 8601, with its offset")
    starts_before = DateTimeFilter(field_name="shift__starts_at", lookup_expr="lt", help_text="ISO 8601, with its offset")

    class Meta:
        model = Proposal
        fields: list[str] = []


class MissionFilter(StrictFilterSet):
    state = filters.ChoiceFilter(choices=MissionState.choices)
    shift = IdFilter(field_name="shift_id")
    establishment = IdFilter(field_name="shift__establishment_id")
    starts_after = DateTimeFilter(field_name="starts_at", lookup_expr="gte", help_text="ISO 8601, with its offset")
    starts_before = DateTimeFilter(field_name="starts_at", lookup_expr="lt", help_text="ISO 8601, with its offset")

    class Meta:
        model = Mission
        fields: list[str] = []


# --------------------------------------------------------------------------- offers


class _Offers:
    """The offers the user sees (``offers_visible``), for the list and for one."""

    request: Request
    serializer_class = OfferSerializer

    def get_queryset(self) -> QuerySet[Proposal]:
        return offers_visible(user=self.request.user)


@extend_schema_view(get=extend_schema(operation_id="offers_list"))
class OfferListView(_Offers, generics.ListAPIView):
    """My offers (a professional), and the offers on my establishments' shifts (a member), by the
    shift's start: pending, and answered, expired or withdrawn ones (``state``)."""

    filterset_class = OfferFilter


@extend_schema_view(get=extend_schema(operation_id="offers_retrieve"))
class OfferDetailView(_Offers, generics.RetrieveAPIView):
    pass


NOT_THE_PROFESSIONAL = OpenApiResponse(ERROR_BODY, description="A member of the shift's establishment: the "
                                                                "professional answers their offers.")


def _offer_to_answer(request: Request, pk: int) -> Proposal:
    """The offer ``pk`` as its professional answers it: one ``user`` cannot see is a 404; one they see
    without being its professional (a member of the shift's establishment) a 403."""
    proposal = get_object_or_404(Proposal.objects.for_user(request.user, VIEW), pk=pk)
    if not about_me(Proposal.objects, request.user, CHANGE).filter(pk=pk).exists():
        raise PermissionDenied(_("Cette proposition ne vous est pas adressée."))
    return proposal


class OfferAcceptView(APIView):
    """Accept an offer: the shift's lowest free position is booked (``proposal_accept``: the offer
    pending and not expired, the shift not full, the working-time rules, a valid RCP insurance…).
    Answers the mission. An offer already accepted answers its mission again (a retried request)."""

    @extend_schema(operation_id="offers_accept", request=None,
                   responses={200: MissionSerializer, 403: NOT_THE_PROFESSIONAL})
    def post(self, request: Request, pk: int) -> Response:
        proposal = _offer_to_answer(request, pk)
        refuse_any_field(request.data)
        try:
            with state_conflicts("source"):  # a candidacy: the establishment confirms it (409)
                mission = proposal_accept(actor=request.user, proposal=proposal)
        except (StateConflict, DjangoValidationError):
            mission = accepted_mission(user=request.user, proposal=proposal)
            if mission is None:
                raise
        return Response(_mission(request.user, mission))


class OfferDeclineSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300,
                                   help_text="optional; shown to the establishment's HR only")


class OfferDeclineView(APIView):
    """Decline an offer (``proposal_decline``), with an optional reason. Answers the offer; one
    already declined answers it again."""

    @extend_schema(operation_id="offers_decline", request=OfferDeclineSerializer,
                   responses={200: OfferSerializer, 403: NOT_THE_PROFESSIONAL})
    def post(self, request: Request, pk: int) -> Response:
        proposal = _offer_to_answer(request, pk)
        serializer = OfferDeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if proposal.state != ProposalState.DECLINED:  # a retry of a decline: answered as it was
            with state_conflicts():
                proposal = proposal_decline(actor=request.user, proposal=proposal,
                                            reason=serializer.validated_data["reason"])
        return Response(offer_rendered(request.user, proposal))


# --------------------------------------------------------------------------- missions


class _Missions:
    """The missions the user sees (``missions_visible``), for the list and for one."""

    request: Request
    serializer_class = MissionSerializer

    def get_queryset(self) -> QuerySet[Mission]:
        return missions_visible(user=self.request.user)


@extend_schema_view(get=extend_schema(operation_id="missions_list"))
class MissionListView(_Missions, generics.ListAPIView):
    """My missions (a professional), and the missions on my establishments' shifts (a member), by start."""

    filterset_class = MissionFilter


@extend_schema_view(get=extend_schema(operation_id="missions_retrieve"))
class MissionDetailView(_Missions, generics.RetrieveAPIView):
    pass


def _mission_to_close(request: Request, pk: int) -> Mission:
    """The mission as its establishment's HR acts on it (a viewer: 403; anyone else: 404)."""
    return row_to_change_or_404(Mission.objects.select_related("shift__establishment"), request.user, pk,
                                establishment="shift__establishment_id")


MISSION_FORBIDDEN = OpenApiResponse(ERROR_BODY, description="A viewer of the mission's establishment.")


class MissionCancelSerializer(StrictSerializer):
    reason = serializers.CharField(help_text="told to the other party (at most 300 characters)")


class MissionCancelView(APIView):
    """Cancel a booked mission before it starts, with a reason: its professional (not within 48 hours
    of the start: call the establishment, who still can) or its establishment's HR and admins. The
    other party is told; the contract is cancelled with it."""

    @extend_schema(operation_id="missions_cancel", request=MissionCancelSerializer,
                   responses={200: MissionSerializer, 403: MISSION_FORBIDDEN})
    def post(self, request: Request, pk: int) -> Response:
        mission = about_me(Mission.objects, request.user, CHANGE).filter(pk=pk).first()
        by = CancelledBy.PROFESSIONAL
        if mission is None:
            mission, by = _mission_to_close(request, pk), CancelledBy.ESTABLISHMENT
        serializer = MissionCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with state_conflicts():
            mission = mission_cancel(actor=request.user, mission=mission, reason=serializer.validated_data["reason"],
                                     by=by)
        return Response(_mission(request.user, mission))


class MissionCloseView(APIView):
    """After its end, the establishment closes a booked mission (``mission_complete``)."""

    outcome: str

    def close(self, request: Request, pk: int) -> Response:
        mission = _mission_to_close(request, pk)
        refuse_any_field(request.data)
        with state_conflicts():
            mission = mission_complete(actor=request.user, mission=mission, outcome=self.outcome)
        return Response(_mission(request.user, mission))


class MissionDoneView(MissionCloseView):
    """Service fait: the mission was worked (it will be paid; its signed contract is completed)."""

    outcome = MissionState.DONE

    @extend_schema(operation_id="missions_done", request=None,
                   responses={200: MissionSerializer, 403: MISSION_FORBIDDEN})
    def post(self, request: Request, pk: int) -> Response:
        return self.close(request, pk)


class MissionNoShowView(MissionCloseView):
    """Absence: the professional did not come (the contract still open is cancelled)."""

    outcome = MissionState.NO_SHOW

    @extend_schema(operation_id="missions_no_show", request=None,
                   responses={200: MissionSerializer, 403: MISSION_FORBIDDEN})
    def post(self, request: Request, pk: int) -> Response:
        return self.close(request, pk)


urlpatterns = [
    path("offers/", OfferListView.as_view(), name="offer-list"),
    path("offers/<int:pk>/", OfferDetailView.as_view(), name="offer-detail"),
    path("offers/<int:pk>/accept/", OfferAcceptView.as_view(), name="offer-accept"),
    path("offers/<int:pk>/decline/", OfferDeclineView.as_view(), name="offer-decline"),
    path("missions/", MissionListView.as_view(), name="mission-list"),
    path("missions/<int:pk>/", MissionDetailView.as_view(), name="mission-detail"),
    path("missions/<int:pk>/cancel/", MissionCancelView.as_view(), name="mission-cancel"),
    path("missions/<int:pk>/done/", MissionDoneView.as_view(), name="mission-done"),
    path("missions/<int:pk>/no-show/", MissionNoShowView.as_view(), name="mission-no-show"),
]
