"""A second consultation set up through the API alone: created with a value of its own for
every number, then changed; its quotas, capacity, deadline, plan and calendar hold them."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from plenary.consultations.models import Consultation
from plenary.directory.models import CouncilSeat, CouncilTerm
from plenary.planning.models import Meeting
from plenary.registration.models import Capacity
from tests.api.conftest import user_token

GENEVA = ZoneInfo("Europe/Zurich")


@pytest.fixture
def term(vcc2):
    """A Council term of the same members for the years the new consultation falls in."""
    term = CouncilTerm.objects.create(
        name="2095-2098", starts_on=datetime.date(2095, 1, 1), ends_on=datetime.date(2098, 12, 31)
    )
    for seat in vcc2.consultation.council_term.seats.all():
        CouncilSeat.objects.create(term=term, state=seat.state, region=seat.region)
    return term


def _json(response):
    return response.status_code, response.json()


NEW = {
    "slug": "vcc-97",
    "acronym": "VCC-97",
    "title": {"en": "Ninety-seventh consultation", "es": "Nonagésima séptima consulta"},
    "council_term": "2095-2098",
    "starts_on": "2097-03-04",
    "max_days": 4,
    "daily_start": "07:30",
    "daily_end": "10:00",
    "time_zone": "America/New_York",
    "registration_opens_on": "2097-01-20",
    "rehearsal_on": "2097-02-27",
    "speaker_capacity": 180,
    "viewer_capacity": 1200,
    "speakers_per_delegation_min": 1,
    "speakers_per_delegation_max": 4,
    "contribution_days_before": 10,
    "contribution_deadline_time": "13:00",
    "contribution_max_pages": 3,
    "document_prefix": "C97",
}


def test_create_then_change_through_the_api(client, secretariat_token, term):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secretariat_token}"}
    status, body = _json(
        client.post("/api/v1/consultations", NEW, content_type="application/json", **headers)
    )
    assert status == 201, body
    created = Consultation.objects.get(slug="vcc-97")
    assert created.council_term == term
    assert Capacity.objects.get(consultation=created).speaker_limit == 180
    assert set(created.delegations.values_list("speaker_limit", flat=True)) == {4}
    deadline = created.contribution_deadline.astimezone(ZoneInfo("America/New_York"))
    assert (deadline.date(), deadline.hour) == (datetime.date(2097, 2, 22), 13)
    first = Meeting.objects.filter(consultation=created, kind=Meeting.Kind.MEETING).first()
    assert first.starts_at.astimezone(ZoneInfo("America/New_York")).time() == datetime.time(7, 30)
    assert created.meetings.filter(kind=Meeting.Kind.MEETING).count() == 4
    assert body["dates"]["days"][0]["start"]["utc"].startswith("2097-03-04T12:30")

    status, body = _json(
        client.patch(
            "/api/v1/consultations/vcc-97/settings",
            {
                "speaker_capacity": 150,
                "max_days": 2,
                "starts_on": "2097-03-11",
                "rehearsal_on": "2097-03-05",
            },
            content_type="application/json",
            **headers,
        )
    )
    assert status == 200, body
    assert body["changed"]["speaker_capacity"] == [180, 150]
    assert Capacity.objects.get(consultation=created).speaker_limit == 150
    days = [
        m.starts_at.astimezone(ZoneInfo("America/New_York")).date()
        for m in Meeting.objects.filter(consultation=created, kind=Meeting.Kind.MEETING)
    ]
    assert days == [datetime.date(2097, 3, 11), datetime.date(2097, 3, 12)]
    calendar = client.get("/calendars/vcc-97.ics").content.decode()
    assert "20970311T" in calendar and "20970304T" not in calendar


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"daily_start": "15:00", "daily_end": "12:00"}, "daily_end"),
        (
            {"contribution_days_before": 0, "contribution_deadline_time": "23:00"},
            "contribution_days_before",
        ),
        ({"speaker_capacity": 0}, "speaker_capacity"),
        ({"council_term": "no such term"}, "council_term"),
    ],
)
def test_bad_settings_are_answered_by_field(client, secretariat_token, term, change, field):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secretariat_token}"}
    client.post("/api/v1/consultations", NEW, content_type="application/json", **headers)
    before = Consultation.objects.filter(slug="vcc-97").values().get()
    response = client.patch(
        "/api/v1/consultations/vcc-97/settings",
        change,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
        **headers,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_settings"
    assert field in response.json()["details"]
    assert Consultation.objects.filter(slug="vcc-97").values().get() == before


def test_a_focal_point_cannot_create(client, focal_ch, term):
    response = client.post(
        "/api/v1/consultations",
        NEW,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {user_token(focal_ch)}",
    )
    assert response.status_code == 403
    assert not Consultation.objects.filter(slug="vcc-97").exists()


def test_a_whole_consultation_through_the_api_alone(client, secretariat_token, vcc2):
    """Term, consultation, agenda, plan: every step an API call; then the quotas, capacity,
    deadline, plan and calendar hold the new values."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.consultations.vcc2_files import xlsx_bytes

    headers = {"HTTP_AUTHORIZATION": f"Bearer {secretariat_token}"}
    seats = [
        {"region": seat.region.code, "state": seat.state.iso2}
        for seat in vcc2.consultation.council_term.seats.select_related("region", "state")
    ]
    term = client.post(
        "/api/v1/council/terms",
        {"name": "2091-2094", "starts_on": "2091-01-01", "ends_on": "2094-12-31", "seats": seats},
        content_type="application/json",
        **headers,
    )
    assert term.status_code == 201, term.json()
    short = client.post(
        "/api/v1/council/terms",
        {
            "name": "2091-2094 bis",
            "starts_on": "2091-01-01",
            "ends_on": "2094-12-31",
            "seats": seats[:47],
        },
        content_type="application/json",
        **headers,
    )
    assert short.status_code == 400
    created = client.post(
        "/api/v1/consultations",
        {
            **NEW,
            "slug": "vcc-92",
            "council_term": "2091-2094",
            "starts_on": "2092-06-02",
            "registration_opens_on": "2092-04-20",
            "rehearsal_on": "2092-05-28",
        },
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.json()
    upload = SimpleUploadedFile("agenda.xlsx", xlsx_bytes())
    imported = client.post(
        "/api/v1/consultations/vcc-92/agenda/import",
        {"file": upload, "dry_run": "false"},
        **headers,
    )
    assert imported.status_code == 200, imported.json()
    consultation = Consultation.objects.get(slug="vcc-92")
    assert sum(group.items.count() for group in consultation.groups.all()) == 66
    published = client.post(
        "/api/v1/consultations/vcc-92/plan/publish",
        {"reason": ""},
        content_type="application/json",
        **headers,
    )
    assert published.status_code in (200, 201), published.json()
    new_york = ZoneInfo("America/New_York")
    slots = consultation.plan_versions.get().slots
    assert {slot["day"] for slot in slots} <= set(range(4))
    first_slot = min(datetime.datetime.fromisoformat(slot["start"]) for slot in slots)
    assert first_slot.astimezone(new_york) == datetime.datetime(2092, 6, 2, 7, 30, tzinfo=new_york)
    assert Capacity.objects.get(consultation=consultation).speaker_limit == 180
    calendar = client.get("/calendars/vcc-92.ics").content.decode()
    assert "20920602T" in calendar
