"""The professional's view of the matching: the shifts open to them, and why one was not proposed;
HR's: why a shift is unfilled."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy

from establishments.access import is_establishment_member
from establishments.models import Shift
from missions.booking.selectors import (
    open_shifts_for_professional,
    set_distance_km,
    shifts_by_week,
    shifts_visible_to_professional,
)
from missions.platform.services.matching import explain_for_professional, explain_unfilled
from territories.models import Departement
from ville_hopital.list_pages import list_page
from ville_hopital.mixins import is_professional, role_required

OPEN_SHIFTS_PAGE_SIZE = 20


class OpenShiftFilters(forms.Form):
    """Filters of « Vacations ouvertes »: a département of the professional's home region, urgent only."""

    departement = forms.ChoiceField(label=gettext_lazy("Département"), required=False)
    urgent = forms.BooleanField(label=gettext_lazy("Urgentes uniquement"), required=False)

    def __init__(self, data, *, departements: list[Departement]):
        super().__init__(data)
        self.fields["departement"].choices = [("", gettext_lazy("Tous"))] + [(d.code, str(d)) for d in departements]
        self.fields["departement"].error_messages["invalid_choice"] = gettext_lazy(
            "« %(value)s » n'est pas un département de votre région : la liste n'est pas filtrée par département."
        )

    def full_clean(self) -> None:
        super().full_clean()
        if "departement" in self.errors:  # screen readers announce the message with the field
            self.fields["departement"].widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": "departement-errors"}
            )


@role_required(is_professional)
def open_shifts(request: HttpRequest) -> HttpResponse:
    professional = request.user.professional
    home = professional.home_commune
    form = OpenShiftFilters(
        request.GET, departements=list(Departement.objects.filter(region_id=home.region_id).order_by("code"))
    )
    form.is_valid()  # a bad value is reported next to its field and that filter alone is dropped
    filters = {
        "departement_code": form.cleaned_data.get("departement") or None,
        "urgent_only": bool(form.cleaned_data.get("urgent")),
    }
    page = list_page(open_shifts_for_professional(professional=professional, **filters),
                     number=request.GET.get("page"), per_page=OPEN_SHIFTS_PAGE_SIZE)
    page.object_list = set_distance_km(list(page.object_list), origin=home)
    return render(
        request,
        "missions/matching/open_shifts.html",
        {"form": form, "page": page, "weeks": shifts_by_week(page), "professional": professional, "home": home},
        status=400 if form.errors else 200,
    )


@role_required(is_professional)
def why_not_proposed(request: HttpRequest, shift_id: int) -> HttpResponse:
    professional = request.user.professional
    shift = get_object_or_404(
        shifts_visible_to_professional(professional=professional).select_related("establishment", "unit", "location"),
        pk=shift_id,
    )
    reasons = explain_for_professional(professional=professional, shift=shift)
    return render(request, "missions/matching/why_not_proposed.html", {"shift": shift, "reasons": reasons})


@role_required(is_establishment_member)
def why_unfilled(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = get_object_or_404(
        Shift.objects.for_user(request.user).select_related("establishment", "unit", "location", "profession"),
        pk=shift_id,
    )
    return render(request, "missions/matching/why_unfilled.html", {"shift": shift, "info": explain_unfilled(shift=shift)})
