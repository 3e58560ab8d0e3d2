"""Remote participation in the administration: what a service of remote.services owns is
saved through it (checked and audited); the rest is for inspection."""

from django.contrib import admin
from django.db import transaction

from plenary.core.admin import ReadOnlyAdmin, ServiceAdmin, changes, record

from . import services
from .models import CaptionFeed, Interpreter, MeetingLinks, RemoteSettings, SupportRequest

LINK_FIELDS = ["speaker_url", "viewer_url", "interpreter_url", "webcast_url"]


@admin.register(RemoteSettings)
class RemoteSettingsAdmin(ReadOnlyAdmin):
    """Lobby and webcast are settings of the consultation's Settings page; the platform is
    chosen on the remote participation page."""

    list_display = ["consultation", "platform", "webcast_public", "lobby_minutes"]


class _OnePerKey(ServiceAdmin):
    """What identifies the row is chosen when it is added, not changed afterwards."""

    key_fields: list[str] = []

    def get_readonly_fields(self, request, obj=None):
        return self.key_fields if obj is not None else []

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


@admin.register(MeetingLinks)
class MeetingLinksAdmin(_OnePerKey):
    """services.set_meeting_links; a meeting's links are emptied, not deleted."""

    list_display = ["meeting", "speaker_url", "viewer_url"]
    fields = ["meeting", *LINK_FIELDS]
    key_fields = ["meeting"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        urls = {name: getattr(obj, name) for name in LINK_FIELDS}

        def save():
            obj.pk = services.set_meeting_links(obj.meeting, actor=request.user, **urls).pk

        self.refused(request, save)


@admin.register(CaptionFeed)
class CaptionFeedAdmin(_OnePerKey):
    """services.set_caption_feed; deleting a feed sets it to no address."""

    list_display = ["meeting", "language", "url"]
    key_fields = ["meeting", "language"]

    def save_model(self, request, obj, form, change):
        def save():
            feed = services.set_caption_feed(obj.meeting, obj.language, obj.url, actor=request.user)
            obj.pk = feed.pk

        self.refused(request, save)

    def delete_model(self, request, obj):
        self.refused(
            request,
            lambda: services.set_caption_feed(obj.meeting, obj.language, "", actor=request.user),
        )


@admin.register(Interpreter)
class InterpreterAdmin(_OnePerKey):
    """services.add_interpreter for the booth and relay; taking an interpreter off (active)
    or deleting one is audited here."""

    list_display = ["user", "consultation", "booth", "relay", "active"]
    fields = ["consultation", "user", "booth", "relay", "active"]
    key_fields = ["consultation", "user"]

    def save_model(self, request, obj, form, change):
        def save():
            with transaction.atomic():
                saved = services.add_interpreter(
                    obj.consultation, obj.user, obj.booth, obj.relay, actor=request.user
                )
                obj.pk = saved.pk
                if saved.active != obj.active:
                    saved.active = obj.active
                    saved.save(update_fields=["active"])
                    record(request, "changed", saved, {"active": obj.active})

        self.refused(request, save)

    def delete_model(self, request, obj):
        with transaction.atomic():
            record(request, "deleted", obj, {"was": str(obj)})
            obj.delete()


@admin.register(SupportRequest)
class SupportRequestAdmin(ServiceAdmin):
    """Opened by the person asking (remote.services.open_request); here, as on the desk, it is
    assigned (services.assign) and its status set (services.set_status)."""

    list_display = ["pk", "consultation", "name", "channel", "status", "assignee", "created_at"]
    list_filter = ["status", "channel"]
    fields = ["consultation", "name", "email", "channel", "status", "assignee"]
    readonly_fields = ["consultation", "name", "email", "channel"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changed = changes(form)

        def save():
            with transaction.atomic():
                current = SupportRequest.objects.get(pk=obj.pk)
                if "assignee" in changed and obj.assignee is not None:
                    current = services.assign(current, obj.assignee, actor=request.user)
                if "status" in changed:
                    services.set_status(current, obj.status, actor=request.user)

        self.refused(request, save)
