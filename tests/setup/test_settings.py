"""Settings that take effect: one change, enforced everywhere at once, or refused with what
stands in the way."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from plenary.consultations import agenda_files
from plenary.consultations import services as agenda
from plenary.consultations.models import Consultation
from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.directory.models import CouncilSeat, CouncilTerm
from plenary.planning.models import Meeting
from plenary.planning.services import publish_plan
from plenary.registration.models import Capacity, Delegation
from plenary.setup import services
from tests import factories
from tests.consultations.vcc2_files import xlsx_bytes

GENEVA = ZoneInfo("Europe/Zurich")


def _future(consultation):
    """A copy of VCC-2 in a future year, in a term of the same members, so that nothing is
    done yet (VCC-2's own meetings were held in 2020 and cannot move)."""
    term = CouncilTerm.objects.create(
        name="2097-2100", starts_on=datetime.date(2097, 1, 1), ends_on=datetime.date(2100, 12, 31)
    )
    for seat in consultation.council_term.seats.all():
        CouncilSeat.objects.create(term=term, state=seat.state, region=seat.region)
    return services.create_consultation(
        {"acronym": "VCC-98", "starts_on": datetime.date(2098, 11, 17), "council_term": term},
        slug="vcc-98",
        actor=None,
        copy_from=consultation,
    )


def test_capacity_and_quota_follow_the_settings(consultation, secretariat_user):
    changed = services.update_settings(
        consultation,
        {"speaker_capacity": 120, "viewer_capacity": 900, "speakers_per_delegation_max": 2},
        actor=secretariat_user,
    )
    assert changed["speaker_capacity"] == [300, 120]
    capacity = Capacity.objects.get(consultation=consultation)
    assert (capacity.speaker_limit, capacity.viewer_limit) == (120, 900)
    limits = set(consultation.delegations.values_list("speaker_limit", flat=True))
    assert limits == {2}
    event = AuditEvent.objects.filter(action="consultation.settings_changed").last()
    assert event.data["changed"]["speakers_per_delegation_max"] == [3, 2]


def test_a_limit_below_what_is_used_is_refused_with_what_is_in_the_way(
    consultation, secretariat_user
):
    factories.open_registration(consultation)
    speakers = [factories.participant(consultation, "CH", n) for n in range(1, 4)]
    speakers.append(factories.participant(consultation, "CN"))
    with pytest.raises(DomainError) as refused:
        services.update_settings(
            consultation, {"speakers_per_delegation_max": 2}, actor=secretariat_user
        )
    assert refused.value.code == "settings_blocked"
    assert any("Switzerland" in line and "3" in line for line in refused.value.details)
    with pytest.raises(DomainError) as refused:
        services.update_settings(consultation, {"speaker_capacity": 3}, actor=secretariat_user)
    assert "4 speakers are already named" in refused.value.details[0]
    consultation.refresh_from_db()
    assert consultation.speaker_capacity == 300
    assert Delegation.objects.get(consultation=consultation, state__iso2="CH").speaker_limit == 3


def test_meetings_follow_the_dates_and_the_window(consultation, secretariat_user):
    consultation = _future(consultation)
    services.update_settings(
        consultation,
        {
            "starts_on": datetime.date(2098, 11, 3),
            "rehearsal_on": datetime.date(2098, 10, 28),
            "daily_start": datetime.time(9, 30),
            "daily_end": datetime.time(12, 0),
            "max_days": 3,
        },
        actor=secretariat_user,
    )
    meetings = list(Meeting.objects.filter(consultation=consultation, kind=Meeting.Kind.MEETING))
    assert [m.starts_at.astimezone(GENEVA).date() for m in meetings] == [
        datetime.date(2098, 11, 3),
        datetime.date(2098, 11, 4),
        datetime.date(2098, 11, 5),
    ]
    assert {m.starts_at.astimezone(GENEVA).time() for m in meetings} == {datetime.time(9, 30)}
    assert {m.ends_at.astimezone(GENEVA).time() for m in meetings} == {datetime.time(12, 0)}


def test_deadline_with_a_time_of_day(consultation, secretariat_user):
    consultation = _future(consultation)
    services.update_settings(
        consultation,
        {"contribution_days_before": 10, "contribution_deadline_time": datetime.time(13, 0)},
        actor=secretariat_user,
    )
    consultation.refresh_from_db()
    deadline = consultation.contribution_deadline.astimezone(GENEVA)
    assert deadline == datetime.datetime(2098, 11, 7, 13, 0, tzinfo=GENEVA)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"daily_start": datetime.time(15, 0), "daily_end": datetime.time(12, 0)}, "daily_end"),
        (
            {"contribution_days_before": 0, "contribution_deadline_time": datetime.time(13, 0)},
            "contribution_days_before",
        ),
        ({"max_days": 0}, "max_days"),
        ({"speaker_capacity": -5}, "speaker_capacity"),
        (
            {"speakers_per_delegation_min": 3, "speakers_per_delegation_max": 2},
            "speakers_per_delegation_max",
        ),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"document_prefix": "c 23"}, "document_prefix"),
        ({"contribution_groups": [1, 7]}, "contribution_groups"),
        ({"queue_classes": [["council"], ["observer"]]}, "queue_classes"),
        ({"registration_opens_on": datetime.date(2021, 1, 1)}, "registration_opens_on"),
    ],
)
def test_bad_settings_are_refused_by_field_and_change_nothing(
    consultation, secretariat_user, values, field
):
    before = Consultation.objects.filter(pk=consultation.pk).values().get()
    with pytest.raises(DomainError) as refused:
        services.update_settings(consultation, values, actor=secretariat_user)
    assert refused.value.code == "invalid_settings"
    assert field in refused.value.details
    assert Consultation.objects.filter(pk=consultation.pk).values().get() == before


def test_after_confirmation_a_change_needs_a_reason(consultation, secretariat_user):
    factories.confirmed_agenda(consultation, actor=secretariat_user)
    with pytest.raises(DomainError) as refused:
        services.update_settings(
            consultation, {"contribution_max_pages": 3}, actor=secretariat_user
        )
    assert refused.value.code == "reason_required"
    changed = services.update_settings(
        consultation, {"contribution_max_pages": 3}, actor=secretariat_user, reason="Council asked"
    )
    assert changed == {"contribution_max_pages": [2, 3]}
    event = AuditEvent.objects.filter(action="consultation.settings_changed").last()
    assert event.data["reason"] == "Council asked"


def test_category_follows_the_term(consultation, secretariat_user):
    old = consultation.council_term
    new = CouncilTerm.objects.create(
        name="2019-2022 bis", starts_on=old.starts_on, ends_on=old.ends_on
    )
    seats = list(CouncilSeat.objects.filter(term=old).exclude(state__iso2="CH"))
    for seat in seats:
        CouncilSeat.objects.create(term=new, state=seat.state, region=seat.region)
    services.update_settings(consultation, {"council_term": new}, actor=secretariat_user)
    switzerland = Delegation.objects.get(consultation=consultation, state__iso2="CH")
    assert switzerland.category == Delegation.Category.OBSERVER
    china = Delegation.objects.get(consultation=consultation, state__iso2="CN")
    assert china.category == Delegation.Category.COUNCIL


def test_a_term_not_in_force_is_refused(consultation, secretariat_user):
    with pytest.raises(DomainError) as refused:
        services.update_settings(
            consultation,
            {
                "starts_on": datetime.date(2024, 3, 4),
                "registration_opens_on": datetime.date(2024, 2, 1),
                "rehearsal_on": None,
            },
            actor=secretariat_user,
        )
    assert "council_term" in refused.value.details


def test_create_from_scratch(vcc2, secretariat_user):
    term = vcc2.consultation.council_term
    created = services.create_consultation(
        {
            "acronym": "VCC-9",
            "title": {"en": "Ninth consultation", "fr": "Neuvième consultation"},
            "council_term": term,
            "starts_on": datetime.date(2021, 3, 8),
            "registration_opens_on": datetime.date(2021, 2, 1),
            "rehearsal_on": datetime.date(2021, 3, 3),
            "speaker_capacity": 150,
            "speakers_per_delegation_max": 2,
            "max_days": 2,
        },
        slug="vcc-9",
        actor=secretariat_user,
    )
    assert created.title_fr == "Neuvième consultation"
    assert list(created.groups.values_list("number", flat=True)) == [1, 2, 3]
    assert Capacity.objects.get(consultation=created).speaker_limit == 150
    council = created.delegations.filter(category=Delegation.Category.COUNCIL)
    assert council.count() == term.seats.count()
    assert set(created.delegations.values_list("speaker_limit", flat=True)) == {2}
    assert created.meetings.filter(kind=Meeting.Kind.MEETING).count() == 2


def test_copy_moves_the_dates_and_keeps_the_frame(vcc2, secretariat_user):
    source = vcc2.consultation
    copy = services.create_consultation(
        {"acronym": "VCC-3", "title": {"en": "Third"}, "starts_on": datetime.date(2021, 1, 18)},
        slug="vcc-3",
        actor=secretariat_user,
        copy_from=source,
    )
    shift = datetime.date(2021, 1, 18) - source.starts_on
    assert copy.registration_opens_on == source.registration_opens_on + shift
    assert copy.rehearsal_on == source.rehearsal_on + shift
    assert copy.groups.count() == source.groups.count()
    assert copy.contributions_email == source.contributions_email
    assert copy.body_zh_hans == source.body_zh_hans  # texts copied where not given
    assert copy.title_zh_hans == ""  # but the source's title names the source
    assert not copy.agenda_is_final
    with pytest.raises(DomainError) as taken:
        services.create_consultation({}, slug="vcc-3", actor=secretariat_user, copy_from=source)
    assert taken.value.code == "slug_taken"


def test_meetings_follow_the_days_the_plan_needs(vcc2, secretariat_user):
    from plenary.consultations.services import add_item
    from plenary.planning.services import publish_plan

    consultation = _future(vcc2.consultation)
    assert consultation.meetings.filter(kind=Meeting.Kind.MEETING).count() == 5
    group = consultation.groups.get(number=1)
    for subject in ("First", "Second"):
        add_item(group, subjects={"en": subject}, actor=secretariat_user)
    publish_plan(consultation, actor=secretariat_user)
    # Two short items fit in the first day: the other four meetings are not held.
    assert consultation.meetings.filter(kind=Meeting.Kind.MEETING).count() == 1
    assert consultation.meetings.filter(kind=Meeting.Kind.REHEARSAL).count() == 1
    # A later change of the window moves the one meeting, and asks for a reason.
    with pytest.raises(DomainError) as refused:
        services.update_settings(
            consultation, {"daily_start": datetime.time(10, 0)}, actor=secretariat_user
        )
    assert refused.value.code == "reason_required"
    services.update_settings(
        consultation,
        {"daily_start": datetime.time(10, 0)},
        actor=secretariat_user,
        reason="Earlier",
    )
    meeting = consultation.meetings.get(kind=Meeting.Kind.MEETING)
    assert meeting.starts_at.astimezone(GENEVA).time() == datetime.time(10, 0)


def test_a_published_plan_moves_with_the_dates(consultation, secretariat_user):
    future = _future(consultation)
    rows = agenda_files.read_agenda(xlsx_bytes(), "agenda.xlsx")
    agenda.import_agenda(future, rows, actor=secretariat_user, apply=True)
    publish_plan(future, actor=secretariat_user)
    new_first = future.starts_on + datetime.timedelta(days=14)
    services.update_settings(
        future,
        {"starts_on": new_first, "rehearsal_on": future.rehearsal_on + datetime.timedelta(14)},
        actor=secretariat_user,
        reason="Two weeks later.",
    )
    latest = future.plan_versions.order_by("-number").first()
    assert (latest.number, latest.reason) == (2, "Two weeks later.")
    first_slot = min(slot["start"] for slot in latest.slots)
    assert datetime.datetime.fromisoformat(first_slot) == future.opens_at
    assert future.opens_at.astimezone(GENEVA).date() == new_first
