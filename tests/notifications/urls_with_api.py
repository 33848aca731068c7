"""The project's URLs plus the notifications API, whether or not the project includes it yet."""

from django.urls import include, path

from ville_hopital.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/v1/notifications/", include("notifications.api")), *project_urlpatterns]
