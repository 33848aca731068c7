from django.urls import path

from professionals import views

app_name = "professionals"
urlpatterns = [
    path("", views.home, name="home"),
    path("profil/nouveau/", views.profile_create, name="profile_create"),
    path("profil/", views.profile_edit, name="profile_edit"),
    path("justificatifs/", views.credentials, name="credentials"),
    path("justificatifs/<int:pk>/telecharger/", views.credential_download, name="credential_download"),
    path("justificatifs/<int:pk>/supprimer/", views.credential_remove, name="credential_remove"),
    path("disponibilites/", views.calendar_current, name="calendar_current"),
    path("disponibilites/<int:year>/<int:month>/", views.calendar, name="calendar"),
    path("calendar/nouvelle-adresse/", views.calendar_token_renew, name="calendar_token_renew"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
