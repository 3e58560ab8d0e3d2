"""The living demo: a scenario's content (VCC-2 by default) with its dates moved around
today, and the data of one phase of the consultation, so that a newcomer can walk each
journey on the day they try it.

Every date of the scenario moves by one shift (the intervals of the letter are kept); the
Council term stays the historical one. The phase data is made through the services, as the
pages make it: registrations approved by the focal points, contributions submitted and
published, the plan published, the chair's floor, outcomes, a decision by correspondence.
A service that takes the moment of an act (`now=`, `at=`) is given one inside the window
it checks, when the phase places that window in the past (registration before a meeting
that has begun, contributions before their deadline)."""

import copy
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from pypdf import PdfWriter

from plenary.ballots import services as ballots
from plenary.ballots.models import Ballot, Reply
from plenary.consultations.models import (
    AgendaGroup,
    AgendaItem,
    Appointment,
    Consultation,
    weekdays,
)
from plenary.consultations.services import confirm_agenda
from plenary.contributions import services as contributions
from plenary.contributions.models import Contribution
from plenary.core.models import User
from plenary.core.yamlfile import load, require
from plenary.directory.models import CouncilSeat, CouncilTerm
from plenary.directory.services import as_date
from plenary.floor import services as floor
from plenary.floor.models import FloorRequest
from plenary.outcomes import services as outcomes
from plenary.outcomes.models import ItemOutcome, Objection
from plenary.planning import services as planning
from plenary.planning.models import Meeting
from plenary.registration import services as registration
from plenary.registration.models import Delegation, FocalPoint, Participant
from plenary.setup import services as setup_services

from .loader import LoadResult, load_scenario, scenario_file

PHASES = ("registration", "contributions", "meeting", "ballot", "report")
# Days from today to the contribution deadline, in the phases before the meetings.
DEADLINE_IN_DAYS = {"registration": 10, "contributions": 3}
# Days from the last meeting day to today, in the phases after the meetings.
ENDED_DAYS_AGO = {"ballot": 2, "report": 7}
# Council delegations that register besides those of the demo accounts.
MORE_DELEGATIONS = 6
VOTES = {"ballot": 18, "report": 37}


@dataclass
class Demo:
    phase: str
    result: LoadResult
    today: date
    built: bool  # False when the database already held participants: nothing was added
    # A fresh personal link (the token) of one participant, to join as them; or None.
    link: tuple[Participant, str] | None = None

    @property
    def consultation(self) -> Consultation:
        return self.result.consultation


@dataclass
class _Cast:
    """Who acts in the demo: the scenario's demo accounts, by their role."""

    consultation: Consultation
    secretariat: User
    chair: User

    @property
    def focal_points(self) -> list[FocalPoint]:
        return list(
            FocalPoint.objects.filter(delegation__consultation=self.consultation)
            .select_related("delegation__state", "user")
            .order_by("delegation__state__iso2")
        )

    def delegates(self) -> list[Appointment]:
        return list(
            Appointment.objects.filter(
                consultation=self.consultation, role=Appointment.Role.DELEGATE
            )
            .exclude(state=None)
            .select_related("state", "user")
            .order_by("state__iso2")
        )


# --- dates ------------------------------------------------------------------------------------


def local_today(zone: str) -> date:
    """Today in the consultation's zone (Geneva for VCC-2)."""
    return timezone.localtime(timezone.now(), ZoneInfo(zone)).date()


def scenario_calendar(name: str) -> Consultation:
    """An unsaved consultation with the scenario's own first day and calendar settings (the
    model's defaults for those the file leaves out), to compute the shift on."""
    path = scenario_file(name)
    if not path.exists():
        load_scenario(name)  # refuses, naming the scenarios there are
    settings_data = require(path, load(path), "consultation", dict)
    fields = {"starts_on": as_date(path, settings_data, "starts_on")}
    for key in ("max_days", "meeting_weekdays", "contribution_days_before", "time_zone"):
        if key in settings_data:
            fields[key] = settings_data[key]
    return Consultation(**fields)


def _last_day(calendar: Consultation, first: date) -> date:
    probe = copy.copy(calendar)
    probe.starts_on = first
    return probe.meeting_days()[-1]


def first_day(phase: str, today: date, calendar: Consultation) -> date:
    """The first meeting day that puts the consultation in `phase` on `today`:
    registration and contributions: the deadline so many days ahead (the first day is the
    deadline day plus the days the letter gives, moved on to a meeting weekday if it is not
    one); meeting: today, or the last meeting weekday before it; ballot and report: the
    meetings ended some days ago."""
    allowed = set(calendar.meeting_weekdays or weekdays())
    if phase in DEADLINE_IN_DAYS:
        day = today + timedelta(days=DEADLINE_IN_DAYS[phase] + calendar.contribution_days_before)
        while day.weekday() not in allowed:
            day += timedelta(days=1)
        return day
    if phase == "meeting":
        day = today
        while day.weekday() not in allowed:
            day -= timedelta(days=1)
        return day
    ended_by = today - timedelta(days=ENDED_DAYS_AGO[phase])
    day = ended_by
    while day.weekday() not in allowed or _last_day(calendar, day) > ended_by:
        day -= timedelta(days=1)
    return day


def key_dates(consultation: Consultation) -> list[tuple[str, str]]:
    """The dates a newcomer looks for, in order, with their labels, in the consultation's
    zone (for the command line)."""
    zone = ZoneInfo(consultation.time_zone)
    deadline = timezone.localtime(consultation.contribution_deadline, zone)
    return [
        ("letter", f"{consultation.letter_date}"),
        ("registration opens", f"{consultation.registration_opens_on}"),
        ("contributions due", f"{deadline:%Y-%m-%d %H:%M}"),
        ("rehearsal", f"{consultation.rehearsal_on}"),
        (
            "meetings",
            f"{consultation.starts_on} to {consultation.ends_on}, "
            f"{consultation.daily_start:%H:%M}-{consultation.daily_end:%H:%M}",
        ),
    ]


def summary(demo: "Demo") -> str:
    """One sentence on what the phase holds, for the command line."""
    consultation = demo.consultation
    participants = Participant.objects.filter(consultation=consultation)
    counts = {
        status: participants.filter(status=status).count() for status in Participant.Status.values
    }
    registered = (
        f"{counts[Participant.Status.APPROVED]} participants approved "
        f"({participants.filter(role=Participant.Role.SPEAKER).count()} speakers), "
        f"{counts[Participant.Status.PENDING]} waiting for approval"
    )
    if not demo.built:
        return f"{registered} (the data the database held before)."
    due = (consultation.contribution_deadline_day - demo.today).days
    if demo.phase == "registration":
        return f"registration is open, {registered}; contributions are due in {due} days."
    if demo.phase == "contributions":
        made = Contribution.objects.filter(consultation=consultation).exclude(
            status=Contribution.Status.DRAFT
        )
        published = made.filter(status=Contribution.Status.PUBLISHED).count()
        return (
            f"registration is open, {registered}; {made.count()} contributions "
            f"({published} published), due in {due} days."
        )
    live = floor.floor_of(consultation)
    if demo.phase == "meeting":
        waiting = FloorRequest.objects.filter(floor=live, status=FloorRequest.Status.WAITING)
        return (
            f"{live.meeting} is open: item {live.item.label} on the floor, "
            f"{live.speaking.delegation if live.speaking else 'nobody'} speaking, "
            f"{waiting.count()} delegations waiting (the remote rooms open only in the "
            f"meeting window, {consultation.daily_start:%H:%M}-{consultation.daily_end:%H:%M})."
        )
    ballot = Ballot.objects.filter(consultation=consultation).order_by("-pk").first()
    replies = Reply.objects.filter(proposal__ballot=ballot, current=True).count()
    if demo.phase == "ballot":
        deadline = timezone.localtime(ballot.deadline, ZoneInfo(consultation.time_zone))
        return (
            f"the meetings are over; “{ballot.title}” is open until {deadline:%Y-%m-%d %H:%M}, "
            f"{replies} replies so far."
        )
    adopted = all(result.adopted for _proposal, result in ballots.results(ballot))
    return (
        f"everything is over: “{ballot.title}” closed with {replies} replies, "
        f"{'adopted' if adopted else 'not adopted'}; the report is ready."
    )


# --- the demo ---------------------------------------------------------------------------------


def load_demo(phase: str = "registration", *, scenario: str = "vcc2") -> Demo:
    """Load the scenario with its dates moved around today and make the data of `phase`, in
    one transaction. A database that already holds participants of the consultation gets
    the new dates only."""
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; one of {', '.join(PHASES)}")
    calendar = scenario_calendar(scenario)
    today = local_today(calendar.time_zone)
    shift = (first_day(phase, today, calendar) - calendar.starts_on).days
    with transaction.atomic():
        result = load_scenario(scenario, shift_days=shift)
        consultation = result.consultation
        built = not Participant.objects.filter(consultation=consultation).exists()
        if built:
            _term_in_force(consultation, shift)
            cast = _cast(consultation)
            for step in STEPS[phase]:
                step(cast)
            link = _personal_link(cast)
        consultation.refresh_from_db()  # the services changed their own copies
    return Demo(phase, result, today, built, link if built else None)


def _term_in_force(consultation: Consultation, shift: int) -> None:
    """The historical Council, with its dates moved as the consultation's, so that the
    secretariat can move the demo's dates on its Settings page as it would a real one's.
    Its name says it is the demo's."""
    historical = consultation.council_term
    name = f"{historical.name} (demo)"
    term = CouncilTerm.objects.filter(name=name).first()
    if term is None:
        term = CouncilTerm.objects.create(
            name=name,
            starts_on=historical.starts_on + timedelta(days=shift),
            ends_on=historical.ends_on + timedelta(days=shift),
            source=historical.source,
        )
        CouncilSeat.objects.bulk_create(
            CouncilSeat(term=term, state=seat.state, region=seat.region)
            for seat in historical.seats.all()
        )
    setup_services.update_settings(consultation, {"council_term": term}, actor=None)


def _personal_link(cast: _Cast) -> tuple[Participant, str] | None:
    """A new link for the first approved participant of a Council delegation with a demo
    focal point (a speaker once the focal point has named one), sent by that focal point:
    the newcomer opens it to take part as that person."""
    focal = sorted(
        cast.focal_points, key=lambda f: f.delegation.category != Delegation.Category.COUNCIL
    )
    for point in focal:
        person = (
            Participant.objects.filter(
                delegation=point.delegation, status=Participant.Status.APPROVED
            )
            .order_by("role", "pk")  # "speaker" before "viewer"
            .first()
        )
        if person is not None:
            return person, registration.resend_link(person, actor=point.user)
    return None


def _cast(consultation: Consultation) -> _Cast:
    def one(role, scoped=True):
        appointment = (
            Appointment.objects.filter(role=role, consultation=consultation if scoped else None)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        return appointment.user if appointment else None

    return _Cast(
        consultation,
        secretariat=one(Appointment.Role.SECRETARIAT, scoped=False),
        chair=one(Appointment.Role.PRESIDING_OFFICER),
    )


# --- registration -----------------------------------------------------------------------------


def _while_open(consultation: Consultation) -> datetime:
    """Now, or the day before the first meeting when registration has closed since."""
    return min(timezone.now(), consultation.opens_at - timedelta(days=1))


def _register(consultation: Consultation, delegation: Delegation, n: int) -> Participant:
    code = delegation.state.iso2 if delegation.state_id else f"sm{delegation.pk}"
    return registration.register(
        consultation,
        delegation=delegation,
        name=f"Participant {n}, {delegation} (demo)",
        email=f"{code.lower()}{n}@example.org",
        function="Counsellor" if n == 1 else "Adviser",
        now=_while_open(consultation),
    )


def _registering(cast: _Cast) -> list[Delegation]:
    """The delegations with a demo focal point or delegate, then a few more Council ones."""
    consultation = cast.consultation
    chosen = [focal.delegation for focal in cast.focal_points]
    for appointment in cast.delegates():
        chosen.append(registration.delegation_for_state(consultation, appointment.state))
    others = (
        Delegation.objects.filter(consultation=consultation, category=Delegation.Category.COUNCIL)
        .exclude(pk__in=[d.pk for d in chosen])
        .select_related("state")
        .order_by("state__iso2")
    )
    return list(dict.fromkeys(chosen + list(others[:MORE_DELEGATIONS])))


def _registrations(cast: _Cast) -> None:
    """A delegation with a demo focal point: two approved by that focal point, a third
    waiting for it. Every other one: its first person approved by the secretariat, and every
    other delegation a second person waiting."""
    focal_users = {focal.delegation_id: focal.user for focal in cast.focal_points}
    for index, delegation in enumerate(_registering(cast)):
        decider = focal_users.get(delegation.pk)
        people = 3 if decider else 1 + index % 2
        for n in range(1, people + 1):
            person = _register(cast.consultation, delegation, n)
            if n == 1 or (decider and n == 2):
                registration.approve(person, actor=decider or cast.secretariat)


def _speakers(cast: _Cast) -> None:
    """The first approved person of each delegation named speaker: by the delegation's focal
    point where the demo has one, by the secretariat otherwise; one registration refused."""
    focal_users = {focal.delegation_id: focal.user for focal in cast.focal_points}
    approved = Participant.objects.filter(
        consultation=cast.consultation, status=Participant.Status.APPROVED
    ).order_by("delegation_id", "pk")
    named = set()
    for person in approved.select_related("delegation"):
        if person.delegation_id not in named:
            named.add(person.delegation_id)
            actor = focal_users.get(person.delegation_id) or cast.secretariat
            registration.designate_speaker(person, actor=actor)
    waiting = Participant.objects.filter(
        consultation=cast.consultation, status=Participant.Status.PENDING
    ).exclude(delegation_id__in=focal_users)
    first = waiting.order_by("pk").first()
    if first is not None:
        registration.reject(first, actor=cast.secretariat, note="Registered twice (demo).")


def _decide_the_rest(cast: _Cast) -> None:
    """Every registration still waiting is approved before the meetings."""
    for person in Participant.objects.filter(
        consultation=cast.consultation, status=Participant.Status.PENDING
    ):
        registration.approve(person, actor=cast.secretariat)


# --- contributions ----------------------------------------------------------------------------


def _open_items(consultation: Consultation) -> list[AgendaItem]:
    return list(
        AgendaItem.objects.filter(
            group__consultation=consultation,
            group__number__in=consultation.contribution_groups or [],
        )
        .select_related("group")
        .order_by("group__number", "position", "number")
    )


def _one_page_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _before_deadline(consultation: Consultation) -> datetime:
    return min(timezone.now(), consultation.contribution_deadline - timedelta(hours=1))


def _contributions(cast: _Cast) -> None:
    """Each demo focal point and delegate submits one contribution, on the web form (the
    fields of the Annex 3 template) or as a one-page PDF; the second one names a co-submitter
    that has not confirmed yet. The secretariat publishes the first."""
    consultation = cast.consultation
    items = _open_items(consultation)
    submitters = [(f.user, f.delegation.state) for f in cast.focal_points if f.delegation.state]
    submitters += [(a.user, a.state) for a in cast.delegates()]
    submitters = [
        (user, state) for user, state in submitters if state.is_member_on(consultation.starts_on)
    ]
    made = []
    for index, (user, state) in enumerate(submitters):
        item = items[(index * 4 + 1) % len(items)]
        fields = {
            "item": item,
            "title": f"Views of {state} on item {item.label}",
            "comments": f"{state} supports the proposal in the documents of item {item.label}.",
            "way_forward": "The Council is invited to agree to the proposal.",
            "lead_state": state,
            "actor": user,
            "now": _before_deadline(consultation),
        }
        if index == 1 and made:
            fields["co_states"] = [made[0].states.get(lead=True).state]
        if index % 2:
            draft, _fields = contributions.prepare_upload(
                consultation,
                data=_one_page_pdf(),
                filename=f"{state.iso2}.pdf",
                actor=user,
                now=fields["now"],
            )
            made.append(contributions.submit(draft, **fields))
        else:
            made.append(contributions.submit_form(consultation, **fields))
    if made:
        contributions.publish(made[0], actor=cast.secretariat)


def _publish_the_rest(cast: _Cast) -> None:
    """Co-submissions confirmed and every submitted contribution published."""
    submitted = Contribution.objects.filter(
        consultation=cast.consultation, status=Contribution.Status.SUBMITTED
    )
    for contribution in submitted.order_by("pk"):
        for row in contribution.states.filter(confirmed_at__isnull=True).select_related("state"):
            contributions.confirm_co_submission(
                contribution,
                row.state,
                actor=cast.secretariat,
                now=_before_deadline(cast.consultation),
            )
        contributions.publish(
            contribution, actor=cast.secretariat, now=_before_deadline(cast.consultation)
        )


# --- plan and meetings ------------------------------------------------------------------------


def _speaker_delegations(consultation: Consultation) -> list[Participant]:
    """One speaker per delegation, the first named."""
    speakers = Participant.objects.filter(
        consultation=consultation,
        status=Participant.Status.APPROVED,
        role=Participant.Role.SPEAKER,
    ).order_by("delegation_id", "pk")
    first: dict[int, Participant] = {}
    for speaker in speakers.select_related("delegation__state"):
        first.setdefault(speaker.delegation_id, speaker)
    return list(first.values())


def _plan(cast: _Cast) -> None:
    """Before the first meeting: the rest of the registrations decided, the contributions
    published, the states' replies on the first items, the agenda confirmed (at the opening
    of meeting 1) and the time management plan published."""
    _decide_the_rest(cast)
    _publish_the_rest(cast)
    consultation = cast.consultation
    items = [item for item in _open_items(consultation)][:6]
    for index, speaker in enumerate(_speaker_delegations(consultation)):
        state = speaker.delegation.state
        if state is None:
            continue
        for item in items[index % 3 :: 3]:
            planning.reply_on_item(item, state, will_speak=True, minutes=4, actor=cast.secretariat)
    # The agenda is confirmed at the opening meeting: the chair opens meeting 1 first.
    floor.open_meeting(consultation, _meeting(consultation, 0), actor=cast.chair)
    confirm_agenda(consultation, actor=cast.chair)
    planning.publish_plan(consultation, actor=cast.secretariat)


def _planned_items(consultation: Consultation) -> list[tuple[AgendaItem, dict]]:
    """The items of the first published plan with their slots, in the order planned."""
    version = consultation.plan_versions.order_by("number").first()
    slots = [slot for slot in version.slots if not slot.get("done")]
    items = AgendaItem.objects.select_related("group").in_bulk([slot["item"] for slot in slots])
    return [(items[slot["item"]], slot) for slot in slots]


def _meeting(consultation: Consultation, day_index: int) -> Meeting:
    return consultation.meetings.get(kind=Meeting.Kind.MEETING, number=day_index + 1)


def _queue(cast: _Cast, speakers: list[Participant]) -> None:
    for speaker in speakers:
        floor.ask_for_floor(speaker)


def _floor_now(cast: _Cast) -> None:
    """Today's meeting opened by the chair: the first planned item on the floor, one
    delegation has spoken, another has the floor, the others wait in the queue."""
    consultation = cast.consultation
    item, _slot = _planned_items(consultation)[0]
    floor.open_meeting(consultation, _meeting(consultation, 0), actor=cast.chair)
    planning.record_item_start(item, actor=cast.chair)
    floor.set_item(consultation, item, actor=cast.chair)
    _queue(cast, _speaker_delegations(consultation))
    floor.give_floor(consultation, actor=cast.chair)
    floor.end_speech(consultation, actor=cast.chair)
    floor.give_floor(consultation, actor=cast.chair)


def _discuss(cast: _Cast, item: AgendaItem, slot: dict, speakers: list[Participant]) -> None:
    consultation = cast.consultation
    planning.record_item_start(item, at=datetime.fromisoformat(slot["start"]), actor=cast.chair)
    floor.set_item(consultation, item, actor=cast.chair)
    _queue(cast, speakers)
    while floor.floor_of(consultation).item_id == item.pk and _waiting(consultation):
        floor.give_floor(consultation, actor=cast.chair)
        floor.end_speech(consultation, actor=cast.chair)
    planning.record_item_end(item, at=datetime.fromisoformat(slot["end"]), actor=cast.chair)


def _waiting(consultation: Consultation) -> bool:
    return FloorRequest.objects.filter(
        floor__consultation=consultation, status=FloorRequest.Status.WAITING
    ).exists()


def _meetings_held(cast: _Cast) -> None:
    """The meetings as they went: the first planned items discussed in their meetings, two
    or three delegations speaking on each, then a conclusion agreed, one proposed for a
    decision by correspondence, one deferred at a Council Member State's request; the Group
    3 items noted for information."""
    consultation = cast.consultation
    speakers = _speaker_delegations(consultation)
    urgent_done = False
    meeting_open = None
    for index, (item, slot) in enumerate(_planned_items(consultation)[:6]):
        if meeting_open != slot["day"]:
            meeting_open = slot["day"]
            floor.open_meeting(consultation, _meeting(consultation, slot["day"]), actor=cast.chair)
        _discuss(cast, item, slot, speakers[index % 3 :: 3][:3])
        if index == 2:
            _deferred(cast, item, speakers)
            continue
        outcomes.draft_conclusion(
            item,
            texts={"en": f"The Council agrees to the proposal on item {item.label}."},
            original="en",
            actor=cast.secretariat,
        )
        wanted = ItemOutcome.State.AGREED
        if item.group.kind == AgendaGroup.Kind.URGENT and not urgent_done and index:
            wanted, urgent_done = ItemOutcome.State.CORRESPONDENCE, True
        outcomes.record_outcome(item, wanted, actor=cast.chair)
    for item in AgendaItem.objects.filter(
        group__consultation=consultation, group__kind=AgendaGroup.Kind.FOR_INFORMATION
    ):
        outcomes.record_outcome(item, ItemOutcome.State.INFORMATION_NOTED, actor=cast.chair)


def _deferred(cast: _Cast, item: AgendaItem, speakers: list[Participant]) -> None:
    council = [
        s.delegation for s in speakers if s.delegation.category == Delegation.Category.COUNCIL
    ]
    outcomes.record_objection(
        item, council[-1], Objection.Kind.DEFER_CONCLUSION, actor=cast.secretariat
    )
    outcomes.record_outcome(item, ItemOutcome.State.DEFERRED, actor=cast.chair)


# --- decision by correspondence ---------------------------------------------------------------


def _evidence(state) -> ContentFile:
    return ContentFile(
        f"From: focal.point.{state.iso2.lower()}@example.org\r\n"
        f"To: sg-registration@itu.int\r\nSubject: Reply of {state}\r\n\r\n"
        "Our reply is on the template attached.\r\n".encode(),
        name="reply.eml",
    )


def _ballot(cast: _Cast, *, report: bool = False) -> Ballot:
    """The item proposed for a decision by correspondence goes to the Council Member
    States: launched by the secretariat with the chair's approval, and replies received by
    e-mail entered from the first states of the electorate."""
    consultation = cast.consultation
    outcome = ItemOutcome.objects.get(
        item__group__consultation=consultation, state=ItemOutcome.State.CORRESPONDENCE
    )
    item = outcome.item
    now = timezone.now()
    deadline = now + (timedelta(seconds=5) if report else timedelta(days=10))
    ballot = ballots.launch(
        consultation,
        title=f"Decision by correspondence on item {item.label}",
        question=f"Do you approve the proposed conclusion on item {item.label}?",
        proposals=[(item, item.conclusion.text)],
        deadline=deadline,
        actor=cast.secretariat,
        approved_by=cast.chair,
    )
    proposal = ballot.proposals.get()
    electors = ballot.electors.filter(has_vote=True).select_related("state").order_by("state__iso2")
    for index, elector in enumerate(electors[: VOTES["report" if report else "ballot"]]):
        choice = [Reply.Choice.IN_FAVOUR] * 8 + [Reply.Choice.AGAINST, Reply.Choice.ABSTAIN]
        ballots.enter_email_reply(
            proposal,
            elector.state,
            choice[index % len(choice)],
            evidence=_evidence(elector.state),
            actor=cast.secretariat,
            now=now,
        )
    return ballot


def _open_ballot(cast: _Cast) -> None:
    _ballot(cast)


def _closed_ballot(cast: _Cast) -> None:
    """The decision by correspondence, replied to and closed at its deadline."""
    ballot = _ballot(cast, report=True)
    ballots.close(ballot, actor=cast.secretariat, now=ballot.deadline + timedelta(seconds=1))


_BEFORE = (_registrations, _speakers, _contributions)
STEPS = {
    "registration": (_registrations,),
    "contributions": _BEFORE,
    "meeting": (*_BEFORE, _plan, _floor_now),
    "ballot": (*_BEFORE, _plan, _meetings_held, _open_ballot),
    "report": (*_BEFORE, _plan, _meetings_held, _closed_ballot),
}
