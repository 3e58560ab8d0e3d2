from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from plenary.core.admin import AuditedAdmin, ReadOnlyAdmin, ServiceAdmin

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
from .names import cldr_name

LANGUAGES = [code for code, _name in settings.LANGUAGES]

# A state is found by its codes and its official names here, by its CLDR names in StateNameSearch.
STATE_SEARCH = ["state__iso2", "state__iso3", "state__official_names__name"]


def _named(search_term: str) -> list[int]:
    """The states whose CLDR name in one of the six languages holds the term ("Kenya",
    "Kenia"): names are computed (directory.names), not stored."""
    wanted = search_term.strip().casefold()
    if not wanted:
        return []
    return [
        state.pk
        for state in State.objects.only("iso2")
        if any(wanted in cldr_name(state.iso2, code).casefold() for code in LANGUAGES)
    ]


class StateNameSearch:
    """The admin's search finds a state by its codes, its official names and its CLDR names."""

    state_field = "state"

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        named = _named(search_term)
        if named:
            results = results | queryset.filter(**{f"{self.state_field}__in": named})
        return results, duplicates


class OfficialNameInline(admin.TabularInline):
    """Shown with the state; entered on the official names' own page, through the service."""

    model = OfficialName
    extra = 0
    can_delete = False
    readonly_fields = ["language", "name"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(State)
class StateAdmin(StateNameSearch, AuditedAdmin):
    state_field = "pk"
    list_display = ["iso2", "iso3", "__str__", "region", "status", "joined_on", "left_on"]
    list_filter = ["region", "status"]
    search_fields = ["iso2", "iso3", "official_names__name"]
    inlines = [OfficialNameInline]


@admin.register(OfficialName)
class OfficialNameAdmin(ServiceAdmin):
    """Set and cleared through services.set_official_name (audited); a name changes its
    text, not its state or language."""

    list_display = ["state", "language", "name"]
    list_filter = ["language"]

    def get_readonly_fields(self, request, obj=None):
        return ["state", "language"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        def save():
            saved = services.set_official_name(
                obj.state, obj.language, obj.name, actor=request.user
            )
            obj.pk = saved.pk if saved is not None else obj.pk

        self.refused(request, save)

    def delete_model(self, request, obj):
        self.refused(
            request,
            lambda: services.set_official_name(obj.state, obj.language, "", actor=request.user),
        )

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


@admin.register(Region)
class RegionAdmin(AuditedAdmin, TranslationAdmin):
    list_display = ["code", "name"]


@admin.register(RegionalOrganization)
class RegionalOrganizationAdmin(AuditedAdmin, TranslationAdmin):
    list_display = ["acronym", "name"]


class InspectionAdmin(ReadOnlyAdmin):
    """For inspection only: the secretariat enters these on its own pages
    (/secretariat/council/, /secretariat/voting-rights/, /secretariat/sector-members/),
    where every change is checked and recorded in the audit trail."""

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": _("%(name)s — for inspection; entered on the secretariat's pages")
            % {"name": self.model._meta.verbose_name_plural},
        }
        return super().changelist_view(request, extra_context)


class CouncilSeatInline(admin.TabularInline):
    model = CouncilSeat
    extra = 0
    can_delete = False
    fields = ["region", "state"]
    readonly_fields = ["region", "state"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CouncilTerm)
class CouncilTermAdmin(InspectionAdmin):
    list_display = ["name", "starts_on", "ends_on", "seat_count"]
    inlines = [CouncilSeatInline]


@admin.register(CouncilSeat)
class CouncilSeatAdmin(StateNameSearch, InspectionAdmin):
    list_display = ["term", "region", "state"]
    list_filter = ["term", "region"]
    search_fields = STATE_SEARCH


@admin.register(VotingRightSuspension)
class VotingRightSuspensionAdmin(StateNameSearch, InspectionAdmin):
    list_display = ["state", "since", "until", "reason", "schedule_kept"]
    list_filter = ["reason"]
    search_fields = STATE_SEARCH


@admin.register(SectorMember)
class SectorMemberAdmin(StateNameSearch, InspectionAdmin):
    list_display = ["name", "sector", "state"]
    list_filter = ["sector"]
    search_fields = ["name", *STATE_SEARCH]
