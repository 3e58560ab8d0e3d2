"""Who is calling: the approved participant behind an HTTP request or a WebSocket's scope.

A participant without an account holds a browser session opened from their personal link
(`open_link_session`); one with an account may also be found from the signed-in account;
an API client may carry a participant token (`request.api_participant`, set by the API's
token check). The pages, the API and the sockets of the live floor and of IT support all
ask `participant_of`, so that the same person is found, or not, the same way everywhere."""

from collections.abc import Mapping

from .models import AccessLink, Participant

SESSION_KEY = "plenary_participant"
# The link that opened the session. A withdrawn participant is found no more; a replaced
# link still finds its participant here (the pages follow their current role), but gives no
# access to a meeting (remote.services.meeting_access, given `link_of`).
LINK_SESSION_KEY = "plenary_link"


def open_link_session(request, link: AccessLink) -> None:
    """The personal link becomes a session of its participant (under a new session key, so
    that a session id known before the link was used is worth nothing)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = link.participant.pk
    request.session[LINK_SESSION_KEY] = link.pk


def link_of(request) -> int | None:
    """The personal link that opened the browser session, if one did."""
    return request.session.get(LINK_SESSION_KEY)


def session_and_user(request_or_scope):
    """The session (as a mapping) and the user of an HTTP request or of a Channels scope."""
    if isinstance(request_or_scope, Mapping):
        return request_or_scope.get("session") or {}, request_or_scope.get("user")
    return request_or_scope.session, request_or_scope.user


def participant_of(request_or_scope, consultation) -> Participant | None:
    """The approved participant of `consultation` who is calling, or None.

    A participant token answers alone: its participant, if approved and of this
    consultation (the token itself stops working once its link is replaced). Otherwise the
    personal-link session, then the signed-in account's own participation."""
    token_participant = getattr(request_or_scope, "api_participant", None)
    if token_participant is not None:
        if (
            token_participant.consultation_id == consultation.pk
            and token_participant.status == Participant.Status.APPROVED
        ):
            return token_participant
        return None
    session, user = session_and_user(request_or_scope)
    approved = Participant.objects.filter(
        consultation=consultation, status=Participant.Status.APPROVED
    )
    participant_id = session.get(SESSION_KEY)
    if participant_id:
        participant = approved.filter(pk=participant_id).first()
        if participant is not None:
            return participant
    if user is not None and user.is_authenticated:
        return approved.filter(user=user).first()
    return None
