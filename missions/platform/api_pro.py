"""``GET /api/v1/open-shifts/``: the shifts a professional may take, as their « Vacations ouvertes »
page lists them (``missions.platform.views.matching.open_shifts``) — the same selector,
``open_shifts_for_professional`` (their profession, their home region, published, not started, not
full), the same filters (a département of their home region — another one matches nothing —, urgent only), soonest first, each with
its distance and what the professional already holds on it (an offer, a candidacy, a booking).

Someone without a professional profile gets an empty list. Here rather than in ``professionals.api``:
the selector reads offers and missions, which ``professionals`` never imports.
"""

from __future__ import annotations

import functools

from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers

from establishments.api import UrgentField
from establishments.models import Shift
from missions.booking.selectors import open_shifts_for_professional, set_distance_km
from professionals.models import Professional
from professionals.selectors import professional_of
from ville_hopital.api_filters import BooleanWordFilter, StrictFilterSet


class OpenShiftSerializer(serializers.ModelSerializer):
    profession = serializers.CharField(source="profession_id", read_only=True, help_text="TRE_G15 code")
    establishment_name = serializers.CharField(source="establishment.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    location = serializers.CharField(source="location_id", read_only=True, help_text="INSEE code")
    location_name = serializers.CharField(source="location.name", read_only=True)
    urgent = UrgentField()
    distance_km = serializers.DecimalField(max_digits=6, decimal_places=1, read_only=True,
                                           help_text="from my home commune, as the crow flies")
    offered = serializers.BooleanField(source="my_pending_proposal", read_only=True,
                                       help_text="I hold a pending offer for it")
    applied = serializers.BooleanField(source="my_candidacy", read_only=True, help_text="I offered myself for it")
    booked = serializers.BooleanField(source="my_booking", read_only=True, help_text="I am booked on it")

    class Meta:
        model = Shift
        fields = ["id", "establishment", "establishment_name", "unit", "unit_name", "profession", "starts_at",
                  "ends_at", "pay", "urgent", "location", "location_name", "distance_km", "offered", "applied",
                  "booked"]
        read_only_fields = fields


class OpenShiftFilter(StrictFilterSet):
    """The page's filters, parsed here (a wrong value: 400 naming it) and applied by its selector."""

    # Free text, as the shift list's profession: a code of no département of my region matches nothing.
    departement = filters.CharFilter(help_text="a département code of my home region (e.g. 48)")
    urgent = BooleanWordFilter(help_text="urgent ones only (flagged, or within 48 hours)")

    class Meta:
        model = Shift
        fields: list[str] = []

    def filter_queryset(self, queryset):
        """The page's selector with the parsed filters (not a filter of each field on ``queryset``)."""
        professional = self.request.parser_context["view"].professional
        if professional is None:
            return queryset.none()
        return open_shifts_for_professional(
            professional=professional, departement_code=self.form.cleaned_data.get("departement") or None,
            urgent_only=BooleanWordFilter.is_true(self.form.cleaned_data.get("urgent")),
        )


@extend_schema_view(get=extend_schema(operation_id="open_shifts_list"))
class OpenShiftListView(generics.ListAPIView):
    """The shifts I may take (the « Vacations ouvertes » page): my profession, my home region, published,
    not started, with a position left; soonest first. Not a professional: an empty list."""

    serializer_class = OpenShiftSerializer
    filterset_class = OpenShiftFilter

    @functools.cached_property
    def professional(self) -> Professional | None:
        """The requester's profile (None: not a professional), read once for the view and its filter."""
        if getattr(self, "swagger_fake_view", False):  # the schema's generation: no request
            return None
        return professional_of(self.request.user)

    def get_queryset(self):
        if self.professional is None:
            return Shift.objects.none()
        return open_shifts_for_professional(professional=self.professional)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is None or self.professional is None:
            return page
        return set_distance_km(page, origin=self.professional.home_commune)


urlpatterns = [path("open-shifts/", OpenShiftListView.as_view(), name="open-shift-list")]
