"""Addresses of the statements for interpreters, under /<language>/c/<consultation>/."""

from django.urls import path

from . import views

urlpatterns = [
    path("meetings/<int:meeting_id>/statements/", views.statement_send, name="statement_send"),
    path("statements/send/", views.statement_next, name="statement_next"),
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/<int:statement_id>/file", views.statement_file, name="statement_file"),
]
