from django.contrib import admin, messages
from django.db import transaction

from plenary.consultations.models import Appointment
from plenary.core.admin import ReadOnlyAdmin, SecretariatAdmin
from plenary.core.errors import DomainError

from . import services
from .models import AccessLink, Capacity, Delegation, ExtraSpeakerRequest, FocalPoint, Participant


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    """Categories and limits follow the consultation's settings and its Council term
    (services.setup_delegations); focal points are appointed as roles."""

    list_display = ["__str__", "consultation", "category", "speakers", "speaker_limit"]
    list_filter = ["consultation", "category"]


admin.site.register(FocalPoint, ReadOnlyAdmin)


@admin.register(Appointment)
class AppointmentAdmin(SecretariatAdmin):
    """A role is granted or withdrawn here through the same services as the pages (audited;
    a focal point gets its delegation record); an appointment is not edited in place."""

    list_display = ["user", "role", "consultation", "state"]
    list_filter = ["role", "consultation"]
    autocomplete_fields = ["user", "state"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        try:
            saved = services.grant_role(
                obj.user,
                obj.role,
                consultation=obj.consultation,
                state=obj.state,
                actor=request.user,
            )
        except DomainError as refusal:
            messages.error(request, refusal.user_message())
            return
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.withdraw_role(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for appointment in queryset:
                services.withdraw_role(appointment, actor=request.user)


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    """Read-only here: approvals and roles go through the delegation pages, which keep the
    quotas, the capacity and the links right."""

    list_display = ["name", "email", "delegation", "status", "role", "language"]
    list_filter = ["consultation", "status", "role", "delegation__category"]
    search_fields = ["name", "email"]


@admin.register(Capacity)
class CapacityAdmin(ReadOnlyAdmin):
    """The limits follow the consultation's settings; the counts, the registrations."""

    list_display = ["consultation", "speakers", "speaker_limit", "viewers", "viewer_limit"]


admin.site.register(ExtraSpeakerRequest, ReadOnlyAdmin)


@admin.register(AccessLink)
class AccessLinkAdmin(ReadOnlyAdmin):
    list_display = ["participant", "role", "created_at", "first_used_at", "revoked_at"]
    exclude = ["token_hash"]
