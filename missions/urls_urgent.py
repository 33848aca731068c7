"""Acting on an unfilled shift: HR's page and actions, the professional's take / apply page
(included from missions/urls.py)."""

from django.urls import path

from missions.views import urgent

urlpatterns = [
    path("rh/vacations/<int:pk>/pourvoir/", urgent.shift_act, name="hr_shift_act"),
    path("rh/vacations/<int:pk>/proposer/", urgent.shift_offer_view, name="hr_shift_offer"),
    path("rh/vacations/<int:pk>/remuneration/", urgent.shift_raise_view, name="hr_shift_raise"),
    path("rh/vacations/<int:pk>/urgente/", urgent.shift_urgent_view, name="hr_shift_urgent"),
    path("rh/candidatures/<int:pk>/confirmer/", urgent.candidacy_confirm_view, name="hr_candidacy_confirm"),
    path("vacations-ouvertes/<int:shift_id>/", urgent.shift_take_page, name="shift_take"),
]
