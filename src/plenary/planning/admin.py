from django.contrib import admin

from plenary.core.admin import AuditedAdmin, ReadOnlyAdmin

from .models import ItemProgress, ItemReply, Meeting, PlanPin, PlanVersion


@admin.register(Meeting)
class MeetingAdmin(AuditedAdmin):
    list_display = ["consultation", "kind", "number", "starts_at", "ends_at", "join_url"]
    list_filter = ["consultation", "kind"]
    fields = [
        "join_url"
    ]  # times follow the consultation's settings (planning.services.sync_meetings)

    # Meetings are made and removed with the consultation's settings; only the link is edited.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ItemReply)
class ItemReplyAdmin(ReadOnlyAdmin):
    list_display = ["item", "state", "will_speak", "minutes", "updated_at"]
    list_filter = ["will_speak", "item__group__consultation"]


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnlyAdmin):
    list_display = ["consultation", "number", "published_at", "reason", "missing_minutes"]


admin.site.register(PlanPin, ReadOnlyAdmin)
admin.site.register(ItemProgress, ReadOnlyAdmin)
