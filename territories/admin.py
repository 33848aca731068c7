from django.contrib import admin

from territories.models import Commune, Departement, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(Departement)
class DepartementAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["code_insee", "name", "departement", "population", "postal_codes"]
    search_fields = ["code_insee", "name", "postal_codes"]
    list_filter = ["region"]
    list_select_related = ["departement"]
