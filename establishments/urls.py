from django.urls import path

from establishments import views

app_name = "establishments"
urlpatterns = [
    path("", views.home, name="home"),
    path("inscription/", views.onboarding, name="onboarding"),
    path("choisir/", views.switch, name="switch"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("vacations/modele.csv", views.shift_import_template, name="shift_import_template"),
    path("<int:pk>/vacations/modele.csv", views.shift_import_template, name="shift_import_template_for"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/membres/", views.members, name="members"),
    path("<int:pk>/jetons-integration/", views.integration_tokens, name="integration_tokens"),
    path("jetons-integration/<int:pk>/revoquer/", views.integration_token_revoke, name="integration_token_revoke"),
    path("<int:pk>/unites/nouvelle/", views.unit_create, name="unit_create"),
    path("unites/<int:pk>/modifier/", views.unit_update, name="unit_update"),
    path("<int:pk>/vacations/nouvelle/", views.shift_create, name="shift_create"),
    path("<int:pk>/vacations/serie/", views.shift_series_create, name="shift_series_create"),
    path("<int:pk>/vacations/import/", views.shift_import, name="shift_import"),
    path("vacations/<int:pk>/partage/", views.shift_share, name="shift_share"),
]
