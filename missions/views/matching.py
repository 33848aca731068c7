"""Explanations of the matching: why a shift was not proposed (professional), why it is unfilled (HR)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from establishments.models import Shift
from missions.services.matching import explain_for_professional, explain_unfilled
from ville_hopital.mixins import is_establishment_member, is_professional, role_required


def _visible_to_professional(professional):
    """Shifts a professional can ask about: their profession, placed in their home region (the region
    whose ARS they depend on). A shift of a neighbouring region is a 404 here, as for any other user."""
    home = professional.home_commune
    return Shift.objects.filter(profession_id=professional.profession_id, location__region_id=home.region_id)


@role_required(is_professional)
def why_not_proposed(request: HttpRequest, shift_id: int) -> HttpResponse:
    professional = request.user.professional
    shift = get_object_or_404(
        _visible_to_professional(professional).select_related("establishment", "unit", "location"), pk=shift_id
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
