from django.apps import AppConfig


class VilleHopitalConfig(AppConfig):
    name = "ville_hopital"
    verbose_name = "Ville-Hôpital"
