"""Reads of remote participation shared by its pages, the IT support chat's socket and the
API: the support desk's queue, one's own help requests, and the webcast."""

from plenary.registration.session import participant_of, session_and_user

from .models import MeetingLinks, SupportRequest
from .rules import owns

# The help requests a browser session opened, so that a person without a session of their
# own (whose link fails) can follow theirs.
SUPPORT_SESSION_KEY = "plenary_support_requests"
REMEMBERED = 20

# The support desk's filters: the open requests (not resolved), all, or one status.
DESK_FILTERS = ("open", "all", *SupportRequest.Status.values)


def remembered_requests(session) -> list[int]:
    return session.get(SUPPORT_SESSION_KEY, [])


def remember_request(session, support_request: SupportRequest) -> None:
    """The session remembers the request it opened (the last few only)."""
    mine = remembered_requests(session)
    session[SUPPORT_SESSION_KEY] = [*mine[-(REMEMBERED - 1) :], support_request.pk]


def is_own_request(request_or_scope, support_request: SupportRequest, consultation) -> bool:
    """Whether the caller (an HTTP request or a socket's scope) opened the request: as its
    participant, its signed-in account, or the browser session that opened it."""
    session, user = session_and_user(request_or_scope)
    return owns(
        support_request,
        participant=participant_of(request_or_scope, consultation),
        user=user,
        remembered=remembered_requests(session),
    )


def desk_requests(consultation, status: str):
    """IT support's queue, oldest first, by one of DESK_FILTERS; any other value shows all
    (as "all" does)."""
    requests = consultation.support_requests.select_related(
        "assignee", "participant__delegation"
    ).order_by("created_at")
    if status == "open":
        return requests.exclude(status=SupportRequest.Status.RESOLVED)
    if status in SupportRequest.Status.values:
        return requests.filter(status=status)
    return requests


def webcast(meeting) -> dict:
    """The webcast's address and captions of a meeting (the current or next one, or None)."""
    links = MeetingLinks.objects.filter(meeting=meeting).first() if meeting else None
    return {
        "meeting": meeting,
        "webcast_url": links.webcast_url if links else "",
        "captions": list(meeting.caption_feeds.all()) if meeting else [],
    }
