"""Pages that show proposals and missions: the professional's side and HR's side."""

from django.urls import include, path

app_name = "missions"
urlpatterns = [
    path("", include("missions.booking.urls")),
    path("", include("missions.platform.urls")),
    path("contrats/", include("missions.contracts.urls")),
]
