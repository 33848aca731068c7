"""Included by ``missions/urls.py`` under ``contrats/``: names live in the ``missions`` namespace."""

from django.urls import path

from missions.contracts import views

urlpatterns = [
    path("", views.contract_list, name="contract_list"),
    path("<int:pk>/", views.contract_detail, name="contract_detail"),
    path("<int:pk>/pdf/", views.contract_download, name="contract_download"),
    path("<int:pk>/signer/", views.contract_sign, name="contract_sign"),
    path("<int:pk>/annuler/", views.contract_cancel, name="contract_cancel"),
    path("<int:pk>/nouvelle-version/", views.contract_new_version, name="contract_new_version"),
]
