"""The administration is for the secretariat: signed in through the same login as every
page (with the second factor), and permitted by the rules, not by Django's staff flags."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import audit, tokens
from .errors import DomainError
from .models import ApiToken, AuditEvent, OutboxMessage, User


class SecretariatAdmin(admin.ModelAdmin):
    """Every model page: open to the secretariat (rules), whatever Django's model permissions."""

    def has_module_permission(self, request):
        return request.user.has_perm("core.use_admin")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("core.use_admin")

    def has_add_permission(self, request):
        return request.user.has_perm("core.use_admin")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("core.use_admin")

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("core.use_admin")


class AuditedAdmin(SecretariatAdmin):
    """A model with no service of its own, edited here: each save and deletion is one audit
    event with the fields that changed, in the same transaction as the write."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit.record(
                f"admin.{obj._meta.model_name}_{'changed' if change else 'added'}",
                actor=request.user,
                target=obj,
                data={name: form.cleaned_data.get(name) for name in form.changed_data},
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record(
                f"admin.{obj._meta.model_name}_deleted",
                actor=request.user,
                target=obj,
                data={"was": str(obj)},
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(SecretariatAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(AuditedAdmin):
    list_display = ["email", "full_name", "language", "is_active"]
    search_fields = ["email", "full_name"]
    fields = ["email", "full_name", "language", "time_zone", "is_active"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "occurred_at", "actor_label", "action", "target_type", "target_id"]
    list_filter = ["action"]
    search_fields = ["action", "actor_label", "target_id"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status"]


@admin.register(ApiToken)
class ApiTokenAdmin(SecretariatAdmin):
    """The secretariat sees every token and revokes them; a new token for an account is
    created here and shown once, in the confirmation message."""

    list_display = [
        "name",
        "user",
        "link",
        "hint",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__email", "hint"]
    fields = ["name", "user", "expires_at", "revoked_at"]
    readonly_fields = ["revoked_at"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            row, token = tokens.create_user_token(
                obj.user, name=obj.name, expires_at=obj.expires_at, actor=request.user
            )
        except DomainError as refusal:
            messages.error(request, refusal.user_message())
            return
        obj.pk = row.pk
        messages.warning(
            request,
            str(_("The token is shown once; copy it now: %(token)s")) % {"token": token},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for row in queryset:
            tokens.revoke(row, actor=request.user)
