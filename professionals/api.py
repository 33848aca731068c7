"""The professional's own side of the integration API (``/api/v1/``): the profile, the month of
availability, the credentials. The shifts open to a professional are in ``missions.platform.api_pro``
(they read offers and missions, which ``professionals`` never imports).

Each endpoint calls what the HTML page calls: ``professional_update`` (the profile page),
``availability_month_save`` and ``calendar_month`` (the calendar), ``credential_upload`` and
``my_credentials`` (the documents page). Serializers check shapes and types only; the services
decide (a past slot, a slot outside the month, an RCP insurance without its expiry date…) and their
refusals answer 400 naming the field (``ville_hopital.api_errors``).

Access: one's own profile (``professional_of``: ``Professional.objects.for_user``). Someone without a
professional profile (an establishment member, ARS staff) gets a 404 on the profile, the calendar
and an upload, as the pages answer them (``ville_hopital.mixins.role_required``), and empty lists.
A credential is read through ``Credential.objects.for_user(user, VIEW)``, as its download page: the
owner, and the members of an establishment with a mission with the professional.
"""

from __future__ import annotations

from datetime import date

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Civility
from establishments.selectors import blockable_establishments
from notifications.selectors import sms_choice_for
from professionals import calendar as cal
from professionals.models import (
    MISSIONS_PER_MONTH_MAX,
    MISSIONS_PER_MONTH_MIN,
    RADIUS_KM_MAX,
    RADIUS_KM_MIN,
    Credential,
    CredentialKind,
    Notice,
    Professional,
    Slot,
)
from professionals.selectors import (
    CalendarMonth,
    calendar_month,
    insurance_status,
    my_credentials,
    professional_of,
)
from professionals.services import availability_month_save, credential_upload, professional_update
from reference.models import Profession
from reference.skills import skill_queryset
from territories.models import Commune
from ville_hopital.access import VIEW
from ville_hopital.api_filters import StrictFilterSet
from ville_hopital.api_schema import ERROR_BODY
from ville_hopital.api_serializers import StrictSerializer
from ville_hopital.idempotency import idempotent
from ville_hopital.input_hygiene import LARGEST_INT

NO_PROFILE = OpenApiResponse(ERROR_BODY, description="Not found, or the account has no professional profile.")
#: The days of a month, each with its two slots: the most a month holds.
MAX_MONTH_SLOTS = 31 * len(cal.SLOT_CODES)


def my_profile(request: Request) -> Professional:
    """The requester's professional profile, or 404 (the pages' role gate)."""
    professional = professional_of(request.user)
    if professional is None:
        raise Http404(_("Aucun profil professionnel pour ce compte."))
    return professional


# --------------------------------------------------------------------------- profile


class InsuranceSerializer(serializers.Serializer):
    expires_on = serializers.DateField(allow_null=True, help_text="the latest RCP insurance's end of validity")
    expired = serializers.BooleanField()
    missing = serializers.BooleanField(help_text="no RCP insurance uploaded: no offers until one is")


class ProfileSerializer(serializers.ModelSerializer):
    """The profile as its page shows it, with the SMS choices kept by the notification settings."""

    civility = serializers.ChoiceField(choices=Civility.choices, source="user.civility")
    profession = serializers.CharField(source="profession_id", help_text="TRE_G15 code")
    profession_label = serializers.CharField(help_text="the profession as it names this person")
    skills = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True, help_text="skill codes")
    home_commune = serializers.CharField(source="home_commune_id", help_text="INSEE code")
    phone = serializers.CharField(source="sms.phone", help_text="the mobile number on the account (E.164), or empty")
    phone_verified = serializers.SerializerMethodField(help_text="a code sent by SMS confirmed this number")
    urgent_sms = serializers.BooleanField(source="sms.urgent_sms")
    night_sms = serializers.BooleanField(source="sms.night_sms")
    insurance = InsuranceSerializer()

    class Meta:
        model = Professional
        fields = ["id", "civility", "profession", "profession_label", "rpps", "adeli", "skills", "home_commune",
                  "radius_km", "max_missions_per_month", "min_notice_hours", "expected_hourly_rate",
                  "blocked_establishments", "phone", "phone_verified", "urgent_sms", "night_sms", "insurance"]
        read_only_fields = fields

    def get_phone_verified(self, professional: Professional) -> bool:
        return bool(professional.sms.number)


def profile_rendered(user, professional: Professional) -> dict:
    """The profile as read back from the database (its lists in two queries)."""
    professional = (
        Professional.objects.for_user(user, VIEW).select_related("user", "profession", "home_commune")
        .prefetch_related("skills", "blocked_establishments")
        .get(pk=professional.pk)
    )
    professional.sms = sms_choice_for(professional.user)
    professional.insurance = insurance_status(professional)
    return ProfileSerializer(professional).data


class ProfileUpdateSerializer(StrictSerializer):
    """What the profile form edits; only the fields sent change (``PATCH``)."""

    civility = serializers.ChoiceField(choices=Civility.choices, help_text="not_stated: the profession's own label")
    profession = serializers.PrimaryKeyRelatedField(queryset=Profession.objects.all(), help_text="TRE_G15 code")
    rpps = serializers.CharField(max_length=20, allow_blank=True, allow_null=True, help_text="11 digits")
    adeli = serializers.CharField(max_length=20, allow_blank=True, allow_null=True,
                                  help_text="9 digits, for the professions still on ADELI")
    skills = serializers.PrimaryKeyRelatedField(queryset=skill_queryset(), many=True, help_text="skill codes")
    home_commune = serializers.PrimaryKeyRelatedField(queryset=Commune.objects.all(), help_text="INSEE code")
    radius_km = serializers.IntegerField(min_value=RADIUS_KM_MIN, max_value=RADIUS_KM_MAX)
    max_missions_per_month = serializers.IntegerField(min_value=MISSIONS_PER_MONTH_MIN, max_value=MISSIONS_PER_MONTH_MAX)
    min_notice_hours = serializers.ChoiceField(choices=Notice.choices)
    expected_hourly_rate = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True,
                                                    help_text="euros per hour, excl. VAT")
    blocked_establishments = serializers.PrimaryKeyRelatedField(
        many=True, help_text="ids of establishments not to be offered shifts of",
        queryset=blockable_establishments(),
    )
    phone = serializers.CharField(max_length=30, allow_blank=True, help_text="a French mobile number")
    urgent_sms = serializers.BooleanField()
    night_sms = serializers.BooleanField()


class ProfileView(APIView):
    """My professional profile (``GET``), edited as on its page (``PATCH``, ``professional_update``):
    a change that would break an upcoming booked mission is refused, naming the field."""

    @extend_schema(operation_id="profile_retrieve", responses={200: ProfileSerializer, 404: NO_PROFILE})
    def get(self, request: Request) -> Response:
        return Response(profile_rendered(request.user, my_profile(request)))

    @extend_schema(operation_id="profile_partial_update", request=ProfileUpdateSerializer,
                   responses={200: ProfileSerializer, 404: NO_PROFILE})
    def patch(self, request: Request) -> Response:
        professional = my_profile(request)
        serializer = ProfileUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        professional_update(actor=request.user, professional=professional, **serializer.validated_data)
        return Response(profile_rendered(request.user, professional))


# --------------------------------------------------------------------------- availability


class AvailabilitySlotSerializer(StrictSerializer):
    day = serializers.DateField(help_text="a day of the month (YYYY-MM-DD)")
    slot = serializers.ChoiceField(choices=Slot.choices, help_text="D: day (08:00–20:00), N: night (20:00–08:00)")


class AvailabilityMonthReplaceSerializer(StrictSerializer):
    slots = AvailabilitySlotSerializer(many=True, max_length=MAX_MONTH_SLOTS,
                                       help_text="every slot the month is to hold; the others are removed")

    def validate_slots(self, slots: list[dict]) -> list[dict]:
        """A slot sent twice is refused at its second place, as a wrong item is: ``{"slots": {"1": {"day": ["…"]}}}``."""
        first: dict[tuple, int] = {}
        errors: dict[int, dict] = {}
        for index, item in enumerate(slots):
            earlier = first.setdefault((item["day"], item["slot"]), index)
            if earlier != index:
                errors[index] = {"day": [_("Ce créneau est déjà dans la liste (n° %(index)s).") % {"index": earlier}]}
        if errors:
            raise serializers.ValidationError(errors)
        return slots


class AvailabilityCellSerializer(serializers.Serializer):
    day = serializers.DateField()
    slot = serializers.ChoiceField(choices=Slot.choices)
    declared = serializers.BooleanField()
    past = serializers.BooleanField(help_text="started already: it stays as it is")
    missions = serializers.SerializerMethodField(help_text="ids of the booked missions on it: it stays as it is")

    def get_missions(self, cell) -> list[int]:
        return [mission.pk for mission in cell.missions]


class AvailabilityMonthSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    slots = serializers.SerializerMethodField(help_text="the declared slots (what a PUT sends back)")
    cells = serializers.SerializerMethodField(help_text="every slot of the month, as the calendar shows it")

    @staticmethod
    def _cells(month: CalendarMonth) -> list:
        return [cell for week in month.weeks for day in week if day for cell in day.slots]

    @extend_schema_field(AvailabilitySlotSerializer(many=True))
    def get_slots(self, month: CalendarMonth) -> list[dict]:
        return [{"day": cell.day, "slot": cell.slot} for cell in self._cells(month) if cell.declared]

    @extend_schema_field(AvailabilityCellSerializer(many=True))
    def get_cells(self, month: CalendarMonth) -> list[dict]:
        return AvailabilityCellSerializer(self._cells(month), many=True).data


class AvailabilityMonthReplacedSerializer(AvailabilityMonthSerializer):
    added = serializers.IntegerField(help_text="slots added by this request")
    removed = serializers.IntegerField(help_text="slots removed by this request")


MONTH_PARAMETERS = [
    OpenApiParameter("year", {"type": "integer", "minimum": cal.CALENDAR_FIRST_YEAR, "maximum": date.max.year},
                     OpenApiParameter.PATH, description="from 2000; the calendar goes 12 months ahead"),
    OpenApiParameter("month", {"type": "integer", "minimum": 1, "maximum": 12}, OpenApiParameter.PATH),
]
MONTH_NOT_FOUND = OpenApiResponse(ERROR_BODY, description="No such month in the calendar (before 2000, more than "
                                                          "12 months ahead), or no professional profile.")


def _month(request: Request, year: int, month: int) -> Professional:
    professional = my_profile(request)
    if cal.months_ahead(year, month, today=timezone.localdate()) is None:
        raise Http404(_("Ce mois n'est pas dans le calendrier."))
    return professional


class AvailabilityMonthView(APIView):
    """A month of my availability: read it (``GET``, what the calendar shows), or replace it in one
    request (``PUT``, as the calendar's save: ``availability_month_save``). Past slots and booked
    ones stay as they are; a new slot in the past, or outside the month, is refused and nothing is
    written."""

    @extend_schema(operation_id="availability_month_retrieve", parameters=MONTH_PARAMETERS,
                   responses={200: AvailabilityMonthSerializer, 404: MONTH_NOT_FOUND})
    def get(self, request: Request, year: int, month: int) -> Response:
        professional = _month(request, year, month)
        return Response(AvailabilityMonthSerializer(calendar_month(professional, year, month)).data)

    @extend_schema(operation_id="availability_month_replace", parameters=MONTH_PARAMETERS,
                   request=AvailabilityMonthReplaceSerializer,
                   responses={200: AvailabilityMonthReplacedSerializer, 404: MONTH_NOT_FOUND})
    def put(self, request: Request, year: int, month: int) -> Response:
        professional = _month(request, year, month)
        serializer = AvailabilityMonthReplaceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        added, removed = availability_month_save(
            actor=request.user, professional=professional, year=year, month=month,
            slots={(item["day"], item["slot"]) for item in serializer.validated_data["slots"]},
        )
        data = AvailabilityMonthSerializer(calendar_month(professional, year, month)).data
        return Response({**data, "added": added, "removed": removed})


# --------------------------------------------------------------------------- credentials


class CredentialSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=CredentialKind.choices, read_only=True)
    name = serializers.CharField(source="original_name", read_only=True, help_text="the file's name as sent")
    download = serializers.SerializerMethodField(help_text="the file (a signed-in page, with the session or token)")

    class Meta:
        model = Credential
        fields = ["id", "kind", "name", "content_type", "size", "expires_on", "uploaded_at", "download"]
        read_only_fields = fields

    def get_download(self, credential: Credential) -> str:
        return reverse("professionals:credential_download", args=[credential.pk])


class CredentialUploadSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=CredentialKind.choices)
    file = serializers.FileField(help_text="PDF, JPEG or PNG (read from its content), 10 MB at most")
    expires_on = serializers.DateField(required=False, allow_null=True,
                                       help_text="end of validity: required for the RCP insurance")


class CredentialFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(choices=CredentialKind.choices)

    class Meta:
        model = Credential
        fields: list[str] = []


@extend_schema_view(get=extend_schema(operation_id="credentials_list"))
class CredentialListCreateView(generics.ListAPIView):
    """My documents (diplomas, RCP insurance, others), by kind then newest first; ``POST`` uploads one,
    as the documents page (``credential_upload``: type read from the content, 10 MB, the insurance's
    expiry date). The same file sent again within 10 minutes returns the first document."""

    serializer_class = CredentialSerializer
    filterset_class = CredentialFilter
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return my_credentials(user=self.request.user)

    @extend_schema(operation_id="credentials_create", request=CredentialUploadSerializer,
                   responses={201: CredentialSerializer, 404: NO_PROFILE})
    @idempotent
    def post(self, request: Request) -> Response:
        professional = my_profile(request)
        serializer = CredentialUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credential = credential_upload(actor=request.user, professional=professional, **serializer.validated_data)
        return Response(CredentialSerializer(credential).data, status=201)


@extend_schema_view(get=extend_schema(operation_id="credentials_retrieve"))
class CredentialDetailView(generics.RetrieveAPIView):
    """One document: mine, or a professional's with whom my establishment has a mission (as its download)."""

    serializer_class = CredentialSerializer

    def get_object(self) -> Credential:
        pk = self.kwargs["pk"]
        if not 1 <= pk <= LARGEST_INT:
            raise Http404
        return get_object_or_404(Credential.objects.for_user(self.request.user, VIEW), pk=pk)


urlpatterns = [
    path("profile/", ProfileView.as_view(), name="profile"),
    path("availability/<int:year>/<int:month>/", AvailabilityMonthView.as_view(), name="availability-month"),
    path("credentials/", CredentialListCreateView.as_view(), name="credential-list"),
    path("credentials/<int:pk>/", CredentialDetailView.as_view(), name="credential-detail"),
]
