from django.contrib import admin

from directories.models import DirectoryEstablishment, DirectoryProfessional
from ville_hopital.admin import ReadOnlyModelAdmin

# Read-only: the rows come from the national files (an edit would be undone by the next import).


@admin.register(DirectoryProfessional)
class DirectoryProfessionalAdmin(ReadOnlyModelAdmin):
    list_display = ("rpps", "family_name", "first_name", "profession_code", "profession_label")
    search_fields = ("rpps", "family_key")


@admin.register(DirectoryEstablishment)
class DirectoryEstablishmentAdmin(ReadOnlyModelAdmin):
    list_display = ("finess_et", "finess_ej", "name", "category_label", "departement_code")
    search_fields = ("finess_et", "finess_ej", "name")
