"""The ARS dashboards as JSON, under ``/api/v1/ars/regions/{code}/``: the figures the pages show.

Each endpoint reads what one part of the pages shows, through the same selectors and the same page
cache (``dashboards.selectors.*_read``), with the same filters validated by the same form
(``FilterForm``: ``start``, ``end``, ``departement``, ``profession``; a bad one answers 400 naming it)
and the same territory rule (``scope_for``: another region, the national view for a non-staff
user, or any other role answer 404). ``{code}`` is an INSEE region code, or ``fr`` (France as a
whole) for platform staff, as on the pages.

Counts are integers. Rates are floats between 0 and 1 (not percentages), ``null`` when their
denominator is zero; hours, FTE, distances and medians are floats (see docs/dashboards.md for the
definitions). The dashboards hold no money.

Include from ``ville_hopital/urls.py``: ``path("ars/", include("dashboards.api"))`` in ``api_v1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from dashboards import selectors
from dashboards.forms import FilterForm
from dashboards.selectors import Filters, Scope
from ville_hopital.api_schema import ERROR_BODY
from ville_hopital.input_hygiene import LARGEST_INT
from ville_hopital.pagination import BoundedPagination

RATE = "between 0 and 1 (not a percentage); null when the denominator is 0"

ERRORS = {
    400: OpenApiResponse(ERROR_BODY, description="A filter is invalid: `{\"start\": [\"…\"]}` names it."),
    403: OpenApiResponse(ERROR_BODY, description="Not signed in (no or an invalid token)."),
    404: OpenApiResponse(ERROR_BODY, description="Not a territory you may read (another region, or not an ARS "
                                                 "agent nor platform staff): the same answer as an unknown code."),
}


# --------------------------------------------------------------------------- parameters


class FilterParameters(serializers.Serializer):
    """The pages' filters, as query parameters (documentation: ``FilterForm`` reads them)."""

    start = serializers.DateField(required=False, help_text=(
        "first day of the period (ISO 8601); default: 30 days ago. Within 10 years of today."))
    end = serializers.DateField(required=False, help_text=(
        "last day of the period (ISO 8601), not before `start`, at most 3 years after it; default: in 30 days."))
    departement = serializers.CharField(required=False, allow_blank=True, help_text="a département code of the region (`48`); default: all")
    profession = serializers.CharField(required=False, allow_blank=True, help_text="a profession code (TRE_G15, `60` nurse); default: all")


class PageParameters(FilterParameters):
    limit = serializers.IntegerField(required=False, min_value=1, help_text=(
        f"rows per page (default {api_settings.PAGE_SIZE}, at most {BoundedPagination.max_limit}: more is lowered)"))
    offset = serializers.IntegerField(required=False, min_value=0, max_value=LARGEST_INT,
                                      help_text="rows to skip (default 0)")


# --------------------------------------------------------------------------- responses


class ArsTerritorySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="INSEE region code, or `fr` for France as a whole")
    name = serializers.CharField()


class ArsFiltersSerializer(serializers.Serializer):
    """The filters applied, defaults filled in."""

    start = serializers.DateField()
    end = serializers.DateField()
    departement = serializers.CharField(allow_null=True)
    profession = serializers.CharField(allow_null=True)


class ArsFiguresSerializer(serializers.Serializer):
    """The indicators of one slice (a territory, a département, a profession, a type, an establishment)."""

    posted = serializers.IntegerField(help_text="positions of published shifts taking place in the period")
    filled = serializers.IntegerField(help_text="positions booked (missions booked, done or no-show)")
    unfilled = serializers.IntegerField(help_text="posted − filled (never below 0)")
    fill_rate = serializers.FloatField(allow_null=True, help_text=f"filled / posted, {RATE}")
    urgent_posted = serializers.IntegerField(help_text="positions of urgent shifts in the period")
    urgent_filled = serializers.IntegerField()
    urgent_unfilled_7d = serializers.IntegerField(
        help_text="urgent positions still unfilled from today to today + 6, whatever the period")
    withdrawn = serializers.IntegerField(help_text="positions of cancelled shifts")
    done = serializers.IntegerField(help_text="missions done")
    no_show = serializers.IntegerField()
    cancelled = serializers.IntegerField(help_text="missions cancelled, by anyone")
    cancelled_by_pro = serializers.IntegerField()
    cancelled_by_estab = serializers.IntegerField()
    cancelled_by_platform = serializers.IntegerField()
    hours_filled = serializers.FloatField(help_text="hours of the positions filled")
    hours_done = serializers.FloatField(help_text="hours of the missions done")
    fte = serializers.FloatField(allow_null=True, help_text=(
        "full-time equivalents mobilised: hours_done / (1,607 h × elapsed_days / 365); null before the period starts"))
    elapsed_days = serializers.IntegerField(help_text="days of the period up to today included")
    active_professionals = serializers.IntegerField(allow_null=True, help_text=(
        "distinct professionals with an active mission in the period"))
    median_ttf_hours = serializers.FloatField(allow_null=True, help_text=(
        "median hours from posting to booking (read on histograms: see docs/dashboards.md); null without missions"))
    median_km = serializers.FloatField(allow_null=True, help_text="median travel distance in km; null without missions")
    mean_km = serializers.FloatField(allow_null=True, help_text="mean travel distance in km; null without missions")


class ArsReadSerializer(serializers.Serializer):
    """What every answer says of itself: the territory, the filters applied, the aggregates' date."""

    territory = ArsTerritorySerializer(source="scope")
    filters = ArsFiltersSerializer()
    data_as_of = serializers.DateTimeField(allow_null=True, help_text=(
        "when the aggregates were last refreshed (null: never computed yet)"))


class ArsIndicatorsSerializer(ArsReadSerializer):
    figures = ArsFiguresSerializer(help_text="the headline figures of the territory over the period")


class ArsGroupRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="in the request's language")
    figures = ArsFiguresSerializer()


class ArsGroupsSerializer(ArsReadSerializer):
    results = ArsGroupRowSerializer(many=True)


class ArsWeekSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="the week's Monday")
    posted = serializers.IntegerField()
    filled = serializers.IntegerField()
    fill_rate = serializers.FloatField(allow_null=True, help_text=f"filled / posted, {RATE}")


class ArsTrendSerializer(ArsReadSerializer):
    results = ArsWeekSerializer(many=True, help_text="every week touching the period, oldest first")


class ArsEstablishmentRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    type = serializers.CharField(source="type_label")
    commune = serializers.CharField()
    figures = ArsFiguresSerializer()


class ArsEstablishmentPageSerializer(ArsReadSerializer):
    count = serializers.IntegerField(help_text="establishments with positions posted in the period")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ArsEstablishmentRowSerializer(many=True, help_text=(
        "lowest fill rate first (ties: most unfilled positions first, then name)"))


class ArsWindowSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class ArsShortageRowSerializer(serializers.Serializer):
    departement = serializers.CharField()
    departement_name = serializers.CharField()
    profession = serializers.CharField()
    profession_name = serializers.CharField()
    open_positions = serializers.IntegerField(help_text="positions still unfilled in the window")
    available_slots = serializers.IntegerField(help_text=(
        "availability slots declared in the window by professionals of the profession living in the département"))
    gap = serializers.IntegerField(help_text="open_positions − available_slots (> 0)")


class ArsShortagesSerializer(ArsReadSerializer):
    window = ArsWindowSerializer(allow_null=True, help_text=(
        "the future part of the period (from today), where demand is still open; null when the period is past"))
    results = ArsShortageRowSerializer(many=True, help_text="largest gap first")


class ArsRegionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="for the paths below: an INSEE region code, or `fr`")
    name = serializers.CharField()
    national = serializers.BooleanField(help_text="France as a whole (platform staff only)")


class ArsRegionsSerializer(serializers.Serializer):
    results = ArsRegionSerializer(many=True)


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class Read:
    """One request's territory and filters, as the pages resolve them."""

    scope: Scope
    filters: Filters
    today: date
    data_as_of: datetime | None

    def body(self, **rest) -> dict:
        return {"scope": self.scope, "filters": self.filters, "data_as_of": self.data_as_of, **rest}


def dashboard_read(request: Request, code: str) -> Read:
    """The territory (``scope_for``: 404 if not the user's) and the filters (``FilterForm``: 400 naming
    the parameter), in the pages' order."""
    scope = selectors.scope_for(request.user, code)
    today = timezone.localdate()
    form = FilterForm(request.query_params, scope=scope, today=today)
    if not form.is_valid():
        raise ValidationError({
            api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name: list(messages)
            for name, messages in form.errors.items()
        })
    return Read(scope, form.filters(), today, selectors.data_as_of())


class ArsView(APIView):
    permission_classes = [IsAuthenticated]


class RegionsView(ArsView):
    """The territories whose dashboards I may read: an ARS agent's region; for platform staff every
    region and France as a whole (``fr``). Anyone else: 404, as the dashboards' home page."""

    @extend_schema(operation_id="ars_regions_list", responses={200: ArsRegionsSerializer, 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request: Request) -> Response:
        if not selectors.has_dashboard_access(request.user):
            raise NotFound
        regions = selectors.regions_for(request.user).order_by("code")
        rows = [{"code": r.code, "name": r.name, "national": False} for r in regions]
        if request.user.is_staff:
            national = Scope(selectors.NATIONAL, None)
            rows.append({"code": national.code, "name": national.name, "national": True})
        return Response(ArsRegionsSerializer({"results": rows}).data)


class IndicatorsView(ArsView):
    """The overview's headline figures for the territory and period."""

    @extend_schema(operation_id="ars_indicators_retrieve", parameters=[FilterParameters],
                   responses={200: ArsIndicatorsSerializer, **ERRORS})
    def get(self, request: Request, code: str) -> Response:
        read = dashboard_read(request, code)
        overview = selectors.overview_read(read.scope, read.filters, read.today, read.data_as_of)
        return Response(ArsIndicatorsSerializer(read.body(figures=overview.total)).data)


class GroupView(ArsView):
    """One breakdown of the overview (one of its tables): ``rows`` names the ``Overview`` method."""

    rows = ""

    def get(self, request: Request, code: str) -> Response:
        read = dashboard_read(request, code)
        overview = selectors.overview_read(read.scope, read.filters, read.today, read.data_as_of)
        return Response(ArsGroupsSerializer(read.body(results=getattr(overview, self.rows)())).data)


def group_schema(operation_id: str, what: str):
    return extend_schema_view(get=extend_schema(
        operation_id=operation_id, description=what, parameters=[FilterParameters],
        responses={200: ArsGroupsSerializer, **ERRORS},
    ))


@group_schema("ars_departements_list", "The figures by département (the overview's table, bars and map), by code; "
                                       "only the départements with figures in the period.")
class DepartementsView(GroupView):
    rows = "departement_rows"


@group_schema("ars_professions_list", "The figures by profession (the overview's table), by name.")
class ProfessionsView(GroupView):
    rows = "profession_rows"


@group_schema("ars_establishment_types_list", "The figures by establishment type (the overview's table), by name.")
class EstablishmentTypesView(GroupView):
    rows = "type_rows"


class TrendView(ArsView):
    """The weekly trend (the overview's chart and its table): positions posted and filled per week."""

    @extend_schema(operation_id="ars_trend_list", parameters=[FilterParameters], responses={200: ArsTrendSerializer, **ERRORS})
    def get(self, request: Request, code: str) -> Response:
        read = dashboard_read(request, code)
        overview = selectors.overview_read(read.scope, read.filters, read.today, read.data_as_of)
        return Response(ArsTrendSerializer(read.body(results=overview.week_rows())).data)


RANKING_STEP = 100


class EstablishmentsView(ArsView):
    """The establishments ranked by fill rate, lowest first (the establishments page shows the first
    30: ``?limit=30``), paginated; every establishment with positions posted in the period."""

    @extend_schema(operation_id="ars_establishments_list", parameters=[PageParameters],
                   responses={200: ArsEstablishmentPageSerializer, **ERRORS})
    def get(self, request: Request, code: str) -> Response:
        read = dashboard_read(request, code)
        page = BoundedPagination()
        page.request, page.limit, page.offset = request, page.get_limit(request), page.get_offset(request)
        # The selector reads full figures only of the rows up to the page's end, as the page does;
        # that end rounded up to a hundred, so the pages a client may ask for share a few cache entries
        # instead of one per offset.
        end = -(-(page.offset + page.limit) // RANKING_STEP) * RANKING_STEP
        rows, page.count = selectors.lowest_establishments_read(
            read.scope, read.filters, read.today, read.data_as_of, limit=end
        )
        rows = rows[:page.offset + page.limit]
        body = read.body(count=page.count, next=page.get_next_link(), previous=page.get_previous_link(),
                         results=rows[page.offset:])
        return Response(ArsEstablishmentPageSerializer(body).data)


class ShortagesView(ArsView):
    """The shortages page: profession × département where open positions exceed the availability
    declared, over the future part of the period."""

    @extend_schema(operation_id="ars_shortages_list", parameters=[FilterParameters],
                   responses={200: ArsShortagesSerializer, **ERRORS})
    def get(self, request: Request, code: str) -> Response:
        read = dashboard_read(request, code)
        window = selectors.shortage_window(read.filters, read.today)
        rows = selectors.shortages_read(read.scope, read.filters, read.today, read.data_as_of)
        body = read.body(window={"start": window[0], "end": window[1]} if window else None, results=rows)
        return Response(ArsShortagesSerializer(body).data)


urlpatterns = [
    path("regions/", RegionsView.as_view(), name="ars-regions"),
    path("regions/<slug:code>/indicators/", IndicatorsView.as_view(), name="ars-indicators"),
    path("regions/<slug:code>/departements/", DepartementsView.as_view(), name="ars-departements"),
    path("regions/<slug:code>/professions/", ProfessionsView.as_view(), name="ars-professions"),
    path("regions/<slug:code>/establishment-types/", EstablishmentTypesView.as_view(), name="ars-establishment-types"),
    path("regions/<slug:code>/trend/", TrendView.as_view(), name="ars-trend"),
    path("regions/<slug:code>/establishments/", EstablishmentsView.as_view(), name="ars-establishments"),
    path("regions/<slug:code>/shortages/", ShortagesView.as_view(), name="ars-shortages"),
]
