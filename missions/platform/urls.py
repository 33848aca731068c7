"""The matching's pages: why a shift was (not) offered, the shifts open to a professional, acting on an
unfilled shift (HR) and taking or applying for it (professional). Included from missions/urls.py."""

from django.urls import path

from missions.platform.views import matching, urgent

urlpatterns = [
    path("vacations-ouvertes/", matching.open_shifts, name="open_shifts"),
    path("pourquoi/<int:shift_id>/", matching.why_not_proposed, name="matching_why_not_proposed"),
    path("rh/shifts/<int:shift_id>/pourquoi/", matching.why_unfilled, name="matching_why_unfilled"),
    path("rh/vacations/<int:pk>/pourvoir/", urgent.shift_act, name="hr_shift_act"),
    path("rh/vacations/<int:pk>/proposer/", urgent.shift_offer_view, name="hr_shift_offer"),
    path("rh/vacations/<int:pk>/remuneration/", urgent.shift_raise_view, name="hr_shift_raise"),
    path("rh/vacations/<int:pk>/urgente/", urgent.shift_urgent_view, name="hr_shift_urgent"),
    path("rh/candidatures/<int:pk>/confirmer/", urgent.candidacy_confirm_view, name="hr_candidacy_confirm"),
    path("vacations-ouvertes/<int:shift_id>/", urgent.shift_take_page, name="shift_take"),
]
