"""Addresses of remote participation, under /<language>/c/<consultation>/."""

from django.urls import path

from . import views

urlpatterns = [
    path("meetings/<int:meeting_id>/join/", views.meeting_join, name="meeting_join"),
    path(
        "meetings/<int:meeting_id>/access.json",
        views.meeting_access_json,
        name="meeting_access_json",
    ),
    path("listening/", views.listening, name="listening"),
    path("rehearsal/check/", views.rehearsal_check, name="rehearsal_check"),
    path("webcast/", views.webcast, name="webcast"),
    path("remote/", views.manage, name="remote_manage"),
    path("remote/meetings/<int:meeting_id>/", views.manage_meeting, name="remote_meeting"),
    path("booth/", views.booth, name="booth"),
    path("help/", views.support_new, name="support_new"),
    path("help/<int:request_id>/", views.support_thread, name="support_thread"),
    path("support/", views.desk, name="support_desk"),
    path("support/<int:request_id>/", views.desk_request, name="desk_request"),
]
