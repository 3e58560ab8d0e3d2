from django.contrib import admin

from plenary.core.admin import ReadOnlyAdmin, SecretariatAdmin

from .models import AccessLink, Capacity, Delegation, ExtraSpeakerRequest, FocalPoint, Participant


class FocalPointInline(admin.TabularInline):
    model = FocalPoint
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Delegation)
class DelegationAdmin(SecretariatAdmin):
    list_display = ["__str__", "consultation", "category", "speakers", "speaker_limit"]
    list_filter = ["consultation", "category"]
    readonly_fields = ["speakers"]  # a counter kept by the registration services
    inlines = [FocalPointInline]


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    """Read-only here: approvals and roles go through the delegation pages, which keep the
    quotas, the capacity and the links right."""

    list_display = ["name", "email", "delegation", "status", "role", "language"]
    list_filter = ["consultation", "status", "role", "delegation__category"]
    search_fields = ["name", "email"]


@admin.register(Capacity)
class CapacityAdmin(SecretariatAdmin):
    list_display = ["consultation", "speakers", "speaker_limit", "viewers", "viewer_limit"]
    readonly_fields = ["speakers", "viewers"]


admin.site.register(ExtraSpeakerRequest, ReadOnlyAdmin)


@admin.register(AccessLink)
class AccessLinkAdmin(ReadOnlyAdmin):
    list_display = ["participant", "role", "created_at", "first_used_at", "revoked_at"]
    exclude = ["token_hash"]
