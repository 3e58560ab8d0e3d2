"""The administration is for the secretariat: signed in through the same login as every
page (with the second factor), and permitted by the rules, not by Django's staff flags."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.models import Group
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


def _plain(value):
    """A form value as the audit log stores it: an object by its key, files by name."""
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        return value.pk
    if hasattr(value, "model") and hasattr(value, "values_list"):  # a queryset
        return sorted(value.values_list("pk", flat=True))
    if isinstance(value, (list, tuple, set)):
        return [_plain(item) for item in value]
    if hasattr(value, "read"):  # an uploaded file
        return getattr(value, "name", "")
    return value


def changes(form) -> dict:
    return {name: _plain(form.cleaned_data.get(name)) for name in form.changed_data}


def record(request, verb: str, obj, data: dict) -> None:
    audit.record(f"admin.{obj._meta.model_name}_{verb}", actor=request.user, target=obj, data=data)


class AuditedAdmin(SecretariatAdmin):
    """A model with no service of its own, edited here: each save and deletion — one object,
    the selected ones of the list, or a row of an inline — is one audit event with the
    fields that changed, in the same transaction as the write."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record(request, "changed" if change else "added", obj, changes(form))

    def save_formset(self, request, form, formset, change):
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            for row in formset.new_objects:
                record(request, "added", row, {"in": str(form.instance)})
            for row, fields in formset.changed_objects:
                record(request, "changed", row, {"fields": sorted(fields)})
            for row in formset.deleted_objects:
                # deleted: its key is gone, the object it belonged to is the target
                audit.record(
                    f"admin.{row._meta.model_name}_deleted",
                    actor=request.user,
                    target=form.instance,
                    data={"was": str(row)},
                )

    def delete_model(self, request, obj):
        with transaction.atomic():
            record(request, "deleted", obj, {"was": str(obj)})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The list's "delete selected" action: each object audited, all or none deleted.
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class ServiceAdmin(SecretariatAdmin):
    """A model a service owns: the admin's save and deletion call that service (which checks
    and audits); a refusal is shown as the message, and nothing is written."""

    def refused(self, request, action) -> bool:
        """Run `action`; True (and the reason shown) when the service refused it."""
        try:
            action()
        except DomainError as refusal:
            messages.error(request, refusal.user_message())
            request.plenary_admin_refused = True
            return True
        return False

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        # After a refusal, no "… was added successfully" beside the reason.
        if getattr(request, "plenary_admin_refused", False) and level == messages.SUCCESS:
            return
        super().message_user(request, message, level, *args, **kwargs)

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:  # refused: nothing was added, back to the form's list
            return self.response_post_save_add(request, obj)
        return super().response_add(request, obj, post_url_continue)


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


# --- The admin pages other applications register ----------------------------------------------
# Permissions come from the rules, not from Django's groups: the groups page would only
# mislead. An account's address is the one its invitation gave (people.services); a second
# factor is set up by its owner, and the secretariat can only remove a lost one, audited.
for model in (Group, EmailAddress, Authenticator):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(EmailAddress)
class EmailAddressAdmin(ReadOnlyAdmin):
    list_display = ["email", "user", "primary", "verified"]
    search_fields = ["email", "user__email"]


@admin.register(Authenticator)
class AuthenticatorAdmin(AuditedAdmin):
    """A lost authenticator is removed here (its owner sets up a new one at the next
    sign-in); it is never added or changed by anyone but its owner."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        with transaction.atomic():
            record(request, "deleted", obj, {"user": obj.user_id, "type": obj.type})
            obj.delete()
