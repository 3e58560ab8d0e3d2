"""A second consultation set up through the pages alone, as a secretariat officer would."""

import datetime

import pytest

from plenary.consultations.models import Consultation
from plenary.directory.models import CouncilSeat, CouncilTerm
from plenary.planning.models import Meeting
from plenary.registration.models import Capacity

from .formdata import form_data


@pytest.fixture
def officer(client, secretariat_user):
    client.force_login(secretariat_user)
    return client


@pytest.fixture
def term(vcc2):
    term = CouncilTerm.objects.create(
        name="2095-2098", starts_on=datetime.date(2095, 1, 1), ends_on=datetime.date(2098, 12, 31)
    )
    for seat in vcc2.consultation.council_term.seats.all():
        CouncilSeat.objects.create(term=term, state=seat.state, region=seat.region)
    return term


def _create_through_the_pages(officer, term, **changes):
    start = officer.get(
        "/fr/secretariat/consultations/",
        {"slug": "vcc-96", "source": "vcc-2", "starts_on": "2096-05-07"},
    )
    assert start.status_code == 302
    page = officer.get(start["Location"])
    assert page.status_code == 200
    data = form_data(page.content.decode(), "settings-form")
    # Copied with the dates moved with the first day.
    assert data["starts_on"] == "2096-05-07"
    assert data["registration_opens_on"] == str(
        datetime.date(2096, 5, 7) - (datetime.date(2020, 11, 16) - datetime.date(2020, 10, 15))
    )
    data.update(
        acronym="VCC-96",
        title_en="Ninety-sixth consultation",
        council_term=str(term.pk),
        **changes,
    )
    preview = officer.post(start["Location"], {**data, "action": "preview"})
    return start["Location"], data, preview


def test_create_and_change_a_consultation_through_the_pages(officer, term):
    address, data, preview = _create_through_the_pages(
        officer,
        term,
        speaker_capacity="210",
        speakers_per_delegation_max="2",
        daily_start="08:00",
        daily_end="10:30",
        max_days="3",
        contribution_days_before="9",
        contribution_deadline_time="17:00",
    )
    html = preview.content.decode()
    assert 'id="preview-dates"' in html
    assert "08:00" in html and "06:00" in html  # Geneva in summer is UTC+2
    assert not Consultation.objects.filter(slug="vcc-96").exists()  # a preview saves nothing

    created = officer.post(address, {**data, "action": "create"})
    assert created.status_code == 302
    consultation = Consultation.objects.get(slug="vcc-96")
    assert consultation.title_en == "Ninety-sixth consultation"
    assert Capacity.objects.get(consultation=consultation).speaker_limit == 210
    assert set(consultation.delegations.values_list("speaker_limit", flat=True)) == {2}
    assert consultation.meetings.filter(kind=Meeting.Kind.MEETING).count() == 3
    assert consultation.contribution_deadline_day == datetime.date(2096, 4, 28)

    settings_page = officer.get("/fr/c/vcc-96/settings/")
    data = form_data(settings_page.content.decode(), "settings-form")
    data.update(viewer_capacity="777", action="save")
    saved = officer.post("/fr/c/vcc-96/settings/", data)
    assert saved.status_code == 302
    assert Capacity.objects.get(consultation=consultation).viewer_limit == 777


def test_a_window_that_ends_before_it_starts_is_shown_under_its_field(officer, term):
    address, data, preview = _create_through_the_pages(
        officer, term, daily_start="15:00", daily_end="12:00"
    )
    html = preview.content.decode()
    assert "15:00–12:00" in html
    created = officer.post(address, {**data, "action": "create"})
    assert created.status_code == 200
    assert not Consultation.objects.filter(slug="vcc-96").exists()


def test_a_delegate_cannot_open_the_settings(client, focal_ch):
    client.force_login(focal_ch)
    assert client.get("/en/c/vcc-2/settings/").status_code == 403
    assert client.get("/en/secretariat/consultations/").status_code == 403
