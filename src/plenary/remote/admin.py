from django.contrib import admin

from plenary.core.admin import AuditedAdmin, ReadOnlyAdmin

from .models import CaptionFeed, Interpreter, MeetingLinks, RemoteSettings, SupportRequest


@admin.register(RemoteSettings)
class RemoteSettingsAdmin(ReadOnlyAdmin):
    """Lobby and webcast are settings of the consultation's Settings page; the platform is
    chosen on the remote participation page."""

    list_display = ["consultation", "platform", "webcast_public", "lobby_minutes"]


@admin.register(MeetingLinks)
class MeetingLinksAdmin(AuditedAdmin):
    list_display = ["meeting", "speaker_url", "viewer_url"]


@admin.register(CaptionFeed)
class CaptionFeedAdmin(AuditedAdmin):
    list_display = ["meeting", "language", "url"]


@admin.register(Interpreter)
class InterpreterAdmin(AuditedAdmin):
    list_display = ["user", "consultation", "booth", "relay", "active"]


@admin.register(SupportRequest)
class SupportRequestAdmin(AuditedAdmin):
    list_display = ["pk", "consultation", "name", "channel", "status", "assignee", "created_at"]
    list_filter = ["status", "channel"]
