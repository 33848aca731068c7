"""The audit trail's pages, under ``journal/`` (namespace ``audit``)."""

from django.urls import path

from ville_hopital import views_audit

app_name = "audit"
urlpatterns = [
    path("", views_audit.mine, name="mine"),
    path("export.csv", views_audit.mine_csv, name="mine_csv"),
    path("etablissement/<int:pk>/", views_audit.establishment, name="establishment"),
    path("etablissement/<int:pk>/export.csv", views_audit.establishment_csv, name="establishment_csv"),
]
