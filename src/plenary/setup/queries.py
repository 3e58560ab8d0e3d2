"""What a change of settings would contradict, and the dates a set of settings produces."""

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from plenary.ballots.models import Ballot
from plenary.contributions.models import Contribution
from plenary.core import timezones
from plenary.planning.models import Meeting
from plenary.planning.services import days_needed
from plenary.registration.models import Capacity, Participant
from plenary.registration.services import ENTITLED_AT_A_MEETING, speakers_by_meeting

from .catalogue import MOVES_MEETINGS

DONE = [Contribution.Status.SUBMITTED, Contribution.Status.PUBLISHED]


def blockers(current, candidate, changed: set[str]) -> list[str]:
    """Each thing already done that the candidate settings would contradict, in words the
    secretariat can act on; empty when the change can be applied."""
    found: list[str] = []
    capacity = Capacity.objects.filter(consultation=current).first()
    if capacity is not None:
        if candidate.speaker_capacity < capacity.speakers:
            found.append(
                _("%(count)s speakers are already named: the speaker capacity cannot go below.")
                % {"count": capacity.speakers}
            )
        fullest = max(speakers_by_meeting(current).values(), default=0)
        if capacity.speakers < fullest and candidate.speaker_capacity < fullest:
            found.append(_(ENTITLED_AT_A_MEETING) % {"count": fullest})
        if candidate.viewer_capacity < capacity.viewers:
            found.append(
                _("%(count)s viewers are already approved: the viewer capacity cannot go below.")
                % {"count": capacity.viewers}
            )
    over = current.delegations.filter(speakers__gt=candidate.speakers_per_delegation_max)
    for delegation in over.select_related("state", "sector_member"):
        found.append(
            _("%(delegation)s has already named %(count)s speakers.")
            % {"delegation": delegation, "count": delegation.speakers}
        )
    found += _contribution_blockers(current, candidate)
    if changed & MOVES_MEETINGS:
        found += _meeting_blockers(current, candidate)
    if "registration_opens_on" in changed:
        early = Participant.objects.filter(
            consultation=current, registered_at__lt=candidate.registration_opens_at
        ).count()
        if early:
            found.append(
                _("%(count)s people registered before the new opening date.") % {"count": early}
            )
    launched = Ballot.objects.filter(
        consultation=current, status__in=[Ballot.Status.OPEN, Ballot.Status.CLOSED]
    )
    if "council_term" in changed and launched.exists():
        found.append(_("A decision by correspondence has been launched with the current Council."))
    return found


def _contribution_blockers(current, candidate) -> list[str]:
    found = []
    done = Contribution.objects.filter(consultation=current, status__in=DONE).select_related(
        "item__group"
    )
    late = done.filter(submitted_at__gt=candidate.contribution_deadline)
    for contribution in late:
        found.append(
            _("“%(title)s” was submitted on %(when)s, after the new deadline.")
            % {
                "title": contribution.title[:80],
                "when": timezones.format_moment(contribution.submitted_at, candidate.time_zone),
            }
        )
    for contribution in done.filter(pages__gt=candidate.contribution_max_pages):
        found.append(
            _("“%(title)s” has %(pages)s pages, more than the new limit.")
            % {"title": contribution.title[:80], "pages": contribution.pages}
        )
    open_groups = set(candidate.contribution_groups or [])
    for contribution in done.exclude(item__group__number__in=open_groups):
        found.append(
            _("“%(title)s” concerns Group %(group)s, which would be closed to contributions.")
            % {"title": contribution.title[:80], "group": contribution.item.group.number}
        )
    return found


def _meeting_blockers(current, candidate) -> list[str]:
    found = []
    now = timezone.now()
    begun = Meeting.objects.filter(consultation=current, starts_at__lte=now)
    wanted = dict(_windows(candidate))
    for meeting in begun:
        if wanted.get((meeting.kind, meeting.number)) != (meeting.starts_at, meeting.ends_at):
            found.append(
                _("%(meeting)s has already begun (%(when)s): it cannot move.")
                % {
                    "meeting": meeting.get_kind_display() + f" {meeting.number}",
                    "when": timezones.format_moment(meeting.starts_at, current.time_zone),
                }
            )
    latest = current.plan_versions.aggregate(n=Max("number"))["n"]
    if latest and candidate.max_days < days_needed(current):
        found.append(
            _("The published plan uses %(days)s days: publish a shorter plan first.")
            % {"days": days_needed(current)}
        )
    return found


def _windows(c):
    """(kind, number) -> (start, end) of the meetings the candidate settings produce."""
    for number, day in enumerate(c.meeting_days(), start=1):
        yield (Meeting.Kind.MEETING, number), c.window_on(day)
    if c.rehearsal_window:
        yield (Meeting.Kind.REHEARSAL, 1), c.rehearsal_window


def date_preview(c) -> dict:
    """The dates the settings produce, in the consultation's zone and in UTC (the preview
    the secretariat checks before saving)."""

    def both(moment):
        return {"local": moment.astimezone(timezones.zone(c.time_zone)), "utc": moment}

    return {
        "registration_opens": both(c.registration_opens_at),
        "contribution_deadline": both(c.contribution_deadline),
        "rehearsal": [both(moment) for moment in c.rehearsal_window] if c.rehearsal_on else None,
        "days": [
            {"day": day, "start": both(start), "end": both(end)}
            for day in c.meeting_days()
            for start, end in [c.window_on(day)]
        ],
    }
