"""Pages that show proposals and missions: the professional's side and HR's side."""

from django.urls import include, path

app_name = "missions"
urlpatterns = [
    path("", include("missions.urls_professional")),
    path("rh/", include("missions.urls_hr")),
    path("", include("missions.urls_matching")),
    path("", include("missions.urls_urgent")),
    path("contrats/", include("missions.contracts.urls")),
]
