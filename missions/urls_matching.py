"""Explanation pages of the matching (included from missions/urls.py)."""

from django.urls import path

from missions.views import matching

urlpatterns = [
    path("pourquoi/<int:shift_id>/", matching.why_not_proposed, name="matching_why_not_proposed"),
    path("rh/shifts/<int:shift_id>/pourquoi/", matching.why_unfilled, name="matching_why_unfilled"),
]
