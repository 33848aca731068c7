"""Contracts as both parties read them (``/api/v1/contracts/``): the list (every version), one
contract, and its PDF.

Reads: ``Contract.objects.for_user(user, VIEW)`` (``selectors.contracts_visible``): the mission's
professional, the members of the shift's establishment and, as on the pages, platform staff;
"missing" and "not yours" are one 404. The PDF is the stored document, as the contract's page
downloads it (``contract_download_record`` audits each download): the signed one with its signature
page once both parties signed (``document=final``), else the original (``document=original``).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from missions.contracts.downloads import contract_document_response
from missions.contracts.models import Contract, ContractState
from missions.contracts.selectors import CONTRACT_DOCUMENTS, contracts_visible
from ville_hopital.access import VIEW
from ville_hopital.api_filters import IdFilter, StrictFilterSet
from ville_hopital.api_serializers import StrictSerializer


class ContractSerializer(serializers.ModelSerializer):
    shift = serializers.IntegerField(source="mission.shift_id", read_only=True)
    establishment = serializers.IntegerField(source="mission.shift.establishment_id", read_only=True)
    establishment_name = serializers.CharField(source="mission.shift.establishment.name", read_only=True)
    professional = serializers.IntegerField(source="mission.professional_id", read_only=True)
    professional_rpps = serializers.CharField(source="mission.professional.rpps", read_only=True, allow_null=True)
    professional_name = serializers.CharField(source="mission.professional.user.get_full_name", read_only=True)
    starts_at = serializers.DateTimeField(source="mission.starts_at", read_only=True)
    ends_at = serializers.DateTimeField(source="mission.ends_at", read_only=True)
    pay = serializers.DecimalField(source="mission.pay", max_digits=9, decimal_places=2, read_only=True,
                                   help_text="euros, excl. VAT")
    signed_document = serializers.SerializerMethodField(
        help_text="whether the signed PDF (with its signature page) exists: ``pdf/?document=final``")

    class Meta:
        model = Contract
        fields = ["id", "mission", "version", "state", "route", "shift", "establishment", "establishment_name",
                  "professional", "professional_rpps", "professional_name", "starts_at", "ends_at", "pay",
                  "created_at", "signed_at", "completed_at", "cancelled_at", "cancel_reason", "sha256",
                  "signed_document"]
        read_only_fields = fields

    def get_signed_document(self, contract: Contract) -> bool:
        return bool(contract.final_pdf)


class ContractFilter(StrictFilterSet):
    state = filters.ChoiceFilter(choices=ContractState.choices)
    mission = IdFilter(field_name="mission_id")
    establishment = IdFilter(field_name="mission__shift__establishment_id")

    class Meta:
        model = Contract
        fields: list[str] = []


@extend_schema_view(get=extend_schema(operation_id="contracts_list"))
class ContractListView(generics.ListAPIView):
    """My contracts (a professional) and my establishments' (a member), every version, by the
    mission's start."""

    serializer_class = ContractSerializer
    filterset_class = ContractFilter

    def get_queryset(self) -> QuerySet[Contract]:
        return contracts_visible(self.request.user)


@extend_schema_view(get=extend_schema(operation_id="contracts_retrieve"))
class ContractDetailView(generics.RetrieveAPIView):
    serializer_class = ContractSerializer

    def get_queryset(self) -> QuerySet[Contract]:
        return contracts_visible(self.request.user)


class ContractPdfQuerySerializer(StrictSerializer):
    document = serializers.ChoiceField(choices=CONTRACT_DOCUMENTS, required=False,
                                       help_text="final (signed by both, with the signature page; the default once "
                                                 "it exists) or original")


class PdfWhateverAccepted(BaseContentNegotiation):
    """The document is a PDF whatever the client accepts; an error is JSON (the first renderer)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ContractPdfView(APIView):
    content_negotiation_class = PdfWhateverAccepted

    @extend_schema(operation_id="contracts_pdf", parameters=[ContractPdfQuerySerializer],
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY},
                   description="The contract's PDF: a file (a generated client: see docs/api.md on "
                               "``content_type_overrides``). ``document=final`` before both parties "
                               "signed: 404.")
    def get(self, request: Request, pk: int) -> FileResponse:
        contract = get_object_or_404(Contract.objects.for_user(request.user, VIEW), pk=pk)
        query = ContractPdfQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        return contract_document_response(request, contract, query.validated_data.get("document", ""))

urlpatterns = [
    path("contracts/", ContractListView.as_view(), name="contract-list"),
    path("contracts/<int:pk>/", ContractDetailView.as_view(), name="contract-detail"),
    path("contracts/<int:pk>/pdf/", ContractPdfView.as_view(), name="contract-pdf"),
]
