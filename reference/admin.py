from django.contrib import admin

from reference.models import ContractRoute, EstablishmentType, PayCap, Profession, Skill


@admin.register(Profession)
class ProfessionAdmin(admin.ModelAdmin):
    list_display = ["code", "short", "label", "label_feminine", "label_en", "uses_adeli"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "label_en", "profession"]
    list_filter = ["profession"]


@admin.register(EstablishmentType)
class EstablishmentTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "label_en", "sector", "is_mobile"]


@admin.register(PayCap)
class PayCapAdmin(admin.ModelAdmin):
    list_display = ["profession", "skill", "basis", "amount", "overseas_amount", "valid_from", "valid_until"]
    list_filter = ["profession", "basis"]


@admin.register(ContractRoute)
class ContractRouteAdmin(admin.ModelAdmin):
    list_display = ["profession", "establishment_type", "kind"]
    list_filter = ["kind", "establishment_type", "profession"]
