"""HR's shift board: filters, each shift's proposals and assigned professionals, and the actions
that follow a shift to its end (cancel it; after it, mark each mission done or no-show).

The board shows what the user may *view* (a sister site's shared shift included); its actions take
the shift or mission as ``for_user(user, CHANGE)`` has it (``establishments.access.row_to_change_or_404``):
a sister site's shift is a 404 to cancel or close, a viewer's action a 403."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from establishments.access import (
    establishment_allows,
    establishment_or_404,
    is_establishment_member,
    row_to_change_or_404,
)
from establishments.models import Shift, Unit
from establishments.selectors import my_establishments, set_current_establishment
from missions.booking.forms import MissionCompleteForm, ShiftCancelForm
from missions.booking.selectors_hr import (
    BoardFilters,
    BoardStatus,
    board_groups,
    set_board_directory_checks,
    set_next_wave,
    shift_board,
    urgent_unfilled_positions,
)
from missions.booking.services.missions import mission_complete
from missions.booking.services.shifts import shift_cancel
from missions.contracts.selectors import unsigned_contracts_for_establishment_member
from missions.core.models import Mission
from ville_hopital.access import ADMIN, CHANGE
from ville_hopital.forms import NextForm, form_error_text, service_error_text
from ville_hopital.input_hygiene import query_date, query_int
from ville_hopital.list_pages import list_page
from ville_hopital.mixins import role_required

#: A page a phone scrolls through (50 cards were some 17,000 px), the filters and pager close by.
PAGE_SIZE = 25
DEFAULT_PAST_DAYS = 7


def _back(form: NextForm, establishment_id: int) -> HttpResponse:
    """To the page the action was sent from (a valid ``next``), else the board."""
    target = form.cleaned_data.get("next")  # absent when it was refused
    return redirect(target or reverse("missions:hr_board", kwargs={"pk": establishment_id}))


@role_required(is_establishment_member)
def board(request: HttpRequest, pk: int) -> HttpResponse:
    establishment = establishment_or_404(request.user, pk)
    set_current_establishment(request, establishment)
    units = Unit.objects.for_user(request.user).filter(establishment=establishment)
    unit_id = request.GET.get("unite", "")
    status = request.GET.get("statut", "")
    date_from = query_date(request.GET.get("du")) if "du" in request.GET else timezone.localdate() - timedelta(
        days=DEFAULT_PAST_DAYS
    )
    date_to = query_date(request.GET.get("au"))
    filters = BoardFilters(
        unit_id=query_int(unit_id),
        status=status if status in BoardStatus.labels else None,
        date_from=date_from,
        date_to=date_to,
    )
    now = timezone.now()
    page = list_page(shift_board(user=request.user, establishment=establishment, filters=filters, now=now),
                     number=request.GET.get("page"), per_page=PAGE_SIZE)
    page.object_list = set_board_directory_checks(set_next_wave(list(page.object_list), now=now))
    return render(
        request,
        "missions/hr/board.html",
        {
            "establishment": establishment,
            "my_establishments": my_establishments(user=request.user),
            "can_write": establishment_allows(request.user, establishment, CHANGE),
            "is_admin": establishment_allows(request.user, establishment, ADMIN),
            "units": units,
            "statuses": BoardStatus.choices,
            "filters": filters,
            "page": page,
            "groups": board_groups(page),
            "now": now,
            "urgent_unfilled": urgent_unfilled_positions(user=request.user, establishment=establishment, now=now),
            "outcomes": MissionCompleteForm.base_fields["outcome"].choices,
            # missions within 24 h whose contract is not signed by both (issue: "flagged to HR's board")
            "unsigned_contracts": unsigned_contracts_for_establishment_member(request.user, establishment=establishment),
        },
    )


@role_required(is_establishment_member)
@require_POST
def shift_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    shift = row_to_change_or_404(Shift.objects.select_related("establishment"), request.user, pk,
                                 establishment="establishment_id")
    form = ShiftCancelForm(request.POST, request=request)
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return _back(form, shift.establishment_id)
    try:
        shift_cancel(actor=request.user, shift=shift, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, service_error_text(error))
    else:
        messages.success(request, _("Vacation annulée ; les professionnels réservés sont prévenus."))
    return _back(form, shift.establishment_id)


@role_required(is_establishment_member)
@require_POST
def mission_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = row_to_change_or_404(Mission.objects.select_related("shift__establishment"), request.user, pk,
                                   establishment="shift__establishment_id")
    establishment = mission.shift.establishment
    form = MissionCompleteForm(request.POST, request=request)
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return _back(form, establishment.pk)
    try:
        mission = mission_complete(actor=request.user, mission=mission, outcome=form.cleaned_data["outcome"])
    except ValidationError as error:
        messages.error(request, service_error_text(error))
    else:
        messages.success(request, _("Mission close : %(state)s.") % {"state": mission.get_state_display()})
    return _back(form, establishment.pk)
