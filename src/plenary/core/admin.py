"""The administration is for the secretariat: signed in through the same login as every
page (with the second factor), and permitted by the rules, not by Django's staff flags."""

from django.contrib import admin

from .models import AuditEvent, OutboxMessage, User


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


class ReadOnlyAdmin(SecretariatAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(SecretariatAdmin):
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
