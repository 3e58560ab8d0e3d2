"""Pages of remote participation: joining a meeting, the listening language, the rehearsal
check, the webcast, the secretariat's set-up, the interpreters' booth, and IT support."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from plenary.consultations.access import consultation_permission
from plenary.core import ratelimit
from plenary.core.errors import DomainError
from plenary.core.sessions import session_in_transaction
from plenary.planning.models import Meeting
from plenary.registration import services as registration
from plenary.registration.session import link_of, participant_of

from . import queries, services
from .adapters import FLOOR
from .forms import (
    CaptionForm,
    InterpreterForm,
    MeetingLinksForm,
    RemoteSettingsForm,
    ReplyForm,
    SupportForm,
)
from .models import MeetingLinks, SupportRequest


def _meeting(consultation, meeting_id: int) -> Meeting:
    # A meeting of another consultation is not found here: its number says nothing.
    return get_object_or_404(Meeting, pk=meeting_id, consultation=consultation)


# --- participants -----------------------------------------------------------------------------


@never_cache
@consultation_permission(None)
def meeting_join(request, consultation, meeting_id):
    """A participant's way into one meeting: their role's address or tokens, the listening
    language, captions and the webcast. Reached from the personal-link session only."""
    meeting = _meeting(consultation, meeting_id)
    participant = participant_of(request, consultation)
    access, refusal = None, None
    try:
        access = services.meeting_access(participant, meeting, link_id=link_of(request))
    except DomainError as error:
        refusal = error.user_message()
    return render(
        request,
        "remote/join.html",
        {
            "consultation": consultation,
            "meeting": meeting,
            "participant": participant,
            "access": access,
            "refusal": refusal,
            "listening": services.listening_language(participant) if participant else FLOOR,
            "languages": services.consultation_languages(consultation),
            "captions": meeting.caption_feeds.all(),
            "grants": registration.extra_speaker_grants(participant) if participant else [],
        },
        status=403 if participant is None else 200,
    )


@never_cache
@require_POST
@consultation_permission(None)
def meeting_access_json(request, consultation, meeting_id):
    """Tokens for a platform client (LiveKit), as JSON. `publish=1` asks to be heard."""
    meeting = _meeting(consultation, meeting_id)
    try:
        access = services.meeting_access(
            participant_of(request, consultation),
            meeting,
            publish=request.POST.get("publish") == "1",
            link_id=link_of(request),
        )
    except DomainError as error:
        return JsonResponse(
            {"code": error.code, "message": error.user_message()}, status=error.status
        )
    return JsonResponse(
        {
            "platform": access.platform,
            "role": access.role,
            "url": access.url,
            "expires_at": access.expires_at.isoformat(),
            "rooms": [
                {"room": g.room, "can_publish": g.can_publish, "token": g.token}
                for g in access.grants
            ],
        }
    )


@require_POST
@consultation_permission(None)
def listening(request, consultation):
    participant = participant_of(request, consultation)
    if participant is None:
        raise PermissionDenied
    try:
        services.choose_listening(participant, request.POST.get("language", ""))
    except DomainError as error:
        messages.error(request, error.user_message())
    else:
        messages.success(request, _("Your listening language is saved."))
    target = request.POST.get("meeting")
    if target and target.isdigit():
        return redirect("meeting_join", consultation.slug, int(target))
    return redirect("participant_home", consultation.slug)


@consultation_permission(None)
def rehearsal_check(request, consultation):
    """R14: test the microphone, the camera and the personal link before the meetings."""
    participant = participant_of(request, consultation)
    rehearsal = (
        consultation.meetings.filter(kind=Meeting.Kind.REHEARSAL).order_by("starts_at").first()
    )
    return render(
        request,
        "remote/rehearsal_check.html",
        {
            "consultation": consultation,
            "participant": participant,
            "rehearsal": rehearsal,
            "role": services.role_in_meeting(participant, rehearsal)
            if participant and rehearsal
            else None,
        },
    )


@consultation_permission(None)
def webcast(request, consultation):
    """R28: the public webcast and captions of the current or next meeting."""
    participant = participant_of(request, consultation)
    if not services.may_watch_webcast(consultation, participant=participant, user=request.user):
        return render(
            request,
            "remote/webcast_closed.html",
            {"consultation": consultation},
            status=403,
        )
    meeting = services.current_or_next_meeting(consultation)
    return render(
        request,
        "remote/webcast.html",
        {"consultation": consultation, **queries.webcast(meeting)},
    )


# --- the secretariat --------------------------------------------------------------------------


@consultation_permission("remote.manage")
def manage(request, consultation):
    """The platform, each meeting's addresses and captions, the interpreters and the booths."""
    remote = services.settings_of(consultation)
    meetings = list(consultation.meetings.order_by("starts_at"))
    settings_form = RemoteSettingsForm(instance=remote)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "settings":
            settings_form = RemoteSettingsForm(request.POST, instance=remote)
            if settings_form.is_valid():
                settings_form.save()
                messages.success(request, _("Remote participation settings saved."))
                return redirect("remote_manage", consultation.slug)
        elif action == "interpreter":
            form = InterpreterForm(request.POST)
            user = None
            if form.is_valid():
                user = (
                    get_user_model()
                    .objects.filter(email__iexact=form.cleaned_data["email"])
                    .first()
                )
            if user is None:
                messages.error(request, _("No account has this e-mail address."))
            else:
                try:
                    services.add_interpreter(
                        consultation,
                        user,
                        form.cleaned_data["booth"],
                        form.cleaned_data["relay"],
                        actor=request.user,
                    )
                    messages.success(request, _("Interpreter saved."))
                except DomainError as error:
                    messages.error(request, error.user_message())
            return redirect("remote_manage", consultation.slug)
    for meeting in meetings:
        meeting.booth_rows = services.booths(meeting)
    return render(
        request,
        "remote/manage.html",
        {
            "consultation": consultation,
            "settings_form": settings_form,
            "meetings": meetings,
            "interpreters": consultation.interpreters.select_related("user"),
            "interpreter_form": InterpreterForm(),
        },
    )


@consultation_permission("remote.manage")
def manage_meeting(request, consultation, meeting_id):
    meeting = _meeting(consultation, meeting_id)
    links = MeetingLinks.objects.filter(meeting=meeting).first()
    form = MeetingLinksForm(instance=links)
    caption_form = CaptionForm()
    if request.method == "POST":
        if request.POST.get("action") == "caption":
            caption_form = CaptionForm(request.POST)
            if caption_form.is_valid():
                try:
                    services.set_caption_feed(
                        meeting,
                        caption_form.cleaned_data["language"],
                        caption_form.cleaned_data["url"],
                        actor=request.user,
                    )
                    messages.success(request, _("Caption feed saved."))
                    return redirect("remote_meeting", consultation.slug, meeting.pk)
                except DomainError as error:
                    messages.error(request, error.user_message())
        else:
            form = MeetingLinksForm(request.POST, instance=links)
            if form.is_valid():
                services.set_meeting_links(meeting, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Meeting addresses saved."))
                return redirect("remote_meeting", consultation.slug, meeting.pk)
    return render(
        request,
        "remote/manage_meeting.html",
        {
            "consultation": consultation,
            "meeting": meeting,
            "form": form,
            "caption_form": caption_form,
            "captions": meeting.caption_feeds.all(),
            "booth_rows": services.booths(meeting),
        },
    )


# --- interpreters -----------------------------------------------------------------------------


@never_cache
@consultation_permission(None)
def booth(request, consultation):
    interpreter = services.interpreter_of(request.user, consultation)
    if interpreter is None:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied
    meeting, access, refusal = None, None, None
    meeting_id = request.GET.get("meeting", "")
    if meeting_id.isdigit():
        meeting = _meeting(consultation, int(meeting_id))
        try:
            access = services.booth_access(interpreter, meeting)
        except DomainError as error:
            refusal = error.user_message()
    return render(
        request,
        "remote/booth.html",
        {
            "consultation": consultation,
            "interpreter": interpreter,
            "meetings": consultation.meetings.order_by("starts_at"),
            "meeting": meeting,
            "access": access,
            "refusal": refusal,
        },
    )


# --- IT support -------------------------------------------------------------------------------


@consultation_permission(None)
@session_in_transaction
def support_new(request, consultation):
    """R30: the help button's page. Works without a session: a person whose link fails
    must still reach IT support."""
    participant = participant_of(request, consultation)
    form = SupportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            support_request = services.open_request(
                consultation,
                channel=data["channel"],
                subject=data["subject"],
                body=data["body"],
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                language=request.LANGUAGE_CODE,
                participant=participant,
                user=request.user,
                client=ratelimit.client_address(request),
            )
        except DomainError as error:
            form.add_error(None, error.user_message())
        else:
            queries.remember_request(request.session, support_request)
            return redirect("support_thread", consultation.slug, support_request.pk)
    return render(
        request,
        "remote/support_new.html",
        {"consultation": consultation, "participant": participant, "form": form},
    )


@never_cache
@consultation_permission(None)
def support_thread(request, consultation, request_id):
    """The person's own request: its messages, a reply box, and the live chat."""
    support_request = get_object_or_404(SupportRequest, pk=request_id, consultation=consultation)
    if not queries.is_own_request(request, support_request, consultation):
        raise Http404
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_message(support_request, form.cleaned_data["text"], from_support=False)
            return redirect("support_thread", consultation.slug, support_request.pk)
        except DomainError as error:
            form.add_error("text", error.user_message())
    return render(
        request,
        "remote/support_thread.html",
        {
            "consultation": consultation,
            "support_request": support_request,
            "chat_messages": support_request.messages.all(),
            "form": form,
            "staff": False,
        },
    )


@consultation_permission("remote.support")
def desk(request, consultation):
    """IT support's queue: open requests first, oldest first, with who handles them."""
    status = request.GET.get("status", "open")
    return render(
        request,
        "remote/desk.html",
        {
            "consultation": consultation,
            "requests": queries.desk_requests(consultation, status),
            "status": status,
            "statuses": SupportRequest.Status.choices,
        },
    )


@never_cache
@consultation_permission("remote.support")
def desk_request(request, consultation, request_id):
    support_request = get_object_or_404(SupportRequest, pk=request_id, consultation=consultation)
    form = ReplyForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "take":
                services.assign(support_request, request.user, actor=request.user)
            elif action == "assign":
                assignee = get_user_model().objects.filter(pk=request.POST.get("to") or 0).first()
                if assignee is None:
                    raise DomainError(
                        _("Requests can only be assigned to IT support staff."),
                        code="not_support_staff",
                    )
                services.assign(support_request, assignee, actor=request.user)
            elif action == "status":
                services.set_status(
                    support_request, request.POST.get("status", ""), actor=request.user
                )
            else:
                form = ReplyForm(request.POST)
                if form.is_valid():
                    services.reply_by_mail(
                        support_request, form.cleaned_data["text"], actor=request.user
                    )
                else:
                    raise DomainError(_("Write a message first."), code="empty_message")
        except DomainError as error:
            messages.error(request, error.user_message())
        else:
            return redirect("desk_request", consultation.slug, support_request.pk)
    return render(
        request,
        "remote/desk_request.html",
        {
            "consultation": consultation,
            "support_request": support_request,
            "chat_messages": support_request.messages.select_related("author"),
            "form": form,
            "staff": True,
            "staff_members": services.support_staff(support_request.consultation),
            "statuses": SupportRequest.Status.choices,
            "person": services.link_status(support_request.participant),
        },
    )
