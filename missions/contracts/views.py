"""Contract pages: the lists ("Mes contrats", one list per establishment), a contract's page, the
PDF download and the signature. Thin: look up through ``Contract.objects.for_user(user, VIEW)``
(else 404), call a service, render.

Actions (sign, cancel, new version) also fetch with ``VIEW``, not ``CHANGE``: a viewer member and
platform staff may read the contract, and the service's refusal tells them why they may not act
(a viewer: a 403 naming the role needed; staff may cancel) instead of a 404 on a page they see."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from missions.contracts.downloads import contract_document_response
from missions.contracts.forms import ContractReasonForm, ContractSignForm
from missions.contracts.models import Contract
from missions.contracts.selectors import (
    MY_CONTRACTS,
    contract_file_intact,
    contract_scopes,
    contracts_by_week,
    contracts_in_scope,
    contracts_with_details,
    signing_position,
)
from missions.contracts.services import contract_cancel as contract_cancel_service
from missions.contracts.services import contract_new_version as contract_new_version_service
from missions.contracts.services import contract_sign as contract_sign_service
from ville_hopital.access import VIEW
from ville_hopital.forms import apply_service_errors
from ville_hopital.list_pages import list_page
from ville_hopital.mixins import is_professional
from ville_hopital.proxies import client_ip
from ville_hopital.reauthentication import (
    reauthentication_redirect,
    reauthentication_url,
    second_factor_again_needed,
)

#: Contracts a page: a phone scrolls through them, the pager close by.
PAGE_SIZE = 25


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    """One list at a time (``?liste=``: « Mes contrats », an establishment, all of them), by week."""
    user = request.user
    scopes = contract_scopes(user, professional=is_professional(user))
    chosen = request.GET.get("liste", "")
    scope = next((s for s in scopes if s.key == chosen), scopes[0] if scopes else None)  # unknown: the default
    page = list_page(contracts_in_scope(user, scope) if scope else [], number=request.GET.get("page"),
                     per_page=PAGE_SIZE)
    return render(request, "contracts/list.html", {
        "scopes": scopes,
        "scope": scope,
        "mine": scope is not None and scope.key == MY_CONTRACTS,
        "several_sites": scope is not None and len(scope.establishments) > 1,  # the table names each one's
        "page": page,
        "weeks": contracts_by_week(page),
    })


def _detail(
    request: HttpRequest, contract: Contract, form: ContractSignForm, status: int = 200,
    cancel_form: ContractReasonForm | None = None, version_form: ContractReasonForm | None = None,
) -> HttpResponse:
    versions = contract.mission.contracts.order_by("version")
    position = signing_position(request.user, contract)
    # Who signs with a second factor must have used it within the last minutes (allauth's
    # re-authentication): past that, the page offers to confirm it instead of the signing form.
    confirm_url = (
        reauthentication_url(request, reverse("missions:contract_detail", args=[contract.pk]))
        if position.may_sign and second_factor_again_needed(request) else None
    )
    return render(request, "contracts/detail.html", {
        "contract": contract,
        "mission": contract.mission,
        "signatures": contract.signatures.all(),
        "position": position,
        "reauthenticate_to_sign_url": confirm_url,
        "intact": contract_file_intact(contract),
        "final_intact": contract_file_intact(contract, final=True) if contract.final_pdf else None,
        "versions": versions,
        "form": form,
        "cancel_form": cancel_form or ContractReasonForm(prefix="cancel"),
        "version_form": version_form or ContractReasonForm(prefix="version"),
    }, status=status)


def _contracts(request: HttpRequest) -> QuerySet[Contract]:
    return contracts_with_details(Contract.objects.for_user(request.user, VIEW))


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(_contracts(request), pk=pk)
    return _detail(request, contract, ContractSignForm())


@login_required
def contract_download(request: HttpRequest, pk: int) -> FileResponse:
    """``?document=final`` (the signed PDF with its signature page) or ``original``; by default the
    final one once it exists."""
    contract = get_object_or_404(Contract.objects.for_user(request.user, VIEW), pk=pk)
    return contract_document_response(request, contract, request.GET.get("document", ""))


@login_required
@require_POST
def contract_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """A party re-enters their password to sign. Non-parties get a 404, a viewer member a 403.

    A signer with a second factor who has not used it recently is first sent to confirm it (allauth's
    re-authentication), then back to the contract's page: what was posted is not kept (a password)."""
    contract = get_object_or_404(_contracts(request), pk=pk)
    if signing_position(request.user, contract).may_sign and second_factor_again_needed(request):
        messages.info(request, _("Confirmez d'abord votre identité avec votre second facteur, puis signez."))
        return reauthentication_redirect(request, reverse("missions:contract_detail", args=[contract.pk]))
    form = ContractSignForm(request.POST)
    if form.is_valid():
        try:
            contract_sign_service(
                actor=request.user, contract=contract, password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Contrat signé. Merci."))
            return redirect("missions:contract_detail", pk=contract.pk)
    contract = get_object_or_404(_contracts(request), pk=pk)  # unchanged, freshly read
    return _detail(request, contract, form, status=400)


def _reason_action(request: HttpRequest, pk: int, *, prefix: str, service, done: str) -> HttpResponse:
    contract = get_object_or_404(_contracts(request), pk=pk)
    form = ContractReasonForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            result = service(actor=request.user, contract=contract, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("missions:contract_detail", pk=result.pk)
    contract = get_object_or_404(_contracts(request), pk=pk)
    return _detail(request, contract, ContractSignForm(), status=400, **{f"{prefix}_form": form})


@login_required
@require_POST
def contract_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """A party (professional, admin/HR member) cancels with a reason; a viewer gets a 403."""
    return _reason_action(request, pk, prefix="cancel", service=contract_cancel_service, done=_("Contrat annulé."))


@login_required
@require_POST
def contract_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin/HR member re-drafts the contract from the mission as it is now, with a reason."""
    return _reason_action(
        request, pk, prefix="version", service=contract_new_version_service,
        done=_("Nouvelle version établie : elle doit être signée par les deux parties."),
    )
