"""The living demo (`plenary demo --phase …`): VCC-2 with its dates moved around today, and
each phase made through the services. Each phase is loaded once, by the function the
command calls, and checked to be real on today's date."""

import datetime

import pytest
from django.utils import timezone

from plenary import cli
from plenary.ballots.models import Ballot, Reply
from plenary.ballots.services import results, tally_from_audit
from plenary.consultations.models import Consultation
from plenary.contributions.models import Contribution
from plenary.core.audit import verify_chain
from plenary.core.models import AuditEvent
from plenary.floor.models import Floor, FloorRequest
from plenary.floor.queries import waiting_queue
from plenary.outcomes.models import ItemOutcome
from plenary.planning.models import Meeting
from plenary.registration.models import Delegation, FocalPoint, Participant
from plenary.registration.services import registration_window
from plenary.reports.report import report_context, report_docx
from plenary.scenarios import demo
from plenary.scenarios.loader import load_scenario

DAY = datetime.timedelta(days=1)
# VCC-2's dates as in the letter (the scenario file).
LETTER = datetime.date(2020, 9, 14)
REGISTRATION = datetime.date(2020, 10, 15)
REHEARSAL = datetime.date(2020, 11, 10)
FIRST_DAY = datetime.date(2020, 11, 16)
# A week from Monday 1 June 2026 to Sunday 7 June.
WEEK = [datetime.date(2026, 6, 1) + n * DAY for n in range(7)]


def _calendar() -> Consultation:
    return Consultation(
        starts_on=FIRST_DAY,
        max_days=5,
        meeting_weekdays=[0, 1, 2, 3, 4],
        contribution_days_before=14,
    )


def _today(consultation) -> datetime.date:
    return demo.local_today(consultation.time_zone)


def _intervals_kept(consultation) -> None:
    shift = consultation.starts_on - FIRST_DAY
    assert consultation.letter_date == LETTER + shift
    assert consultation.registration_opens_on == REGISTRATION + shift
    assert consultation.rehearsal_on == REHEARSAL + shift
    # The historical membership, in a term dated around the demo's days so that the
    # secretariat can move the dates as it would a real consultation's.
    term = consultation.council_term
    assert term.name == "2019-2022 (demo)"
    assert term.starts_on <= consultation.starts_on <= term.ends_on
    assert term.seats.count() == 48


# --- the dates, on every day of a week ---------------------------------------------------------


@pytest.mark.parametrize("today", WEEK, ids=lambda day: day.strftime("%a"))
def test_contributions_are_due_in_ten_days_or_the_first_day_moves_to_a_weekday(today):
    first = demo.first_day("registration", today, _calendar())
    aimed = today + 24 * DAY  # ten days to the deadline, fourteen from it to the first day
    assert first.weekday() < 5
    if aimed.weekday() < 5:
        assert first - 14 * DAY == today + 10 * DAY
    else:  # a Saturday or a Sunday: the following Monday, the deadline a day or two later
        assert first.weekday() == 0 and aimed < first <= aimed + 2 * DAY


@pytest.mark.parametrize("today", WEEK, ids=lambda day: day.strftime("%a"))
def test_the_meeting_phase_starts_today_or_on_the_last_weekday(today):
    first = demo.first_day("meeting", today, _calendar())
    if today.weekday() < 5:
        assert first == today
    else:
        assert first == WEEK[4]  # the Friday before


@pytest.mark.parametrize("today", WEEK, ids=lambda day: day.strftime("%a"))
@pytest.mark.parametrize("phase", ["ballot", "report"])
def test_after_the_meetings_the_last_meeting_day_is_a_few_days_ago(today, phase):
    calendar = _calendar()
    first = demo.first_day(phase, today, calendar)
    ended_by = today - demo.ENDED_DAYS_AGO[phase] * DAY
    assert first.weekday() < 5
    assert demo._last_day(calendar, first) <= ended_by
    # the latest such first day: one day later would end after `ended_by`
    later = first + DAY
    while later.weekday() >= 5:
        later += DAY
    assert demo._last_day(calendar, later) > ended_by


def test_the_command_line_offers_the_phases_the_demo_builds():
    assert cli.DEMO_PHASES == demo.PHASES
    assert cli.build_parser().parse_args(["demo"]).phase == "registration"
    assert cli.build_parser().parse_args(["demo", "--phase", "ballot"]).phase == "ballot"
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["demo", "--phase", "tomorrow"])


# --- the phases, loaded -----------------------------------------------------------------------


def test_without_a_shift_the_scenario_keeps_the_dates_of_2020(consultation):
    assert (consultation.letter_date, consultation.registration_opens_on) == (LETTER, REGISTRATION)
    assert (consultation.rehearsal_on, consultation.starts_on) == (REHEARSAL, FIRST_DAY)
    assert consultation.contribution_deadline_day == datetime.date(2020, 11, 2)


def test_registration_phase_is_open_today_with_the_deadline_in_ten_days(vcc2):
    loaded = demo.load_demo()
    consultation = loaded.consultation
    today = _today(consultation)
    opens, closes = registration_window(consultation)
    assert opens < timezone.now() < closes
    assert consultation.registration_opens_on < today
    moved = (consultation.starts_on - (today + 24 * DAY)).days  # see the weekday test above
    assert consultation.contribution_deadline_day == today + (10 + moved) * DAY
    assert moved == 0 or (today + 24 * DAY).weekday() >= 5
    assert consultation.rehearsal_on < consultation.starts_on
    assert consultation.meetings.order_by("starts_at").first().starts_at > timezone.now()
    _intervals_kept(consultation)
    statuses = set(
        Participant.objects.filter(consultation=consultation).values_list("status", flat=True)
    )
    assert statuses == {Participant.Status.PENDING, Participant.Status.APPROVED}
    assert "registration is open" in demo.summary(loaded)
    # Loading the scenario without a shift gives the historical record back.
    load_scenario("vcc2")
    consultation.refresh_from_db()
    assert (consultation.starts_on, consultation.letter_date) == (FIRST_DAY, LETTER)
    assert (
        consultation.meetings.get(number=1, kind=Meeting.Kind.MEETING).starts_at.date() == FIRST_DAY
    )


def test_contributions_phase_has_speakers_named_by_focal_points_and_contributions(vcc2):
    loaded = demo.load_demo("contributions")
    consultation = loaded.consultation
    today = _today(consultation)
    opens, closes = registration_window(consultation)
    assert opens < timezone.now() < consultation.contribution_deadline < closes
    assert today + 3 * DAY <= consultation.contribution_deadline_day <= today + 5 * DAY
    people = Participant.objects.filter(consultation=consultation)
    assert {p.status for p in people} == {
        Participant.Status.PENDING,
        Participant.Status.APPROVED,
        Participant.Status.REJECTED,
    }
    focal_users = set(
        FocalPoint.objects.filter(delegation__consultation=consultation).values_list(
            "user_id", flat=True
        )
    )
    named = AuditEvent.objects.filter(action="registration.speaker_designated")
    assert focal_users and focal_users <= set(named.values_list("actor_id", flat=True))
    made = Contribution.objects.filter(consultation=consultation)
    assert made.filter(status=Contribution.Status.SUBMITTED).count() >= 2
    published = made.get(status=Contribution.Status.PUBLISHED)
    assert published.document.symbol == published.symbol
    assert made.filter(source=Contribution.Source.PDF).exists()
    assert made.filter(states__confirmed_at__isnull=True).exists()  # a co-submitter to confirm


def test_meeting_phase_has_todays_meeting_under_way(vcc2, client):
    loaded = demo.load_demo("meeting")
    consultation = loaded.consultation
    today = _today(consultation)
    live = Floor.objects.select_related("meeting", "item").get(consultation=consultation)
    meeting_day = timezone.localtime(live.meeting.starts_at).date()
    assert meeting_day == consultation.starts_on == demo.first_day("meeting", today, _calendar())
    assert meeting_day == today or today.weekday() >= 5
    assert live.meeting.number == 1 and live.item is not None and live.speaking is not None
    assert len(waiting_queue(live)) >= 3
    assert FloorRequest.objects.filter(floor=live, status=FloorRequest.Status.DONE).count() == 1
    assert consultation.agenda_is_final and consultation.plan_versions.count() == 1
    assert not Participant.objects.filter(
        consultation=consultation, status=Participant.Status.PENDING
    ).exists()
    assert consultation.contribution_deadline < timezone.now()
    assert "on the floor" in demo.summary(loaded)
    # The printed personal link takes the newcomer to the live page as a speaker.
    person, token = loaded.link
    assert person.is_speaker and person.delegation.category == Delegation.Category.COUNCIL
    assert client.get(f"/j/{token}").status_code == 302
    page = client.get(f"/en/c/{consultation.slug}/live/")
    assert page.status_code == 200 and live.item.label in page.content.decode()


def test_ballot_phase_has_the_meetings_over_and_a_ballot_open_with_replies(vcc2):
    loaded = demo.load_demo("ballot")
    consultation = loaded.consultation
    assert consultation.ends_on <= _today(consultation) - 2 * DAY
    recorded = ItemOutcome.objects.filter(item__group__consultation=consultation, recorded=True)
    states = set(recorded.values_list("state", flat=True))
    assert {ItemOutcome.State.AGREED, ItemOutcome.State.DEFERRED} <= states
    ballot = Ballot.objects.get(consultation=consultation)
    assert ballot.status == Ballot.Status.OPEN and ballot.deadline > timezone.now()
    assert ballot.proposals.get().item.outcome.state == ItemOutcome.State.CORRESPONDENCE
    assert (
        Reply.objects.filter(proposal__ballot=ballot, current=True).count() == demo.VOTES["ballot"]
    )
    _intervals_kept(consultation)


def test_report_phase_has_the_ballot_closed_and_the_report(vcc2):
    loaded = demo.load_demo("report")
    consultation = loaded.consultation
    assert consultation.ends_on <= _today(consultation) - 7 * DAY
    ballot = Ballot.objects.get(consultation=consultation)
    assert ballot.status == Ballot.Status.CLOSED
    [(proposal, result)] = results(ballot)
    assert result.adopted and result.in_favour > 24
    assert tally_from_audit(ballot) == {proposal.pk: result}  # as `plenary audit verify` checks
    report = report_context(consultation, "en")
    approved = Participant.objects.filter(
        consultation=consultation, status=Participant.Status.APPROVED
    )
    assert report["attendance"]["total"]["participants"] == approved.count()
    assert report["statistics"]["interventions"] > 0
    assert report["deferred"] and report["correspondence"] and report["information"]
    assert report_docx(consultation, "en").startswith(b"PK")
    assert verify_chain().intact
    assert "the report is ready" in demo.summary(loaded)
