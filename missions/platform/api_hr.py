"""``POST /api/v1/shifts/{id}/offers/``: HR offers a shift to one named professional, as the page for
one shift does (``shift_offer_to``: refused with the rule that excludes them).

The professional is named by their RPPS number (a string of 11 digits) or, as the page does, by
their id (an integer). Whom HR may name is what the page's search shows (``offer_candidate``:
eligible for the shift, worked at the establishment, or already asked for it); anyone else is
answered as an unknown number: 400 naming ``professional``. The shift: ``for_user(user, CHANGE)``
through ``establishments.access.row_to_change_or_404`` (a viewer of its site: 403; anyone else: 404).
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from establishments.access import row_to_change_or_404
from establishments.models import Shift
from missions.booking.api import OfferSerializer, offer_rendered
from missions.platform.selectors_urgent import offer_candidate, offer_candidate_by_rpps
from missions.platform.services.urgent import shift_offer_to
from ville_hopital.api_schema import ERROR_BODY
from ville_hopital.api_serializers import StrictSerializer
from ville_hopital.idempotency import idempotent
from ville_hopital.identifiers import is_ascii_digits
from ville_hopital.input_hygiene import LARGEST_INT

RPPS_LENGTH = 11


@extend_schema_field({"oneOf": [{"type": "string", "pattern": "^[0-9]{11}$", "description": "RPPS number"},
                                {"type": "integer", "minimum": 1, "maximum": LARGEST_INT,
                                 "description": "the professional's id"}]})
class ProfessionalReference(serializers.Field):
    """An RPPS number (``"10101010101"``) or an id (``42``): ("rpps", text) or ("id", number)."""

    def to_internal_value(self, data) -> tuple[str, str | int]:
        if isinstance(data, int) and not isinstance(data, bool) and 1 <= data <= LARGEST_INT:
            return "id", data
        if isinstance(data, str) and len(data) == RPPS_LENGTH and is_ascii_digits(data):
            return "rpps", data
        raise serializers.ValidationError(_("Un numéro RPPS (11 chiffres, en texte) ou l'identifiant du professionnel."))

    def to_representation(self, value):
        return value


class OfferCreateSerializer(StrictSerializer):
    professional = ProfessionalReference()


class ShiftOfferCreateView(APIView):
    @extend_schema(operation_id="shifts_offer_create", request=OfferCreateSerializer,
                   responses={201: OfferSerializer,
                              403: OpenApiResponse(ERROR_BODY, description="A viewer of the shift's establishment.")})
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        shift = row_to_change_or_404(Shift.objects.select_related("establishment"), request.user, pk,
                                     establishment="establishment_id")
        serializer = OfferCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kind, value = serializer.validated_data["professional"]
        now = timezone.now()
        professional = (offer_candidate_by_rpps(shift=shift, rpps=value, now=now) if kind == "rpps"
                        else offer_candidate(shift=shift, professional_id=value, now=now))
        if professional is None:
            raise ValidationError({"professional": [_("Aucun professionnel de ce numéro parmi ceux à qui vous "
                                                      "pouvez proposer cette vacation.")]})
        proposal = shift_offer_to(actor=request.user, shift=shift, professional=professional, now=now)
        return Response(offer_rendered(request.user, proposal), status=201)


urlpatterns = [path("shifts/<int:pk>/offers/", ShiftOfferCreateView.as_view(), name="shift-offers")]
