"""A consultation holds every number of the letter as a setting, VCC-2's values by default
(R1, R2, R9–R11, R14, R17, R18, R24)."""

import datetime

import pytest
from django.db import IntegrityError

from plenary.consultations import queries
from plenary.consultations.models import Appointment
from plenary.consultations.rules import is_presiding_officer, is_secretariat
from tests import factories

UTC = datetime.UTC


def test_vcc2_settings_are_the_letters(consultation):
    c = consultation
    assert (c.starts_on, c.ends_on, c.max_days) == (
        datetime.date(2020, 11, 16),
        datetime.date(2020, 11, 20),
        5,
    )
    assert (c.daily_start, c.daily_end, c.time_zone) == (
        datetime.time(12),
        datetime.time(15),
        "Europe/Zurich",
    )
    assert c.registration_opens_on == datetime.date(2020, 10, 15)
    assert (c.speakers_per_delegation_min, c.speakers_per_delegation_max) == (1, 3)
    assert (c.speaker_capacity, c.viewer_capacity) == (300, 2000)
    assert c.rehearsal_on == datetime.date(2020, 11, 10)
    assert (c.contribution_days_before, c.contribution_max_pages) == (14, 2)
    assert c.contribution_groups == [1, 2]
    assert c.languages == ["ar", "zh-hans", "en", "fr", "ru", "es"]
    assert c.registration_email == "sg-registration@itu.int"
    assert c.presiding_officer == "Mr Saif Bin Ghelaita"
    assert c.council_term.name == "2019-2022"


def test_contribution_deadline_is_2_november_end_of_day_geneva(consultation):
    assert consultation.contribution_deadline_day == datetime.date(2020, 11, 2)
    assert consultation.contribution_deadline == datetime.datetime(
        2020, 11, 2, 22, 59, 59, 999999, tzinfo=UTC
    )


def test_meeting_days_skip_weekends(consultation):
    consultation.starts_on = datetime.date(2020, 11, 19)  # a Thursday
    assert consultation.meeting_days() == [
        datetime.date(2020, 11, 19),
        datetime.date(2020, 11, 20),
        datetime.date(2020, 11, 23),
        datetime.date(2020, 11, 24),
        datetime.date(2020, 11, 25),
    ]


def test_daily_window_in_utc(consultation):
    assert consultation.window_on(datetime.date(2020, 11, 16)) == (
        datetime.datetime(2020, 11, 16, 11, tzinfo=UTC),
        datetime.datetime(2020, 11, 16, 14, tzinfo=UTC),
    )


def test_milestones_in_order_and_what_comes_next(consultation):
    milestones = queries.milestones(consultation)
    keys = [m.key for m in milestones]
    assert keys == [
        "registration",
        "contributions",
        "rehearsal",
        *[f"meeting-{n}" for n in range(1, 6)],
    ]
    now = datetime.datetime(2020, 11, 5, tzinfo=UTC)
    assert queries.next_milestone(consultation, now).key == "rehearsal"
    during = datetime.datetime(2020, 11, 16, 12, tzinfo=UTC)
    assert queries.next_milestone(consultation, during).key == "meeting-1"
    assert queries.next_milestone(consultation, datetime.datetime(2021, 1, 1, tzinfo=UTC)) is None


def test_window_that_ends_before_it_starts_is_refused_by_the_database(consultation):
    consultation.daily_end = datetime.time(11)
    with pytest.raises(IntegrityError):
        consultation.save()


def test_another_consultation_takes_other_numbers(consultation):
    vcc3 = factories.another_consultation(
        consultation,
        slug="vcc-3",
        acronym="VCC-3",
        title="Third Virtual Consultation",
        starts_on=datetime.date(2021, 1, 18),
        registration_opens_on=datetime.date(2020, 12, 1),
        max_days=3,
        daily_start=datetime.time(13),
        daily_end=datetime.time(16),
        contribution_days_before=21,
    )
    assert vcc3.ends_on == datetime.date(2021, 1, 20)
    assert vcc3.contribution_deadline_day == datetime.date(2020, 12, 28)
    assert vcc3.window_on(vcc3.starts_on)[0].hour == 12  # 13:00 Geneva in winter


def test_roles_come_from_appointments(consultation, chair, secretariat_user):
    delegate = factories.delegate("CN")
    assert is_presiding_officer(chair, consultation)
    assert not is_presiding_officer(delegate, consultation)
    assert is_secretariat(secretariat_user, consultation)  # appointed for every consultation
    assert chair.has_perm("consultations.confirm_agenda", consultation)
    assert not delegate.has_perm("consultations.edit_agenda", consultation)
    assert delegate.has_perm("consultations.represent_state", consultation)


def test_an_appointment_is_held_once(consultation, chair):
    with pytest.raises(IntegrityError):
        Appointment.objects.create(
            user=chair, role=Appointment.Role.PRESIDING_OFFICER, consultation=consultation
        )


def test_a_global_appointment_is_held_once(consultation, secretariat_user):
    with pytest.raises(IntegrityError):
        Appointment.objects.create(
            user=secretariat_user, role=Appointment.Role.SECRETARIAT, consultation=None
        )
