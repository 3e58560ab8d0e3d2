"""Reads of the statements for interpreters, shared by the pages and the API: who sees
which, newest first, and when each will be read as far as it is known."""

from datetime import datetime, timedelta

from django.utils import timezone

from plenary.consultations.rules import is_secretariat
from plenary.floor.models import Floor
from plenary.floor.queries import waiting_queue
from plenary.planning.models import Meeting
from plenary.planning.queries import latest_plan
from plenary.remote.services import interpreter_of

from .models import Statement


def readable_by(user, consultation, *, meeting: Meeting | None = None, now: datetime | None = None):
    """The statements a person may read, newest first: the secretariat all of them
    (withdrawn ones included, without their file); an interpreter of the consultation those
    of meetings not yet past their withdrawal; anyone else none."""
    now = now or timezone.now()
    statements = Statement.objects.filter(consultation=consultation).select_related(
        "meeting", "item__group", "delegation__state", "delegation__sector_member", "speaker"
    )
    if meeting is not None:
        statements = statements.filter(meeting=meeting)
    if is_secretariat(user, consultation):
        return statements
    if not user.is_authenticated or interpreter_of(user, consultation) is None:
        return statements.none()
    cutoff = now - timedelta(hours=consultation.statement_withdraw_hours)
    return statements.filter(withdrawn_at__isnull=True, meeting__ends_at__gt=cutoff)


def sent_for(meeting: Meeting, speakers) -> list[Statement]:
    """What was sent for these speakers in this meeting, newest first (the sender's page)."""
    return list(
        Statement.objects.filter(meeting=meeting, speaker__in=speakers).select_related(
            "item__group", "speaker"
        )
    )


def with_reading_times(statements, consultation) -> list[Statement]:
    """Each statement with `planned_at` (the start of its item in the published plan, on
    its meeting's day) and `place` (1 while its speaker has the floor on that item, 2 for
    the first one waiting, and so on), None where not known."""
    statements = list(statements)
    plan = latest_plan(consultation)
    slots = {(s["day"], s["item"]): s["start"] for s in (plan.slots if plan else [])}
    floor = Floor.objects.filter(consultation=consultation).select_related("speaking").first()
    places: dict[int, int] = {}
    if floor is not None and floor.meeting_id and floor.item_id:
        order = ([floor.speaking] if floor.speaking_id else []) + waiting_queue(floor)
        for number, request in enumerate(order, start=1):
            places.setdefault(request.participant_id, number)
    for statement in statements:
        meeting = statement.meeting
        start = None
        if meeting.kind == Meeting.Kind.MEETING:
            start = slots.get((meeting.number - 1, statement.item_id))
        statement.planned_at = datetime.fromisoformat(start) if start else None
        live = (
            floor is not None
            and floor.meeting_id == meeting.pk
            and floor.item_id == statement.item_id
        )
        statement.place = places.get(statement.speaker_id) if live else None
        statement.withdraws_at = meeting.ends_at + timedelta(
            hours=consultation.statement_withdraw_hours
        )
    return statements
