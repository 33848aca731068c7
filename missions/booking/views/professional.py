"""The professional's side of proposals and missions: inbox, accept/decline, my missions, cancel, earnings.

Objects are fetched through ``for_user(request.user, VIEW | CHANGE)`` narrowed to the user's own
rows as a professional (``selectors.about_me``: these are the professional's pages, not HR's):
another professional's proposal or mission is a 404, exactly like a missing one.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from missions.booking.selectors import (
    MISSION_RELATED,
    MissionView,
    about_me,
    accepted_mission,
    earnings_by_month,
    missions_by_week,
    my_mission_counts,
    my_missions_in,
    proposals_by_week,
    proposals_inbox,
    proposals_recent,
    set_slot_labels,
)
from missions.booking.services.missions import mission_cancel
from missions.booking.services.proposals import proposal_accept, proposal_decline, proposals_mark_seen
from missions.contracts.selectors import current_contract
from missions.core.models import (
    PROFESSIONAL_CANCEL_NOTICE,
    CancelledBy,
    Mission,
    MissionState,
    Proposal,
    ProposalSource,
    ProposalState,
)
from ville_hopital.access import CHANGE
from ville_hopital.forms import apply_service_errors, service_error_text
from ville_hopital.list_pages import list_page
from ville_hopital.mixins import is_professional, role_required

#: Offers and missions a page: a phone scrolls through them, the pager close by.
PAGE_SIZE = 20


class DeclineForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Motif (facultatif)"), max_length=300, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif de l'annulation"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


@role_required(is_professional)
def proposals(request: HttpRequest) -> HttpResponse:
    page = list_page(proposals_inbox(user=request.user), number=request.GET.get("page"), per_page=PAGE_SIZE)
    page.object_list = set_slot_labels(list(page.object_list))
    proposals_mark_seen(actor=request.user, proposals=page.object_list)  # HR's live status: "seen" (shown)
    return render(
        request,
        "missions/professional/proposals.html",
        {"proposals": page, "weeks": proposals_by_week(page), "recent": proposals_recent(user=request.user)},
    )


@require_POST
@role_required(is_professional)
def proposal_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    # Their own candidacy is confirmed by HR, not by them (missions.platform.services.urgent.candidacy_confirm).
    proposal = get_object_or_404(
        about_me(Proposal.objects, request.user, CHANGE).exclude(source=ProposalSource.CANDIDACY), pk=pk
    )
    try:
        mission = proposal_accept(actor=request.user, proposal=proposal)
    except ValidationError as error:
        booked = accepted_mission(user=request.user, proposal=proposal)
        if booked is not None:  # a double tap: the first one booked it (it waited for that one's lock)
            messages.info(request, _("Proposition déjà acceptée : votre mission est confirmée."))
            return redirect("missions:mission_detail", pk=booked.pk)
        messages.error(request, _("Impossible d'accepter : %(why)s") % {"why": service_error_text(error)})
        return redirect("missions:proposals")
    messages.success(request, _("Mission confirmée. Retrouvez les informations pratiques ci-dessous."))
    return redirect("missions:mission_detail", pk=mission.pk)


@require_POST
@role_required(is_professional)
def proposal_decline_view(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(about_me(Proposal.objects, request.user, CHANGE), pk=pk)
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        proposal_decline(actor=request.user, proposal=proposal, reason=reason)
    except ValidationError as error:
        if proposal.state != ProposalState.DECLINED:  # not a double submit
            messages.error(request, _("Impossible de décliner : %(why)s") % {"why": service_error_text(error)})
            return redirect("missions:proposals")
    messages.success(request, _("Proposition déclinée."))
    return redirect("missions:proposals")


@role_required(is_professional)
def missions_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    view = request.GET.get("vue", "")
    view = view if view in MissionView.labels else MissionView.UPCOMING  # an unknown one: the default
    page = list_page(my_missions_in(user=request.user, view=view, now=now), number=request.GET.get("page"),
                     per_page=PAGE_SIZE)
    counts = my_mission_counts(user=request.user, now=now)
    return render(
        request,
        "missions/professional/missions.html",
        {
            "view": view,
            "views": [(key, label, counts[key]) for key, label in MissionView.labels.items()],
            "page": page,
            "weeks": missions_by_week(page),
        },
    )


@role_required(is_professional)
def mission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_object_or_404(about_me(Mission.objects, request.user).select_related(*MISSION_RELATED), pk=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and mission.state == MissionState.CANCELLED:  # a double submit
        return redirect("missions:my_missions")
    if request.method == "POST" and form.is_valid():
        try:
            mission_cancel(
                actor=request.user, mission=mission, reason=form.cleaned_data["reason"], by=CancelledBy.PROFESSIONAL
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Mission annulée. L'établissement en est informé."))
            return redirect("missions:my_missions")
    now = timezone.now()
    return render(
        request,
        "missions/professional/mission_detail.html",
        {
            "mission": mission,
            "form": form,
            # the version that governs the mission (None once cancelled): its state and a link
            "contract": current_contract(mission),
            "can_cancel": mission.state == MissionState.BOOKED and mission.starts_at - now >= PROFESSIONAL_CANCEL_NOTICE,
            "too_late": mission.state == MissionState.BOOKED and now < mission.starts_at
            and mission.starts_at - now < PROFESSIONAL_CANCEL_NOTICE,
        },
        status=400 if form.errors else 200,
    )


@role_required(is_professional)
def earnings(request: HttpRequest) -> HttpResponse:
    months = earnings_by_month(user=request.user)
    return render(
        request,
        "missions/professional/earnings.html",
        {
            "months": months,
            "total": sum((m.amount for m in months), start=Decimal(0)),
            "count": sum(m.missions for m in months),
        },
    )
