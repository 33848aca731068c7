"""Explanation pages of the matching, and the shifts open to a professional (included from missions/urls.py)."""

from django.urls import path

from missions.views import matching

urlpatterns = [
    path("vacations-ouvertes/", matching.open_shifts, name="open_shifts"),
    path("pourquoi/<int:shift_id>/", matching.why_not_proposed, name="matching_why_not_proposed"),
    path("rh/shifts/<int:shift_id>/pourquoi/", matching.why_unfilled, name="matching_why_unfilled"),
]
