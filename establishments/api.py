"""The establishment side of the integration API (``/api/v1/``): establishments, units, and the
postings of shifts (bulk, recurring, JSON import). The shift collection, one shift, its board status
and the actions on it are in ``missions.booking.api_hr`` (they read missions and offers), the offer
to a named professional in ``missions.platform.api_hr``.

Access: reads through ``for_user(user, VIEW)``; writes through ``for_user(user, CHANGE)``: a row the
user cannot see is a 404, as a sister site's shared shift they see but may not change; a viewer
member's write is a 403 (``establishments.access``: the gates of the HTML pages). A posting names its unit in
its body: a unit the user cannot see is a 400 naming ``unit`` (the same as one that does not exist),
a unit of a site where they are a viewer a 403.

Serializers check shapes and types only; the services of the HTML pages decide (``shift_post``,
``shift_series_post``, the CSV import's ``shifts_import_rows`` and ``shifts_post_bulk``, all through
``shift_validate``: dates in the past, the pay cap, the contract route…).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from establishments.access import establishment_or_404
from establishments.csv_import import (
    COLUMNS,
    MAX_BULK_SHIFTS,
    MAX_LINES,
    RowsRefused,
    shifts_import_rows,
    shifts_post_bulk,
)
from establishments.models import Establishment, Shift, ShiftState, Unit
from establishments.services import (
    MAX_SERIES_WEEKS,
    SHIFT_TEMPLATES,
    ShiftSpec,
    shift_series_post,
    unit_create,
)
from reference.models import Profession, Skill
from territories.models import Commune
from ville_hopital.access import CHANGE, VIEW
from ville_hopital.api_filters import BooleanWordFilter, DateTimeFilter, IdFilter, StrictFilterSet
from ville_hopital.api_schema import ERROR_BODY
from ville_hopital.api_serializers import StrictSerializer
from ville_hopital.idempotency import idempotent
from ville_hopital.input_hygiene import LARGEST_INT

FORBIDDEN_WRITE = OpenApiResponse(ERROR_BODY, description="You may see this establishment but not change it (a viewer).")

# --------------------------------------------------------------------------- establishments and units


class EstablishmentSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="type_id", read_only=True)
    commune = serializers.CharField(source="commune_id", read_only=True, help_text="INSEE code")

    class Meta:
        model = Establishment
        fields = ["id", "name", "finess_geo", "finess_legal", "type", "commune", "address", "status"]


@extend_schema_view(get=extend_schema(operation_id="establishments_list"))
class EstablishmentListView(generics.ListAPIView):
    """The establishments I am a member of (any role)."""

    serializer_class = EstablishmentSerializer

    def get_queryset(self):
        return Establishment.objects.for_user(self.request.user, VIEW).order_by("name", "pk")


@extend_schema_view(get=extend_schema(operation_id="establishments_retrieve"))
class EstablishmentDetailView(generics.RetrieveAPIView):
    serializer_class = EstablishmentSerializer

    def get_queryset(self):
        return Establishment.objects.for_user(self.request.user, VIEW)


class UnitSerializer(serializers.ModelSerializer):
    specialty = serializers.CharField(source="specialty_id", read_only=True, allow_null=True, help_text="skill code")

    class Meta:
        model = Unit
        fields = ["id", "establishment", "name", "specialty", "where_to_go", "contact", "parking",
                  "patient_record_access"]


class UnitCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=120)
    specialty = serializers.SlugRelatedField(slug_field="code", queryset=Skill.objects.all(), required=False,
                                             allow_null=True, help_text="skill code (e.g. SI07)")
    where_to_go = serializers.CharField(required=False, allow_blank=True, default="")
    contact = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    parking = serializers.CharField(required=False, allow_blank=True, default="")
    patient_record_access = serializers.CharField(required=False, allow_blank=True, default="")


class UnitListCreateView(generics.ListAPIView):
    """An establishment's units (members); ``POST`` adds one (admin, HR; a viewer: 403)."""

    serializer_class = UnitSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation: no request, no path
            return Unit.objects.none()
        establishment = get_object_or_404(Establishment.objects.for_user(self.request.user, VIEW), pk=self.kwargs["pk"])
        return Unit.objects.for_user(self.request.user, VIEW).filter(establishment=establishment).order_by("name", "pk")

    @extend_schema(operation_id="units_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="units_create", request=UnitCreateSerializer,
                   responses={201: UnitSerializer, 403: FORBIDDEN_WRITE})
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        establishment = establishment_or_404(request.user, pk, CHANGE)
        serializer = UnitCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = unit_create(actor=request.user, establishment=establishment, **serializer.validated_data)
        return Response(UnitSerializer(unit).data, status=201)


# --------------------------------------------------------------------------- shifts: what is rendered


class UrgentField(serializers.BooleanField):
    """A shift's urgency now (``Shift.is_urgent``: the one definition), read only."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, help_text="flagged urgent, or starting within 48 hours", **kwargs)

    def to_representation(self, shift: Shift) -> bool:
        return shift.is_urgent()


class ShiftSerializer(serializers.ModelSerializer):
    """A shift as posted (``missions.booking.api_hr`` adds its board status)."""

    profession = serializers.CharField(source="profession_id", read_only=True, help_text="TRE_G15 code")
    required_skills = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    location = serializers.CharField(source="location_id", read_only=True, help_text="INSEE code")
    urgent = UrgentField()

    class Meta:
        model = Shift
        fields = ["id", "establishment", "unit", "profession", "required_skills", "starts_at", "ends_at", "positions",
                  "urgent", "urgency", "pay", "pay_cap", "contract_route", "location", "shared_with_legal_entity",
                  "state", "cancel_reason", "series", "created_at"]
        read_only_fields = fields


def shifts_rendered(user, ids: Sequence[int]) -> list[dict]:
    """Shifts just written, rendered in a constant number of queries (whatever their number)."""
    shifts = (Shift.objects.for_user(user, VIEW).filter(pk__in=ids).prefetch_related("required_skills")
              .order_by("starts_at", "pk"))
    return ShiftSerializer(shifts, many=True).data


# --------------------------------------------------------------------------- shifts: what is posted


@extend_schema_field({"type": "string", "pattern": r"^-?[0-9]{1,7}(\.[0-9]{1,2})?$", "example": "612.50"})
class MoneyField(serializers.DecimalField):
    """An amount in euros as a decimal string (a JSON number is read too)."""


class ShiftFieldsSerializer(StrictSerializer):
    """What a posting says, whatever its dates (one-off, bulk, recurring)."""

    unit = serializers.IntegerField(min_value=1, max_value=LARGEST_INT, help_text="a unit of one of my establishments")
    profession = serializers.CharField(max_length=8, help_text="TRE_G15 code (60) or short name (IDE)")
    required_skills = serializers.ListField(child=serializers.CharField(max_length=8), required=False, default=list,
                                            max_length=50, help_text="skill codes")
    positions = serializers.IntegerField()
    urgency = serializers.IntegerField(required=False, default=3)
    urgent = serializers.BooleanField(required=False, default=False)
    pay = MoneyField(max_digits=9, decimal_places=2, help_text="euros per position, excl. VAT (\"612.50\")")
    location = serializers.CharField(required=False, allow_null=True, default=None, max_length=5,
                                     help_text="INSEE code of where a mobile unit parks that day")
    shared_with_legal_entity = serializers.BooleanField(required=False, default=False)


class ShiftCreateSerializer(ShiftFieldsSerializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class ShiftBulkSerializer(StrictSerializer):
    shifts = serializers.ListField(child=ShiftCreateSerializer(), min_length=1, max_length=MAX_BULK_SHIFTS)


class BulkCreatedSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="the new shifts' ids, in the rows' order")


class ShiftReferences:
    """What the postings of one request name (units, professions, skills, communes), loaded in a
    constant number of queries; a name that is unknown, or a unit that is not visible, is an error
    of its field."""

    def __init__(self, user, rows: Sequence[dict]) -> None:
        self.user = user
        self.units = {
            unit.pk: unit for unit in Unit.objects.for_user(user, VIEW)
            .filter(pk__in={row["unit"] for row in rows})
            .select_related("establishment__type", "establishment__commune__region")
        }
        changeable = Unit.objects.for_user(user, CHANGE).filter(pk__in=list(self.units)).values_list("pk", flat=True)
        if set(self.units) - set(changeable):
            raise PermissionDenied(_("Votre rôle dans cet établissement ne permet pas de publier de vacation "
                                     "(vous pouvez seulement consulter)."))
        professions = list(Profession.objects.all())
        self.professions = {p.code: p for p in professions} | {p.short.upper(): p for p in professions}
        self.skills = {s.code.upper(): s for s in Skill.objects.filter(code__in={
            code.upper() for row in rows for code in row["required_skills"]})}
        self.communes = {c.pk: c for c in Commune.objects.select_related("region").filter(
            code_insee__in={row["location"] for row in rows if row["location"]})}

    def spec(self, row: dict) -> ShiftSpec:
        """``row`` (validated by ``ShiftFieldsSerializer``) as a ``ShiftSpec``, or a ``ValidationError``."""
        errors: dict[str, list[str]] = {}
        unit = self.units.get(row["unit"])
        if unit is None:
            errors["unit"] = [_("Unité inconnue dans vos établissements.")]
        profession = self.professions.get(row["profession"].strip().upper())
        if profession is None:
            errors["profession"] = [_("Profession « %(value)s » inconnue.") % {"value": row["profession"]}]
        unknown = [code for code in row["required_skills"] if code.upper() not in self.skills]
        if unknown:
            errors["required_skills"] = [_("Compétence « %(value)s » inconnue.") % {"value": code} for code in unknown]
        location = self.communes.get(row["location"]) if row["location"] else None
        if row["location"] and location is None:
            errors["location"] = [_("Commune « %(value)s » inconnue (code INSEE).") % {"value": row["location"]}]
        if errors:
            raise ValidationError(errors)
        return ShiftSpec(
            unit=unit, profession=profession, required_skills=[self.skills[c.upper()] for c in row["required_skills"]],
            positions=row["positions"], urgency=row["urgency"], urgent=row["urgent"], pay=row["pay"],
            location=location, shared_with_legal_entity=row["shared_with_legal_entity"],
        )


def posted_spec(request: Request) -> tuple[ShiftSpec, datetime, datetime]:
    """The one-off posting of ``request`` (``POST /shifts/``, in ``missions.booking.api_hr``)."""
    serializer = ShiftCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    row = serializer.validated_data
    return ShiftReferences(request.user, [row]).spec(row), row["starts_at"], row["ends_at"]


def _field_name(name: str) -> str:
    return api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name


class ShiftBulkCreateView(APIView):
    """Post up to 1,000 shifts at once (a JSON list, or ``{"shifts": [...]}``), all or nothing: each checked as the posting form checks one
    (the CSV import's path), written together. A wrong shift is named by its index and field:
    ``{"shifts": {"12": {"pay": ["…"]}}}``; nothing is written."""

    @extend_schema(operation_id="shifts_bulk_create", request=ShiftBulkSerializer,
                   responses={201: BulkCreatedSerializer, 403: FORBIDDEN_WRITE})
    @idempotent
    def post(self, request: Request) -> Response:
        # The plan's bare JSON list, or {"shifts": [...]}; too many are refused before any is read.
        data = {"shifts": request.data} if isinstance(request.data, list) else request.data
        if isinstance(data, dict) and isinstance(data.get("shifts"), list) and len(data["shifts"]) > MAX_BULK_SHIFTS:
            raise ValidationError({"shifts": [_("Au plus %(max)s vacations par envoi.") % {"max": MAX_BULK_SHIFTS}]})
        serializer = ShiftBulkSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        rows = serializer.validated_data["shifts"]
        references = ShiftReferences(request.user, rows)
        lines, refused = [], {}
        for index, row in enumerate(rows):
            try:
                lines.append((references.spec(row), row["starts_at"], row["ends_at"]))
            except ValidationError as error:
                refused[str(index)] = error.detail
        if refused:
            raise ValidationError({"shifts": refused})
        try:
            shifts = shifts_post_bulk(actor=request.user, lines=lines)
        except RowsRefused as error:
            raise ValidationError({"shifts": {
                str(index): {_field_name(name): messages for name, messages in fields.items()}
                for index, fields in error.rows.items()
            }}) from None
        # The ids, in the order of the rows (row i is ids[i]): rendering 1,000 shifts took longer than
        # posting them; ``GET /shifts/?…`` reads them back.
        return Response({"created": len(shifts), "ids": [shift.pk for shift in shifts]}, status=201)


class ShiftSeriesSerializer(ShiftFieldsSerializer):
    first_day = serializers.DateField()
    weekdays = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=7,
                                     help_text="0 = Monday … 6 = Sunday")
    weeks = serializers.IntegerField(help_text=f"1 to {MAX_SERIES_WEEKS}")
    template = serializers.ChoiceField(choices=[*SHIFT_TEMPLATES, "custom"], required=False, default="custom",
                                       help_text="day (08:00–20:00), night (20:00–08:00) or custom (start, end)")
    start = serializers.TimeField(required=False, help_text="Paris time; with template custom")
    end = serializers.TimeField(required=False, help_text="Paris time; an end before the start is the next day")

    def validate(self, data: dict) -> dict:
        if data["template"] in SHIFT_TEMPLATES:
            data["start"], data["end"] = SHIFT_TEMPLATES[data["template"]]
        missing = {name: [_("Indiquez l'heure (ou un modèle : day, night).")] for name in ("start", "end")
                   if data.get(name) is None}
        if missing:
            raise ValidationError(missing)
        return data


class SeriesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rule = serializers.CharField()
    shifts = ShiftSerializer(many=True)


class ShiftSeriesCreateView(APIView):
    """A recurring posting (e.g. every Saturday night for 8 weeks), as the recurring form: all its
    shifts or none; an error on one date names the date."""

    @extend_schema(operation_id="shifts_series_create", request=ShiftSeriesSerializer,
                   responses={201: SeriesSerializer, 403: FORBIDDEN_WRITE})
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = ShiftSeriesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        spec = ShiftReferences(request.user, [data]).spec(data)
        series = shift_series_post(actor=request.user, spec=spec, first_day=data["first_day"],
                                   weekdays=data["weekdays"], weeks=data["weeks"], start=data["start"], end=data["end"])
        shifts = shifts_rendered(request.user, list(series.shifts.values_list("pk", flat=True)))
        return Response({"id": series.pk, "rule": series.rule, "shifts": shifts}, status=201)


class ShiftImportSerializer(StrictSerializer):
    establishment = serializers.IntegerField(min_value=1, max_value=LARGEST_INT)
    rows = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True, trim_whitespace=False)),
        max_length=MAX_LINES,
        help_text="each row maps the CSV import's columns (" + ", ".join(COLUMNS) + ") to their text",
    )


class ImportReportSerializer(serializers.Serializer):
    lines = serializers.IntegerField()
    created = serializers.IntegerField()
    already_imported = serializers.IntegerField(help_text="rows whose shift already existed: not written again")
    shift_ids = serializers.ListField(child=serializers.IntegerField())


class ShiftImportView(APIView):
    """The CSV import, with the rows in JSON (the same columns, the same text, the same checks; see
    docs/csv-import.md): all or nothing; a row whose shift already exists is counted, not written again.
    Refused: 400 ``{"rows": {"<index>": {"<column>": ["…"]}}}`` (``non_field_errors`` for the whole)."""

    @extend_schema(operation_id="shifts_import", request=ShiftImportSerializer,
                   responses={201: ImportReportSerializer, 403: FORBIDDEN_WRITE})
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = ShiftImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pk = serializer.validated_data["establishment"]
        if not Establishment.objects.for_user(request.user, VIEW).filter(pk=pk).exists():
            # Named in the body, as a posting's unit: one the user cannot see is a field error, not a 404.
            raise ValidationError({"establishment": [_("Établissement inconnu parmi les vôtres.")]})
        establishment = establishment_or_404(request.user, pk, CHANGE)
        report = shifts_import_rows(actor=request.user, establishment=establishment,
                                    rows=serializer.validated_data["rows"])
        if not report.ok:
            rows: dict[str, dict[str, list[str]]] = {}
            whole = []
            for error in report.errors:
                if error.column or error.line:
                    rows.setdefault(str(error.line), {}).setdefault(error.column or api_settings.NON_FIELD_ERRORS_KEY,
                                                                    []).append(error.message)
                else:
                    whole.append(error.message)
            raise ValidationError({"rows": rows, **({api_settings.NON_FIELD_ERRORS_KEY: whole} if whole else {})})
        return Response(ImportReportSerializer(report).data, status=201)


# --------------------------------------------------------------------------- the list's filters


class ShiftFilter(StrictFilterSet):
    establishment = IdFilter(field_name="establishment_id")
    unit = IdFilter(field_name="unit_id")
    profession = filters.CharFilter(field_name="profession_id", help_text="TRE_G15 code")
    state = filters.ChoiceFilter(choices=ShiftState.choices)
    starts_after = DateTimeFilter(field_name="starts_at", lookup_expr="gte", help_text="ISO 8601, with its offset")
    starts_before = DateTimeFilter(field_name="starts_at", lookup_expr="lt", help_text="ISO 8601, with its offset")
    urgent = BooleanWordFilter(method="filter_urgent", help_text="urgent now (flagged, or within 48 hours)")

    class Meta:
        model = Shift
        fields: list[str] = []

    def filter_urgent(self, queryset, name: str, value: str):
        urgent = Shift.objects.urgent().values("pk")
        return queryset.filter(pk__in=urgent) if BooleanWordFilter.is_true(value) else queryset.exclude(pk__in=urgent)


urlpatterns = [
    path("establishments/", EstablishmentListView.as_view(), name="establishment-list"),
    path("establishments/<int:pk>/", EstablishmentDetailView.as_view(), name="establishment-detail"),
    path("establishments/<int:pk>/units/", UnitListCreateView.as_view(), name="establishment-units"),
    path("shifts/bulk/", ShiftBulkCreateView.as_view(), name="shift-bulk"),
    path("shifts/series/", ShiftSeriesCreateView.as_view(), name="shift-series"),
    path("shifts/import/", ShiftImportView.as_view(), name="shift-import"),
]
