"""The daily journal (page, Word, PDF) for everyone who may see the consultation, and the
rolling list of speakers of an item for its participants, delegations and the chair."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.translation import gettext as _

from plenary.consultations.access import consultation_permission
from plenary.consultations.models import AgendaItem
from plenary.core.downloads import download
from plenary.floor.models import Floor
from plenary.floor.snapshot import version
from plenary.registration.session import participant_of

from . import journal, speakers


def _day(text: str) -> datetime.date:
    """A day of the URL, written YYYY-MM-DD; anything else is not found."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return datetime.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise Http404 from None


def _language(request) -> str:
    """The language chosen for the journal (?language=fr), else the reader's."""
    chosen = request.GET.get("language", "")
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return translation.get_language()


@consultation_permission(None)
def journal_index(request, consultation):
    days = journal.journal_days(consultation)
    return render(
        request,
        "reports/journal_days.html",
        {"consultation": consultation, "days": days},
    )


@consultation_permission(None)
def journal_day(request, consultation, day):
    day = _day(day)
    language = _language(request)
    days = journal.journal_days(consultation)
    return render(
        request,
        "reports/journal.html",
        {
            **journal.journal_context(consultation, day, language),
            "consultation": consultation,
            "iso_day": day.isoformat(),
            "previous_day": max((d for d in days if d < day), default=None),
            "next_day": min((d for d in days if d > day), default=None),
            "languages": settings.LANGUAGES,
        },
    )


@consultation_permission(None)
def journal_docx(request, consultation, day):
    day = _day(day)
    language = _language(request)
    return download(
        journal.journal_docx(consultation, day, language),
        f"{consultation.slug}-journal-{day.isoformat()}-{language}.docx",
    )


@consultation_permission(None)
def journal_pdf(request, consultation, day):
    day = _day(day)
    language = _language(request)
    content = journal.journal_pdf(consultation, day, language)
    if content is None:
        raise Http404(_("PDF is not available on this server; download the Word document."))
    return download(content, f"{consultation.slug}-journal-{day.isoformat()}-{language}.pdf")


def _may_follow(request, consultation) -> tuple:
    """The participant reading (None for the chair, the secretariat or a delegation's
    focal point signed in); anyone else is refused."""
    participant = participant_of(request, consultation)
    user = request.user
    if participant is None and not (
        user.has_perm("consultations.chair_meeting", consultation)
        or user.has_perm("consultations.represent_state", consultation)
        or user.has_perm("registration.manage", consultation)
    ):
        raise PermissionDenied
    return participant


@consultation_permission(None)
def speakers_list(request, consultation, item_id=None):
    """The rolling list of an item; without one, of the item on the floor, whichever it is
    (or a line saying there is none). `?part=list` gives the list alone, for the page to
    redraw itself; with `since=<version>` too, nothing (204) while the floor has not
    changed."""
    participant = _may_follow(request, consultation)
    follow_floor = item_id is None
    if follow_floor:
        floor = Floor.objects.filter(consultation=consultation).first()
        item_id = floor.item_id if floor else None
    item = None
    if item_id is not None:
        item = get_object_or_404(
            AgendaItem.objects.select_related("group"),
            pk=item_id,
            group__consultation=consultation,
        )
    current = version(consultation.pk)
    part = request.GET.get("part") == "list"
    since = request.GET.get("since", "")
    if part and since.isdigit() and int(since) == current:
        return HttpResponse(status=204)
    language = translation.get_language()
    context = {
        "consultation": consultation,
        "list": speakers.rolling_list(consultation, item, language) if item else None,
        "version": current,
    }
    if part:
        return render(request, "reports/_speakers_list.html", context)
    return render(
        request,
        "reports/speakers.html",
        {
            **context,
            "items": speakers.items_with_a_list(consultation),
            "follow_floor": follow_floor,
            "ws": bool(participant)
            or request.user.has_perm("consultations.chair_meeting", consultation),
        },
    )
