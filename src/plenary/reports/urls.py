"""The daily journal and the rolling list of speakers, under /c/<slug>/."""

from django.urls import path

from . import journal_views

urlpatterns = [
    path("journal/", journal_views.journal_index, name="journal_days"),
    path("journal/<str:day>/", journal_views.journal_day, name="journal"),
    path("journal/<str:day>.docx", journal_views.journal_docx, name="journal_docx"),
    path("journal/<str:day>.pdf", journal_views.journal_pdf, name="journal_pdf"),
    path("speakers/", journal_views.speakers_list, name="speakers"),
    path("speakers/<int:item_id>/", journal_views.speakers_list, name="speakers_item"),
]
