from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from plenary.core.admin import SecretariatAdmin

from . import services
from .models import (
    CouncilSeat,
    CouncilTerm,
    OfficialName,
    Region,
    RegionalOrganization,
    SectorMember,
    State,
    VotingRightSuspension,
)


class OfficialNameInline(admin.TabularInline):
    model = OfficialName
    extra = 0


@admin.register(State)
class StateAdmin(SecretariatAdmin):
    list_display = ["iso2", "iso3", "__str__", "region", "status", "joined_on", "left_on"]
    list_filter = ["region", "status"]
    search_fields = ["iso2", "iso3", "official_names__name"]
    inlines = [OfficialNameInline]


@admin.register(OfficialName)
class OfficialNameAdmin(SecretariatAdmin):
    list_display = ["state", "language", "name"]
    list_filter = ["language"]

    def save_model(self, request, obj, form, change):
        services.set_official_name(obj.state, obj.language, obj.name, actor=request.user)


@admin.register(Region)
class RegionAdmin(SecretariatAdmin, TranslationAdmin):
    list_display = ["code", "name"]


@admin.register(RegionalOrganization)
class RegionalOrganizationAdmin(SecretariatAdmin, TranslationAdmin):
    list_display = ["acronym", "name"]


class CouncilSeatInline(admin.TabularInline):
    model = CouncilSeat
    extra = 0
    autocomplete_fields = ["state"]


@admin.register(CouncilTerm)
class CouncilTermAdmin(SecretariatAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    inlines = [CouncilSeatInline]


@admin.register(VotingRightSuspension)
class VotingRightSuspensionAdmin(SecretariatAdmin):
    list_display = ["state", "since", "until", "reason", "schedule_kept"]
    autocomplete_fields = ["state"]


@admin.register(SectorMember)
class SectorMemberAdmin(SecretariatAdmin):
    list_display = ["name", "sector", "state"]
    list_filter = ["sector"]
