"""Pages of the statements for interpreters: a speaker (from their meeting's join page) or
their focal point sends the text; the interpreters and the secretariat read the list and
download the files, "check against delivery"."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from plenary.consultations.access import consultation_permission
from plenary.consultations.models import AgendaItem
from plenary.contributions import filecheck
from plenary.core.downloads import download
from plenary.core.errors import DomainError
from plenary.core.uploads import LimitedUploadHandler
from plenary.planning.models import Meeting
from plenary.registration.models import Participant
from plenary.registration.session import participant_of

from . import queries, services
from .forms import StatementForm


def _meeting(consultation, meeting_id: int) -> Meeting:
    return get_object_or_404(Meeting, pk=meeting_id, consultation=consultation)


def _sender(request, consultation):
    """Who sends: a signed-in focal point or the secretariat as themselves (for a speaker
    they choose), else the participant of the personal-link session (for themselves)."""
    user = request.user
    if user.is_authenticated and (
        services.may_read_all(user, consultation)
        or user.focal_point_of.filter(delegation__consultation=consultation).exists()
    ):
        return None, user
    participant = participant_of(request, consultation)
    if participant is not None:
        return participant, None
    return None, (user if user.is_authenticated else None)


def _form(consultation, meeting, speakers, data=None, files=None, participant=None):
    initial = {"language": participant.language if participant else translation.get_language()}
    if len(speakers) == 1:
        initial["speaker"] = speakers[0]
    floor = getattr(consultation, "floor", None)
    if floor is not None and floor.meeting_id == meeting.pk and floor.item_id:
        initial["item"] = floor.item_id
    return StatementForm(
        data,
        files,
        initial=initial,
        items=AgendaItem.objects.filter(group__consultation=consultation)
        .select_related("group")
        .order_by("group__number", "position", "number"),
        speakers=Participant.objects.filter(pk__in=[p.pk for p in speakers]).select_related(
            "delegation__state", "delegation__sector_member"
        ),
        languages=consultation.languages,
    )


@never_cache
@consultation_permission(None)
def statement_next(request, consultation):
    """The focal point's way in: the page of the current or next meeting."""
    meeting = consultation.meetings.filter(ends_at__gt=timezone.now()).order_by("starts_at").first()
    if meeting is None:
        messages.info(request, _("No meeting is ahead; statements are sent before a meeting."))
        return redirect("consultation_home", consultation.slug)
    return redirect("statement_send", consultation.slug, meeting.pk)


@csrf_exempt
def statement_send(request, slug, meeting_id):
    """The sending page; the size limit is applied while a file arrives, and CSRF is
    checked after the upload handler is in place (as for contributions)."""
    if request.method == "POST":
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > filecheck.MAX_BYTES + 64 * 1024:
            messages.error(
                request,
                _("The file is larger than %(mb)s MB.")
                % {"mb": filecheck.MAX_BYTES // (1024 * 1024)},
            )
            return redirect("statement_send", slug, meeting_id)
        request.upload_handlers.insert(0, LimitedUploadHandler(request, limit=filecheck.MAX_BYTES))
    return _statement_send(request, slug, meeting_id)


@never_cache
@csrf_protect
@consultation_permission(None)
def _statement_send(request, consultation, meeting_id):
    meeting = _meeting(consultation, meeting_id)
    participant, user = _sender(request, consultation)
    speakers = services.speakers_for(meeting, user=user, participant=participant)
    context = {
        "consultation": consultation,
        "meeting": meeting,
        "participant": participant,
        "speakers": speakers,
        "ended": timezone.now() >= meeting.ends_at,
        "withdraws_at": services.withdrawn_from(meeting),
        "upcoming": consultation.meetings.filter(ends_at__gt=timezone.now()).order_by("starts_at"),
        "queue_notice": filecheck.QUEUE_NOTICE,
    }
    if participant is None and user is None:
        context["refusal"] = _("Open the personal link you received by e-mail.")
        return render(request, "statements/send.html", context, status=403)
    form = _form(consultation, meeting, speakers, participant=participant)
    if request.method == "POST":
        form = _form(
            consultation, meeting, speakers, request.POST, request.FILES, participant=participant
        )
        upload = request.FILES.get("upload")
        if upload is None:
            messages.error(
                request,
                _("Choose a file (at most %(mb)s MB).")
                % {"mb": filecheck.MAX_BYTES // (1024 * 1024)},
            )
            return redirect("statement_send", consultation.slug, meeting.pk)
        # A speaker sends for themselves (as through the API); the others name the speaker.
        speaker = participant or _named(
            Participant, request.POST.get("speaker"), consultation=consultation
        )
        item = _named(AgendaItem, request.POST.get("item"), group__consultation=consultation)
        if item is None:
            raise DomainError(_("Choose an agenda item of this consultation."), code="wrong_item")
        services.send_statement(
            meeting,
            item=item,
            speaker=speaker,
            language=request.POST.get("language", ""),
            data=upload.read(filecheck.MAX_BYTES + 1),
            user=user,
            participant=participant,
        )
        messages.success(request, _("Your statement has been sent to the interpreters."))
        return redirect("statement_send", consultation.slug, meeting.pk)
    context["form"] = form
    context["sent"] = queries.sent_for(meeting, speakers)
    return render(request, "statements/send.html", context)


def _named(model, value, **scope):
    """The object a form's field names, within scope; a person in another delegation or an
    item of another consultation is not found (the service says why it is refused)."""
    if not value or not str(value).isdigit():
        return None
    return model.objects.filter(pk=int(value), **scope).first()


@never_cache
@consultation_permission("statements.read")
def statement_list(request, consultation):
    """The interpreters' list (their meetings' statements until withdrawn), the
    secretariat's (all), newest first."""
    meeting = None
    wanted = request.GET.get("meeting", "")
    if wanted.isdigit():
        meeting = _meeting(consultation, int(wanted))
    statements = queries.readable_by(request.user, consultation, meeting=meeting)
    return render(
        request,
        "statements/list.html",
        {
            "consultation": consultation,
            "meeting": meeting,
            "meetings": consultation.meetings.order_by("starts_at"),
            "statements": queries.with_reading_times(statements, consultation),
            "secretariat": services.may_read_all(request.user, consultation),
        },
    )


@never_cache
@consultation_permission(None)
def statement_file(request, consultation, statement_id):
    """The file, named "…-check-against-delivery", for those who may read it; a forged
    number is not found, and recorded like a refusal."""
    statement = services.statement_of(consultation, statement_id, user=request.user)
    if statement is None:
        raise Http404
    content, name = services.read_statement(statement, user=request.user)
    return download(content, name)
