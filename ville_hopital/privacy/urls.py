from django.urls import path

from ville_hopital.privacy import views

app_name = "privacy"
urlpatterns = [
    path("confidentialite/", views.notice, name="notice"),
    path("compte/mes-donnees/", views.my_data, name="my_data"),
    path("compte/mes-donnees/archive/", views.export, name="export"),
    path("compte/supprimer/", views.erase, name="erase"),
]
