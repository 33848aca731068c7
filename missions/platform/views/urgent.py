"""Acting on a shift that is not filled: HR's page for one shift (live status of its offers, offer it to
a named professional, raise the pay, flag it urgent, confirm a candidacy) and the professional's page
for taking an urgent position or offering themselves for a later one.

Thin: parse, call one service of ``missions.platform.services.urgent``, say what happened. A refused action
writes nothing and says why (the rule's message, or the legal calculation of the pay cap).

HR's page reads the shift as the user may *view* it; every action takes it (or the candidacy) as
``for_user(user, CHANGE)`` has it (``establishments.access.row_to_change_or_404``): a sister site's
shared shift is a 404 to act on, a viewer's action a 403 before its form is read.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from establishments.access import establishment_allows, is_establishment_member, row_to_change_or_404
from establishments.models import Shift, ShiftState
from missions.booking.selectors import shifts_visible_to_professional
from missions.booking.selectors_hr import UNFILLED, BoardStatus, set_next_wave, shift_for_hr
from missions.core.models import Proposal, ProposalSource
from missions.platform.forms import ShiftOfferForm, ShiftPayRaiseForm
from missions.platform.selectors_urgent import (
    offer_candidate,
    offer_candidates,
    pending_candidacies,
    take_status,
)
from missions.platform.services.urgent import (
    candidacy_confirm,
    shift_apply,
    shift_flag_urgent,
    shift_offer_to,
    shift_pay_raise,
    shift_take,
)
from professionals.selectors import set_directory_checks
from ville_hopital.access import CHANGE
from ville_hopital.forms import form_error_text, service_error_text
from ville_hopital.mixins import is_professional, role_required

# --------------------------------------------------------------------------------------------
# HR
# --------------------------------------------------------------------------------------------


def _hr_shift(request: HttpRequest, pk: int) -> Shift:
    return get_object_or_404(shift_for_hr(user=request.user, now=timezone.now()), pk=pk)


def _shift_to_change(request: HttpRequest, pk: int) -> Shift:
    """A shift the user may change (``for_user(user, CHANGE)``): a sister site's shared shift is a
    404, a viewer's write a 403 whatever its body, checked before the form is read (the services
    check the role again)."""
    return row_to_change_or_404(shift_for_hr(user=request.user, now=timezone.now()), request.user, pk,
                                establishment="establishment_id")


@role_required(is_establishment_member)
def shift_act(request: HttpRequest, pk: int) -> HttpResponse:
    """One shift for HR: its live status, and what can be done while a position is open."""
    now = timezone.now()
    shift = _hr_shift(request, pk)
    set_next_wave([shift], now=now)
    query = request.GET.get("q", "").strip()[:100]
    candidates = offer_candidates(shift=shift, query=query, now=now) if query else None
    candidacies = list(pending_candidacies(shift=shift, now=now))
    set_directory_checks([c.professional for c in candidates or []] + [p.professional for p in candidacies])
    return render(request, "missions/hr/shift_act.html", {
        "shift": shift,
        "now": now,
        "status_label": BoardStatus.labels[shift.board_status],
        "open": shift.board_status in UNFILLED and shift.state == ShiftState.PUBLISHED and shift.starts_at > now,
        "can_write": establishment_allows(request.user, shift.establishment_id, CHANGE),
        "query": query,
        "candidates": candidates,
        "candidacies": candidacies,
    })


def _act(request: HttpRequest, shift: Shift, action, success: str) -> HttpResponse:
    try:
        action()
    except ValidationError as error:
        messages.error(request, service_error_text(error))
    else:
        messages.success(request, success)
    return redirect("missions:hr_shift_act", pk=shift.pk)


def _refused(request: HttpRequest, shift: Shift, form: forms.Form) -> HttpResponse:
    messages.error(request, form_error_text(form))
    return redirect("missions:hr_shift_act", pk=shift.pk)


@role_required(is_establishment_member)
@require_POST
def shift_offer_view(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _shift_to_change(request, pk)
    form = ShiftOfferForm(request.POST)
    if not form.is_valid():
        return _refused(request, shift, form)
    professional = offer_candidate(shift=shift, professional_id=form.cleaned_data["professional"], now=timezone.now())
    if professional is None:
        raise Http404
    name = professional.user.get_full_name() or professional.user.email
    return _act(request, shift, lambda: shift_offer_to(actor=request.user, shift=shift, professional=professional),
                _("Vacation proposée à %(name)s.") % {"name": name})


@role_required(is_establishment_member)
@require_POST
def shift_raise_view(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _shift_to_change(request, pk)
    form = ShiftPayRaiseForm(request.POST)
    if not form.is_valid():
        return _refused(request, shift, form)
    pay = form.cleaned_data["pay"]
    return _act(request, shift, lambda: shift_pay_raise(actor=request.user, shift=shift, pay=pay),
                _("Rémunération relevée : les propositions en cours portent le nouveau montant."))


@role_required(is_establishment_member)
@require_POST
def shift_urgent_view(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _shift_to_change(request, pk)
    return _act(request, shift, lambda: shift_flag_urgent(actor=request.user, shift=shift),
                _("Vacation marquée urgente : les propositions partent par vagues."))


@role_required(is_establishment_member)
@require_POST
def candidacy_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = row_to_change_or_404(
        Proposal.objects.filter(source=ProposalSource.CANDIDACY).select_related("shift__establishment"),
        request.user, pk, establishment="shift__establishment_id",
    )
    return _act(request, proposal.shift, lambda: candidacy_confirm(actor=request.user, proposal=proposal),
                _("Candidature confirmée : la mission est réservée."))


# --------------------------------------------------------------------------------------------
# The professional
# --------------------------------------------------------------------------------------------


@role_required(is_professional)
def shift_take_page(request: HttpRequest, shift_id: int) -> HttpResponse:
    """GET: whether the professional may take (urgent) or apply for (later) this shift, and why not.
    POST: do it. A refusal re-renders the page with the reason, nothing written."""
    professional = request.user.professional
    shift = get_object_or_404(
        shifts_visible_to_professional(professional=professional).select_related(
            "establishment", "unit", "location", "profession"
        ),
        pk=shift_id,
    )
    errors: list[str] = []
    if request.method == "POST":
        action = shift_take if shift.is_urgent() else shift_apply
        try:
            outcome = action(actor=request.user, shift=shift)
        except ValidationError as error:
            errors = error.messages
        else:
            if action is shift_take:
                messages.success(request, _("Poste pris : votre mission est confirmée."))
                return redirect("missions:mission_detail", pk=outcome.pk)
            messages.success(request, _("Candidature envoyée : l'établissement la confirmera, ou l'appariement de "
                                        "la nuit décidera."))
            return redirect("missions:open_shifts")
    status = take_status(professional=professional, shift=shift, now=timezone.now())
    return render(request, "missions/matching/shift_take.html", {
        "shift": shift, "status": status, "errors": errors, "professional": professional,
    }, status=400 if errors else 200)
